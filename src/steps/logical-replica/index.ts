// Step type "logical-replica" (docs/routes/logical.md): copies the source database into the target
// with PostgreSQL's logical replication and keeps it in sync — roles, schema, publication,
// subscription, the copy with per-table progress, the rest of the schema, then the slot lag under
// maxLag — with guards that protect the source's storage.
import type { LogicalReplicaSpec } from '../../plan/types.js';
import type { StepModule } from '../step.js';
import { describeLogicalReplica } from './describe.js';
import { logicalReplicaPreflight } from './preflight.js';
import { runLogicalReplica } from './run.js';

export const LOGICAL_REPLICA_OUTPUTS = ['publication', 'subscription', 'slot', 'tables', 'rowsCopied', 'syncedAt', 'lagBytes'] as const;

export const logicalReplica: StepModule<LogicalReplicaSpec> = {
  type: 'logical-replica',
  outputs: LOGICAL_REPLICA_OUTPUTS,
  describe: describeLogicalReplica,
  preflight: logicalReplicaPreflight,
  run: runLogicalReplica,
};
