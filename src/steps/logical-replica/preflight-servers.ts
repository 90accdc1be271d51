// The server-side half of logical-replica's preflight: settings, headroom and privileges on the
// source (wal_level, replication slots and senders for the subscription plus its table-sync
// workers' temporary slots, the replication privilege, slots already there) and on the target
// (major version, the right to create subscriptions, workers, the database, extensions).
import type { ResolvedConnection } from '../../db/api.js';
import type { LogicalReplicaSpec } from '../../plan/types.js';
import type { CheckResult, PreflightContext } from '../step.js';
import type { ReplicationNames } from './spec.js';

type Read = <R = Record<string, unknown>>(sql: string, params?: unknown[]) => Promise<R[]>;
type Open = (ctx: PreflightContext, conn: ResolvedConnection) => Promise<{ read: Read; close(): Promise<void> }>;

/** Table-sync workers per subscription when the target does not say (PostgreSQL's default). */
const DEFAULT_SYNC_WORKERS = 2;

const setting = async (read: Read, name: string) =>
  (await read<{ v: string }>('SELECT setting AS v FROM pg_settings WHERE name = $1', [name]))[0]?.v;

export async function sourceSideChecks(
  read: Read,
  spec: LogicalReplicaSpec,
  ctx: PreflightContext,
  names: ReplicationNames,
  user: string,
): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  const wal = await setting(read, 'wal_level');
  const enabler = ctx.earlierSteps?.find((s) => s.type === 'enable-logical-replication');
  out.push(
    wal === 'logical'
      ? { status: 'pass', check: 'wal_level', detail: 'logical' }
      : enabler
        ? {
            status: 'warn',
            check: 'wal_level',
            detail: `${wal} now; step "${enabler.id}" (enable-logical-replication) sets rds.logical_replication = 1 before this step`,
          }
        : {
            status: 'fail',
            check: 'wal_level',
            detail: `${wal}, not logical: set rds.logical_replication = 1 in the source's parameter group and reboot it (an enable-logical-replication step before this one does both)`,
          },
  );
  const slots = await read<{ slot_name: string; slot_type: string; active: boolean; retained: number | null }>(
    `SELECT slot_name, slot_type, active, pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::float8 AS retained FROM pg_replication_slots ORDER BY slot_name`,
  );
  const ours = slots.find((s) => s.slot_name === names.slot);
  const need = (ours ? 0 : 1) + DEFAULT_SYNC_WORKERS;
  const maxSlots = Number(await setting(read, 'max_replication_slots'));
  const maxSenders = Number(await setting(read, 'max_wal_senders'));
  // On a resume, the copy's own slots and senders (its table-sync slots, its walsenders) are in use already.
  const [{ senders }] = await read<{ senders: number }>(
    `SELECT count(*)::int AS senders FROM pg_stat_replication WHERE $1 = false OR application_name IS DISTINCT FROM 'aurora-migrate-subscription'`,
    [Boolean(ours)],
  );
  const slotFree = maxSlots - slots.filter((x) => !(ours && /^pg_\d+_sync_/.test(x.slot_name))).length;
  const senderFree = maxSenders - senders;
  out.push(
    slotFree >= need && senderFree >= need
      ? {
          status: 'pass',
          check: 'replication slots and senders on the source',
          detail: `${slotFree} slot(s) and ${senderFree} sender(s) free; the copy needs ${need} (the subscription's slot and ${DEFAULT_SYNC_WORKERS} table-sync workers' temporary slots)`,
        }
      : {
          status: 'fail',
          check: 'replication slots and senders on the source',
          detail: `${slotFree} slot(s) (max_replication_slots ${maxSlots}) and ${senderFree} sender(s) (max_wal_senders ${maxSenders}) free, the copy needs ${need} of each (the subscription's slot and ${DEFAULT_SYNC_WORKERS} table-sync workers' temporary slots). Raise them in the parameter group (enable-logical-replication's parameters) and reboot`,
        },
  );
  const others = slots.filter((s) => s.slot_name !== names.slot && !/^pg_\d+_sync_/.test(s.slot_name));
  const inactive = others.filter((s) => !s.active);
  if (ours)
    out.push({
      status: 'pass',
      check: 'slot of this step',
      detail: `${names.slot} exists (an earlier run): it will be adopted`,
    });
  if (others.length) {
    out.push({
      status: inactive.length ? 'warn' : 'pass',
      check: 'other replication slots on the source',
      detail: `${others.map((s) => `${s.slot_name} (${s.slot_type}${s.active ? ', active' : ', INACTIVE'})`).join(', ')}${inactive.length ? `; an inactive slot keeps WAL on the source until it is dropped (${inactive.map((s) => s.slot_name).join(', ')})` : ''}`,
    });
  }
  const [priv] = await read<{ rep: boolean; rds: boolean; create: boolean; schema_ok: boolean | null }>(
    `SELECT r.rolreplication OR r.rolsuper AS rep,
            EXISTS (SELECT 1 FROM pg_roles g WHERE g.rolname = 'rds_replication' AND pg_has_role(current_user, g.oid, 'MEMBER')) AS rds,
            has_database_privilege(current_database(), 'CREATE') AS create,
            (SELECT pg_has_role(n.nspowner, 'USAGE') FROM pg_namespace n WHERE n.nspname = 'aurora_migrate') AS schema_ok
       FROM pg_roles r WHERE r.rolname = current_user`,
  );
  out.push(
    priv?.rep || priv?.rds
      ? {
          status: 'pass',
          check: 'replication privilege on the source',
          detail: `${user} may stream logical changes (${priv.rds ? 'rds_replication' : 'REPLICATION'})`,
        }
      : {
          status: 'fail',
          check: 'replication privilege on the source',
          detail: `${user} may not stream logical changes: the subscription connects as ${user}. Run on the source: GRANT rds_replication TO ${user};`,
        },
  );
  out.push(
    priv?.create || priv?.schema_ok
      ? {
          status: 'pass',
          check: 'aurora_migrate schema on the source',
          detail: 'the marker table and the DDL log can be created',
        }
      : {
          status: 'fail',
          check: 'aurora_migrate schema on the source',
          detail: `${user} may not create schema aurora_migrate in the source database (marker table, DDL log). Run on the source: GRANT CREATE ON DATABASE ${spec.source.database} TO ${user};`,
        },
  );
  const logins = await read<{ r: string }>(
    `SELECT rolname AS r FROM pg_roles WHERE rolcanlogin AND NOT rolsuper AND rolname !~ '^(pg_|rds)' ORDER BY 1`,
  );
  const ready = new Set([...Object.keys(spec.rolePasswords ?? {}), ...(spec.rolesReady ?? []), user, spec.target.user]);
  const missing = logins.map((x) => x.r).filter((r) => !ready.has(r));
  out.push(
    missing.length
      ? {
          status: 'warn',
          check: 'role passwords on the target',
          detail: `${missing.join(', ')} can log in to the source but will have no password on the target (RDS does not let anyone read passwords): give them in rolePasswords (\${env.…}), or list them in rolesReady if they log in another way (IAM)`,
        }
      : {
          status: 'pass',
          check: 'role passwords on the target',
          detail: 'every login role of the source is in rolePasswords or rolesReady',
        },
  );
  return out;
}

