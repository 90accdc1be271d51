// Read-only checks for promote: the cluster exists and is still a read replica; the final lag check
// has a replica to read; and, with a replicaConnection (the caught-up proof after a freeze), the
// replica answers there, is a standby (pg_is_in_recovery()), is replaying, and how far behind its
// last replayed transaction is. Its catalogs are the source's (a physical copy), so the CREATE the
// marker needs on the source can be read there too.
import type { PromoteSpec } from '../../plan/types.js';
import type { CheckResult, PreflightContext } from '../step.js';
import { findCluster } from '../../rds/resources.js';
import { guarded, known, skipped } from '../preflight-helpers.js';
import { connectionUnknown, withReadOnlySession } from '../freeze-writes/preflight.js';

export const REPLICA_STATE_SQL =
  'SELECT pg_is_in_recovery() AS standby, current_user AS me, ' +
  "has_database_privilege(current_user, current_database(), 'CREATE') AS can_create, " +
  'CASE WHEN pg_is_in_recovery() THEN pg_is_wal_replay_paused() ELSE false END AS paused, ' +
  'pg_last_wal_receive_lsn()::text AS received, pg_last_wal_replay_lsn()::text AS replayed, ' +
  'pg_last_xact_replay_timestamp() AS replayed_at, ' +
  'EXTRACT(EPOCH FROM (now() - pg_last_xact_replay_timestamp()))::float8 AS replay_age';

export async function promotePreflight(spec: PromoteSpec, ctx: PreflightContext): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  if (!spec.replica)
    results.push({
      status: 'warn',
      check: 'final lag check',
      detail: 'the step has no "replica": the final lag check before promotion will be skipped',
    });
  let promoted = false;
  if (!known(spec.cluster)) results.push(skipped('cluster is a read replica', 'cluster', spec.cluster));
  else {
    results.push(
      ...(await guarded('cluster is a read replica', async () => {
        const c = await findCluster(ctx.aws, spec.cluster, { signal: ctx.signal });
        if (!c)
          return {
            status: 'warn',
            check: 'cluster exists',
            detail: `DB cluster ${spec.cluster} does not exist yet (an earlier step may create it)`,
          };
        if (!c.ReplicationSourceIdentifier) {
          promoted = true;
          return {
            status: 'warn',
            check: 'cluster is a read replica',
            detail: `DB cluster ${spec.cluster} is not a read replica (already promoted?); promote will send nothing`,
          };
        }
        return {
          status: 'pass',
          check: 'cluster is a read replica',
          detail: `DB cluster ${spec.cluster} replicates from ${c.ReplicationSourceIdentifier} (${c.Status})`,
        };
      })),
    );
  }
  if (spec.replicaConnection) results.push(...(await replicaChecks(spec.replicaConnection, ctx, promoted)));
  return results;
}

/** The replica behind replicaConnection, read-only: reachable, a standby, replaying. */
async function replicaChecks(
  conn: NonNullable<PromoteSpec['replicaConnection']>,
  ctx: PreflightContext,
  promoted: boolean,
): Promise<CheckResult[]> {
  const why = connectionUnknown(conn, 'replicaConnection');
  if (why)
    return [
      {
        status: 'warn',
        check: 'replica is reachable for the caught-up marker',
        detail: `skipped: ${why}; the replica is checked when promote runs`,
      },
    ];
  const where = `${conn.host}:${conn.port ?? 5432}`;
  return withReadOnlySession(ctx, conn, 'replicaConnection', 'replica for the caught-up marker', async (query) => {
    const [r] = await query<{
      standby: boolean;
      me: string;
      can_create: boolean;
      paused: boolean;
      received: string | null;
      replayed: string | null;
      replayed_at: Date | string | null;
      replay_age: number | null;
    }>(REPLICA_STATE_SQL);
    const out: CheckResult[] = [];
    const standbyCheck = 'replica is a standby';
    if (!r.standby) {
      out.push(
        promoted
          ? {
              status: 'warn',
              check: standbyCheck,
              detail: `${where} is not a standby (pg_is_in_recovery() is false), as expected for an already promoted cluster`,
            }
          : {
              status: 'fail',
              check: standbyCheck,
              detail: `${where} is not a standby (pg_is_in_recovery() is false): it accepts writes, so it is the source or another primary, not the Aurora replica. Point replicaConnection at the replica (its reader endpoint and port)`,
            },
      );
      return out;
    }
    const lastAt = r.replayed_at ? new Date(r.replayed_at).toISOString() : undefined;
    const age = r.replay_age === null ? undefined : Math.max(0, r.replay_age);
    out.push({
      status: 'pass',
      check: standbyCheck,
      detail:
        `${where} is a standby (in recovery): received WAL up to ${r.received ?? 'unknown'}, replayed up to ${r.replayed ?? 'unknown'}` +
        (lastAt
          ? `; last replayed transaction committed on the source at ${lastAt}${age === undefined ? '' : ` (${age.toFixed(1)}s ago; with no writes on the source this only grows)`}`
          : '; no transaction replayed since it started'),
    });
    if (r.paused) {
      out.push({
        status: 'fail',
        check: 'replica is replaying',
        detail: `WAL replay is paused on ${where} (pg_is_wal_replay_paused()): the cutover marker would never appear and the window would roll back. Resume replay (pg_wal_replay_resume()) before the cutover`,
      });
    }
    if (!r.can_create) {
      out.push({
        status: 'warn',
        check: 'marker database allows CREATE',
        detail: `${r.me} has no CREATE on database "${conn.database}" (read on the replica, whose catalogs are the source's): the freeze connection's user writes the marker (schema aurora_migrate) there on the source and needs CREATE on it, unless it is another user that has it`,
      });
    }
    return out;
  });
}
