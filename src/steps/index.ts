// The one place step types are registered.
import type { StepRegistry } from './step.js';
import { snapshotMigrate } from './snapshot-migrate/run.js';
import { auroraReadReplica } from './aurora-read-replica/run.js';
import { lagWatch } from './lag-watch/run.js';
import { approval } from './approval.js';
import { promote } from './promote/run.js';
import { s3Import } from './s3-import/run.js';
import { s3Export } from './s3-export.js';
import { clusterExport } from './cluster-export/run.js';
import { verifyData } from './verify-data/verify-data.js';
import { freezeWrites } from './freeze-writes/index.js';
import { switchEndpoint } from './switch-endpoint/run.js';
import { liftFenceStep } from './lift-fence/index.js';
import { enableLogicalReplication } from './enable-logical-replication/run.js';
import { auroraCluster } from './aurora-cluster/run.js';
import { logicalReplica } from './logical-replica/index.js';
import { dropReplication } from './drop-replication/index.js';
import { logicalSwitchover } from './logical-switchover/index.js';
import { reverseReplication } from './reverse-replication/index.js';

export const steps: StepRegistry = {
  'snapshot-migrate': snapshotMigrate,
  'aurora-read-replica': auroraReadReplica,
  'lag-watch': lagWatch,
  approval,
  promote,
  's3-import': s3Import,
  's3-export': s3Export,
  'cluster-export': clusterExport,
  'verify-data': verifyData,
  'freeze-writes': freezeWrites,
  'switch-endpoint': switchEndpoint,
  'lift-fence': liftFenceStep,
  'enable-logical-replication': enableLogicalReplication,
  'aurora-cluster': auroraCluster,
  'logical-replica': logicalReplica,
  'drop-replication': dropReplication,
  'logical-switchover': logicalSwitchover,
  'reverse-replication': reverseReplication,
};

export const STEP_TYPES = Object.keys(steps) as Array<keyof typeof steps>;