export async function targetSideChecks(
  ctx: PreflightContext,
  target: ResolvedConnection,
  sourceMajor: number,
  open: Open,
  sourceExtensions: readonly string[] = [],
  owners: readonly string[] = [],
): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  let conn: Awaited<ReturnType<Open>>;
  let dbMissing = false;
  try {
    conn = await open(ctx, target);
  } catch (err) {
    if (!/does not exist/.test((err as Error).message))
      return [{ status: 'fail', check: 'target reachable', detail: (err as Error).message }];
    dbMissing = true;
    try {
      conn = await open(ctx, { ...target, database: 'postgres' });
    } catch (err2) {
      return [{ status: 'fail', check: 'target reachable', detail: (err2 as Error).message }];
    }
  }
  try {
    const major = Number(
      (await conn.read<{ m: number }>(`SELECT current_setting('server_version_num')::int / 10000 AS m`))[0].m,
    );
    out.push(
      major >= sourceMajor
        ? { status: 'pass', check: 'target version', detail: `${major} (source ${sourceMajor})` }
        : {
            status: 'fail',
            check: 'target version',
            detail: `the target is PostgreSQL ${major}, older than the source's ${sourceMajor}: replicate to the same or a newer major`,
          },
    );
    const [p] = await conn.read<{ sup: boolean; createdb: boolean; sub: boolean; rds: boolean }>(
      `SELECT r.rolsuper AS sup, r.rolcreatedb AS createdb,
              EXISTS (SELECT 1 FROM pg_roles g WHERE g.rolname = 'pg_create_subscription' AND pg_has_role(current_user, g.oid, 'USAGE')) AS sub,
              EXISTS (SELECT 1 FROM pg_roles g WHERE g.rolname = 'rds_superuser' AND pg_has_role(current_user, g.oid, 'MEMBER')) AS rds
         FROM pg_roles r WHERE r.rolname = current_user`,
    );
    out.push(
      p?.sup || p?.sub || (p?.rds && major < 16)
        ? {
            status: 'pass',
            check: 'subscription privilege on the target',
            detail: `${target.user} may create subscriptions`,
          }
        : {
            status: 'fail',
            check: 'subscription privilege on the target',
            detail: `${target.user} may not create subscriptions. Run on the target: ${major >= 16 ? `GRANT pg_create_subscription TO ${target.user};` : `GRANT rds_superuser TO ${target.user};`}`,
          },
    );
    if (dbMissing)
      out.push(
        p?.createdb
          ? {
              status: 'pass',
              check: 'target database',
              detail: `${target.database} does not exist yet; it will be created`,
            }
          : {
              status: 'fail',
              check: 'target database',
              detail: `${target.database} does not exist and ${target.user} may not create databases (CREATEDB)`,
            },
      );
    const workers = Number(await setting(conn.read, 'max_logical_replication_workers'));
    const sync = Number((await setting(conn.read, 'max_sync_workers_per_subscription')) ?? DEFAULT_SYNC_WORKERS);
    const [{ subs }] = await conn.read<{ subs: number }>(
      `SELECT count(*)::int AS subs FROM pg_stat_subscription WHERE pid IS NOT NULL`,
    );
    out.push(
      workers - subs >= 1 + sync
        ? {
            status: 'pass',
            check: 'logical replication workers on the target',
            detail: `${workers - subs} free (max_logical_replication_workers ${workers}); the copy uses 1 + ${sync}`,
          }
        : {
            status: 'fail',
            check: 'logical replication workers on the target',
            detail: `${workers - subs} free (max_logical_replication_workers ${workers}); the copy needs 1 apply worker + ${sync} table-sync workers: raise it in the cluster parameter group`,
          },
    );
    // Owners of the replicated tables that already exist on the target: the tool must be able to act as them (ALTER … OWNER, REFRESH, post-data).
    const stuck: string[] = [];
    for (const owner of owners) {
      const [o] = await conn.read<{ exists: boolean; ok: boolean | null }>(
        `SELECT true AS exists, r.rolsuper OR r.rolname ~ '^(pg_|rds)' OR pg_has_role(current_user, r.oid, 'USAGE')
                OR EXISTS (SELECT 1 FROM pg_auth_members m WHERE m.roleid = r.oid AND m.member = (SELECT oid FROM pg_roles WHERE rolname = current_user) AND m.admin_option)
                OR (current_setting('server_version_num')::int < 160000 AND (SELECT rolcreaterole FROM pg_roles WHERE rolname = current_user)) AS ok
           FROM pg_roles r WHERE r.rolname = $1`,
        [owner],
      );
      if (o && !o.ok) stuck.push(owner);
    }
    if (owners.length) {
      out.push(
        stuck.length
          ? {
              status: 'fail',
              check: 'table owners on the target',
              detail: `${stuck.join(', ')} already exist${stuck.length > 1 ? '' : 's'} on the target and ${target.user} can neither act as nor join ${stuck.length > 1 ? 'them' : 'it'} (the copied tables get their source owners). Run on the target: ${stuck.map((r) => `GRANT ${r} TO ${target.user};`).join(' ')}`,
            }
          : {
              status: 'pass',
              check: 'table owners on the target',
              detail: `${target.user} can act as ${owners.join(', ')} (or will create ${owners.length > 1 ? 'them' : 'it'})`,
            },
      );
    }
    const available = new Set(
      (await conn.read<{ name: string }>('SELECT name FROM pg_available_extensions')).map((r) => r.name),
    );
    const missing = sourceExtensions.filter((e) => !available.has(e));
    if (sourceExtensions.length) {
      out.push(
        missing.length
          ? {
              status: 'fail',
              check: 'extensions on the target',
              detail: `the source uses ${missing.join(', ')}, not available on the target: the schema copy would fail`,
            }
          : { status: 'pass', check: 'extensions on the target', detail: `available: ${sourceExtensions.join(', ')}` },
      );
    }
  } finally {
    await conn.close().catch(() => undefined);
  }
  return out;
}
