// The statements of reverse-replication and their builders, shared by the run, the dry-run and the
// preflight, so what `plan` shows is what `apply` sends. The subscription's CONNECTION carries the
// Aurora user's password to the old source (which keeps it in pg_subscription); every copy the tool
// shows or records has it as *** (conninfo(…, true)).
import type { ResolvedConnection } from '../../db/api.js';
import { conninfo, lit, q } from '../logical-replica/spec.js';

export interface ReverseNames {
  /** The reverse publication and slot on Aurora (one name, the switchover's). */
  slot: string;
  /** The subscription on the old source (this step's deterministic name). */
  subscription: string;
}

/**
 * CREATE SUBSCRIPTION on the old source: no copy (the old source has every row up to the switch),
 * no slot (the switchover made it before the switch, so it holds every write since), and on a 16+
 * subscriber origin = none, so nothing the old source applies is ever sent back.
 */
export function createReverseSubscriptionSql(
  names: ReverseNames,
  publisher: ResolvedConnection,
  subscriberMajor: number,
  mask: boolean,
): string {
  const origin = subscriberMajor >= 16 ? ', origin = none' : '';
  return `CREATE SUBSCRIPTION ${q(names.subscription)} CONNECTION ${lit(conninfo(publisher, mask))} PUBLICATION ${q(names.slot)} WITH (copy_data = false, create_slot = false, slot_name = ${lit(names.slot)}${origin})`;
}

/** The fence's read-only default applies to the tool's session too: off for this session only (AWS-FACTS "Reverse replication"). */
export const SESSION_WRITABLE_SQL = 'SET default_transaction_read_only = off';

export const SERVER_MAJOR_SQL = "SELECT current_setting('server_version_num')::int / 10000 AS major";

/** The reverse publication and slot on Aurora, by name. */
export const REVERSE_OBJECTS_SQL = `SELECT (SELECT count(*) FROM pg_publication WHERE pubname = $1)::int AS publications,
  s.slot_type AS type, s.plugin, s.active, s.active_pid AS pid, s.database::text AS database
  FROM (SELECT 1) one LEFT JOIN pg_replication_slots s ON s.slot_name = $1`;

/** How far the reverse slot is behind Aurora's WAL, and whether it is past $2 (the position when the subscription was made). */
export const REVERSE_LAG_SQL = `SELECT active, pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::float8 AS lag,
  confirmed_flush_lsn >= $2::pg_lsn AS past, confirmed_flush_lsn::text AS confirmed
  FROM pg_replication_slots WHERE slot_name = $1`;

export const CURRENT_LSN_SQL = 'SELECT pg_current_wal_lsn()::text AS lsn';

/** The apply worker of the subscription on the old source (no row: not running). */
export const APPLY_WORKER_SQL =
  'SELECT pid, received_lsn::text AS received, latest_end_lsn::text AS applied FROM pg_stat_subscription WHERE subname = $1 AND relid IS NULL';

/** A slot on the old source, by name (the forward subscription's, which DROP SUBSCRIPTION drops). */
export const SLOT_SQL = 'SELECT active, active_pid AS pid FROM pg_replication_slots WHERE slot_name = $1';

/**
 * May the user create a subscription on this server: on 16+ pg_create_subscription (and CREATE on
 * the database); before 16 only a superuser — RDS lets rds_superuser, stock PostgreSQL nobody else.
 */
export const SUBSCRIBE_PRIVILEGE_SQL = `SELECT current_user AS me, r.rolsuper AS superuser,
  current_setting('server_version_num')::int / 10000 AS major,
  EXISTS (SELECT 1 FROM pg_roles g WHERE g.rolname = 'rds_superuser' AND pg_has_role(r.oid, g.oid, 'MEMBER')) AS rds_superuser,
  EXISTS (SELECT 1 FROM pg_roles g WHERE g.rolname = 'pg_create_subscription' AND pg_has_role(r.oid, g.oid, 'MEMBER')) AS create_subscription,
  has_database_privilege(current_database(), 'CREATE') AS db_create,
  current_setting('rds.extensions', true) IS NOT NULL AS rds
  FROM pg_roles r WHERE r.rolname = current_user`;

export interface SubscribePrivilege {
  me: string;
  superuser: boolean;
  major: number;
  rds_superuser: boolean;
  create_subscription: boolean;
  db_create: boolean;
  /** RDS or Aurora (rds.extensions is RDS's own setting): there rds_superuser may create subscriptions before 16 too. */
  rds: boolean;
}

/** Why this user may not CREATE SUBSCRIPTION there, with the fix; undefined when it may. */
export function subscribeProblem(p: SubscribePrivilege, database: string): string | undefined {
  if (p.superuser) return undefined;
  if (p.major < 16) {
    if (p.rds && p.rds_superuser) return undefined;
    if (p.rds)
      return `${p.me} may not create a subscription on the old source: on RDS PostgreSQL ${p.major} only rds_superuser may. Connect "target" as the RDS master user (or GRANT rds_superuser TO ${p.me})`;
    return `${p.me} may not create a subscription on the old source: stock PostgreSQL ${p.major} lets only a superuser do it (RDS would let rds_superuser; from 16, pg_create_subscription). Connect "target" as a superuser for this one step`;
  }
  if (!p.create_subscription)
    return `${p.me} may not create a subscription on the old source: run there GRANT pg_create_subscription TO ${p.me}`;
  if (!p.db_create)
    return `${p.me} may not create a subscription in database ${database}: run there GRANT CREATE ON DATABASE ${q(database)} TO ${p.me}`;
  return undefined;
}
