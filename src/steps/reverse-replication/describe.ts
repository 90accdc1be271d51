// Dry-run of reverse-replication: every statement, in order, on which server; the subscription's
// password as ***. The old source's major decides `origin = none` (16+), which the dry-run cannot
// know offline, so it says so.
import type { ReverseReplicationSpec } from '../../plan/types.js';
import { formatBytes, parseSize } from '../../plan/units.js';
import { conninfo, q, replicationName } from '../logical-replica/spec.js';
import type { DescribeEnv, PlannedAction } from '../step.js';
import { KEYLESS_PUBLISHED_SQL } from '../logical-switchover/reverse.js';
import { DEFAULT_REVERSE_MAX_LAG } from './run.js';
import {
  APPLY_WORKER_SQL,
  CURRENT_LSN_SQL,
  REVERSE_LAG_SQL,
  REVERSE_OBJECTS_SQL,
  SERVER_MAJOR_SQL,
  SESSION_WRITABLE_SQL,
  SLOT_SQL,
  SUBSCRIBE_PRIVILEGE_SQL,
} from './sql.js';
import { durationMs } from '../../plan/units.js';

export function describeReverse(spec: ReverseReplicationSpec, env: DescribeEnv): PlannedAction[] {
  const slot = spec.reverseSlot ?? "<the logical-switchover's reverseSlot>";
  const forward = spec.subscription ?? '<the forward subscription>';
  const sub = replicationName(env.planName, env.stepId);
  const ep = spec.publisherEndpoint;
  const publisher = {
    host: ep?.host ?? String(spec.source.host),
    port: (ep?.port ?? spec.source.port ?? 5432) as number,
    database: String(spec.source.database),
    user: String(spec.source.user),
    ...(spec.source.password ? { password: 'x' } : {}),
    ...(spec.source.ssl !== undefined ? { ssl: spec.source.ssl } : {}),
  };
  const maxLag = (spec.maxLag ? parseSize(spec.maxLag) : undefined) ?? DEFAULT_REVERSE_MAX_LAG;
  const old = `on the old source (${spec.target.host}, database ${spec.target.database})`;
  const aurora = `on Aurora (${spec.source.host}, database ${spec.source.database})`;
  return [
    {
      kind: 'sql',
      sql: `${SERVER_MAJOR_SQL};\nSELECT … FROM pg_subscription WHERE subname = $1;\n${SUBSCRIBE_PRIVILEGE_SQL}`,
      params: [sub],
      note: `${old}: its major (origin = none from 16), this step's subscription (adopted when it exists), and whether the user may create one (superuser, or rds_superuser on RDS, before 16; pg_create_subscription from 16); else stop, nothing changed`,
    },
    {
      kind: 'sql',
      sql: REVERSE_OBJECTS_SQL,
      params: [slot],
      note: `${aurora}: the reverse publication and slot the switchover created must exist, and nobody else may read the slot; else stop, nothing changed`,
    },
    {
      kind: 'sql',
      sql: `${KEYLESS_PUBLISHED_SQL};\nALTER TABLE <each> REPLICA IDENTITY FULL`,
      params: [slot],
      note: `${aurora}: only a published table without a replica identity (the switchover already gives them one; UPDATE and DELETE on such a table fail on Aurora); lock_timeout 2s, retried`,
    },
    {
      kind: 'sql',
      sql: `DROP SUBSCRIPTION IF EXISTS ${q(forward)}`,
      note: `${aurora}, when it exists: the forward subscription; this drops its slot on the old source, so nothing loops back`,
    },
    {
      kind: 'sql',
      sql: `${SLOT_SQL};\nSELECT pg_drop_replication_slot($1)`,
      params: [forward],
      note: `${old}: the forward slot, if DROP SUBSCRIPTION could not drop it (refused while something reads it)`,
    },
    {
      kind: 'sql',
      sql: SESSION_WRITABLE_SQL,
      note: `${old}: for the tool's own session only; the fence stays for applications`,
    },
    {
      kind: 'sql',
      sql: `CREATE SUBSCRIPTION ${q(sub)} CONNECTION '${conninfo(publisher, true)}' PUBLICATION ${q(slot)} WITH (copy_data = false, create_slot = false, slot_name = '${slot}'[, origin = none])`,
      note: `${old}, unless it exists (then ALTER SUBSCRIPTION … ENABLE when disabled); origin = none only on a 16+ old source; the password is sent to the server and never shown`,
    },
    { kind: 'sql', sql: CURRENT_LSN_SQL, note: `${aurora}: the position the old source must pass` },
    {
      kind: 'wait',
      for: `slot ${slot} on Aurora read by the old source, confirmed past that position and at most ${formatBytes(maxLag)} behind`,
      timeoutMs: durationMs(spec.timeout, '30m'),
      pollEveryMs: 1_000,
      note: `${REVERSE_LAG_SQL} (Aurora)\n${APPLY_WORKER_SQL} (old source)`,
    },
    {
      kind: 'check',
      description: `the reverse slot keeps WAL on Aurora for as long as the fallback is kept; end it with drop-replication (subscriptions: [${sub}] on the old source, publications: [${slot}] on Aurora)`,
    },
  ];
}
