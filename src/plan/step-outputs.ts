// Output names per step type, for reference checks at validate time without loading the step modules
// (validate must stay fast and independent of the AWS/SQL code). Kept equal to each module's
// `outputs` by test/plan/step-outputs.test.ts.
import type { StepType } from './types.js';

export const STEP_OUTPUTS: Readonly<Record<StepType, readonly string[]>> = {
  'snapshot-migrate': ['snapshotArn', 'clusterId', 'clusterArn', 'instanceId', 'endpoint', 'readerEndpoint', 'port'],
  'aurora-read-replica': ['clusterId', 'clusterArn', 'instanceId', 'endpoint', 'readerEndpoint', 'port'],
  'lag-watch': [],
  approval: ['approvedBy', 'approvedAt'],
  promote: ['clusterArn', 'endpoint', 'readerEndpoint', 'port', 'promotedAt', 'caughtUpAt', 'promotionSentAt'],
  's3-import': ['filesImported', 'rowsImported'],
  's3-export': ['rowsUploaded', 'filesUploaded', 'bytesUploaded'],
  'cluster-export': ['exportId', 'totalExtractedGB', 'warnings'],
  'verify-data': ['tablesChecked', 'rowsChecked', 'checkedAt'],
  'lift-fence': ['lifted', 'liftedAt'],
  'freeze-writes': ['frozenAt', 'windowEndsAt', 'sourceLsn', 'previousSettings', 'fence', 'keptRoles', 'revokedFrom'],
  'switch-endpoint': ['previousValue', 'value', 'changeId', 'switchedAt', 'writeDowntime'],
  'enable-logical-replication': ['parameterGroup', 'rebootedAt', 'walLevel'],
  'aurora-cluster': ['clusterId', 'clusterArn', 'instanceId', 'endpoint', 'readerEndpoint', 'port', 'engineVersion'],
  'logical-replica': ['publication', 'subscription', 'slot', 'tables', 'rowsCopied', 'syncedAt', 'lagBytes'],
  'drop-replication': ['dropped'],
  'logical-switchover': ['caughtUpAt', 'sequencesCopied', 'switchedOverAt', 'reverseSlot'],
  'reverse-replication': ['publication', 'subscription', 'slot'],
};
