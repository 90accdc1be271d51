// Step type "logical-replica" (docs/routes/logical.md): copies the source database into the target
// with PostgreSQL's logical replication and keeps it in sync — roles, schema, publication,
// subscription, the copy with per-table progress, the rest of the schema, then the slot lag under
// maxLag — with guards that protect the source's storage.
import type { LogicalReplicaSpec } from '../../plan/types.js';
import type { StepModule } from '../step.js';
import { describeLogicalReplica } from './describe.js';
import { logicalReplicaPreflight } from './preflight.js';
import { runLogicalReplica } from './run.js';

export const LOGICAL_REPLICA_OUTPUTS = [
  'publication',
  'subscription',
  'slot',
  'tables',
  'rowsCopied',
  'syncedAt',
  'lagBytes',
] as const;

export const logicalReplica: StepModule<LogicalReplicaSpec> = {
  type: 'logical-replica',
  outputs: LOGICAL_REPLICA_OUTPUTS,
  confirmation: (spec) =>
    `changes the production source database ${spec.source.database}: a replication slot that keeps WAL there until it is read or dropped` +
    `${spec.maxSlotLag || spec.guards?.length ? '' : ' (no maxSlotLag or storage guard is set)'}, a publication, DDL event triggers` +
    (spec.replicaIdentityFull
      ? `, and ALTER TABLE … REPLICA IDENTITY FULL on ${spec.replicaIdentityFull === true ? 'every table without a key' : spec.replicaIdentityFull.join(', ')}`
      : '') +
    '.',
  describe: describeLogicalReplica,
  preflight: logicalReplicaPreflight,
  preflightBeforeApply: true,
  run: runLogicalReplica,
};
