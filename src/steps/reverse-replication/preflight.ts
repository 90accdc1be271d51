// Read-only checks of reverse-replication (plan --preflight), each run only when its connection is
// known now. The old source: may the user CREATE SUBSCRIPTION there (superuser before 16 — RDS lets
// rds_superuser —, pg_create_subscription and CREATE on the database from 16), with the exact fix.
// Aurora: wal_level = logical, the user may stream from a slot (rds_replication), and — once the
// names are known — the reverse publication and slot the switchover creates, and the forward
// subscription this step drops.
import type { DbSession, ResolvedConnection } from '../../db/api.js';
import { toResolvedConnection } from '../../db/connection.js';
import type { ConnectionSpec, ReverseReplicationSpec } from '../../plan/types.js';
import { SLOT_PRIVILEGE_SQL, WAL_LEVEL_SQL } from '../logical-switchover/reverse.js';
import { known } from '../preflight-helpers.js';
import type { CheckResult, PreflightContext } from '../step.js';
import { REVERSE_OBJECTS_SQL, SUBSCRIBE_PRIVILEGE_SQL, subscribeProblem, type SubscribePrivilege } from './sql.js';

const allKnown = (c: ConnectionSpec) =>
  [c.host, c.user, c.database, String(c.port ?? '5432'), c.password ?? 'none'].every(known);
type Read = <R>(sql: string, params?: unknown[]) => Promise<R[]>;

async function withRead(
  ctx: PreflightContext,
  conn: ResolvedConnection,
  fn: (read: Read) => Promise<CheckResult[]>,
): Promise<CheckResult[]> {
  const session: DbSession = await ctx.db.connect(conn, { signal: ctx.signal, statementTimeoutMs: 15_000 });
  try {
    return await fn(async (sql, params) => (await session.query(sql, params)).rows as never);
  } finally {
    await session.close().catch(() => undefined);
  }
}

async function side(
  ctx: PreflightContext,
  spec: ConnectionSpec,
  field: 'source' | 'target',
  label: string,
  fn: (read: Read, conn: ResolvedConnection) => Promise<CheckResult[]>,
): Promise<CheckResult[]> {
  if (!allKnown(spec))
    return [
      {
        status: 'warn',
        check: `${label} checks`,
        detail: `skipped: the ${field} connection is known only after an earlier step has run (apply checks it when the step starts)`,
      },
    ];
  try {
    const conn = toResolvedConnection(spec, field);
    return await withRead(ctx, conn, (read) => fn(read, conn));
  } catch (err) {
    return [{ status: 'fail', check: `${label} reachable`, detail: (err as Error).message }];
  }
}

export async function reversePreflight(spec: ReverseReplicationSpec, ctx: PreflightContext): Promise<CheckResult[]> {
  const oldSide = await side(ctx, spec.target, 'target', 'old source', async (read, conn) => {
    const [p] = await read<SubscribePrivilege>(SUBSCRIBE_PRIVILEGE_SQL);
    const problem = p
      ? subscribeProblem({ ...p, major: Number(p.major) }, conn.database)
      : `${conn.user} is not a role there`;
    return [
      p && !problem
        ? {
            status: 'pass',
            check: 'CREATE SUBSCRIPTION on the old source',
            detail: `${p.me} may create the reverse subscription (PostgreSQL ${p.major}${Number(p.major) >= 16 ? ', with origin = none' : ''})`,
          }
        : {
            status: 'fail',
            check: 'CREATE SUBSCRIPTION on the old source',
            detail: problem ?? `${conn.user} is not a role there`,
          },
    ];
  });
  const auroraSide = await side(ctx, spec.source, 'source', 'Aurora', async (read, conn) => {
    const out: CheckResult[] = [];
    const [{ wal_level }] = await read<{ wal_level: string }>(WAL_LEVEL_SQL);
    out.push(
      wal_level === 'logical'
        ? { status: 'pass', check: 'Aurora publishes', detail: 'wal_level = logical' }
        : {
            status: 'fail',
            check: 'Aurora publishes',
            detail: `wal_level is ${wal_level}: set rds.logical_replication = 1 in the cluster parameter group (aurora-cluster does it at creation) and reboot the writer, before the cutover`,
          },
    );
    const [priv] = await read<{ ok: boolean }>(SLOT_PRIVILEGE_SQL);
    out.push(
      priv?.ok
        ? {
            status: 'pass',
            check: 'the subscription may stream from Aurora',
            detail: `${conn.user} may read a replication slot`,
          }
        : {
            status: 'fail',
            check: 'the subscription may stream from Aurora',
            detail: `${conn.user} may not read a replication slot there: on Aurora run GRANT rds_replication TO ${conn.user}`,
          },
    );
    if (known(spec.reverseSlot)) {
      const [o] = await read<{ publications: number; type: string | null }>(REVERSE_OBJECTS_SQL, [spec.reverseSlot]);
      out.push(
        o?.publications && o.type
          ? { status: 'pass', check: 'reverse publication and slot', detail: `${spec.reverseSlot} exists on Aurora` }
          : {
              status: 'warn',
              check: 'reverse publication and slot',
              detail: `${spec.reverseSlot} is not on Aurora yet: the logical-switchover creates it before the switch (the step stops if it is still missing then)`,
            },
      );
    } else {
      out.push({
        status: 'warn',
        check: 'reverse publication and slot',
        detail: "skipped: the name is the logical-switchover's reverseSlot output, known once it has run",
      });
    }
    return out;
  });
  return [...oldSide, ...auroraSide];
}
