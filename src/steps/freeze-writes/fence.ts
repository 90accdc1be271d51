// The fence of freeze-writes (docs/cutover.md "The fence": what was measured, and why a REVOKE is
// read back). A read-only default alone is no fence: a session that opens its transaction READ
// WRITE still writes, and applications reconnect at once. So `fence: connections` takes CONNECT on
// each frozen database away from every role that does not keep it, and READS BACK
// has_database_privilege for PUBLIC and every login role, because a REVOKE by a role without the
// right only warns "no privileges could be revoked". Undo puts CONNECT back as it was (compared
// with aclexplode: grantee and grant option), from the ACL recorded before the first change.
//
// What the fence changed is also kept on the server itself, in aurora_migrate.fence of the freeze
// connection's database, so that a later plan (the logical route's fallback) can lift it there.
import { PREVIOUS_SETTINGS_SQL, quoteIdent, quoteRole, restoreSql, settingIn } from './sql.js';

/** Runs one statement on the freeze's session (recorded in the event log) and returns its rows. */
export type Sql = <R>(text: string, params?: unknown[]) => Promise<R[]>;

/** RDS's own roles: never fenced off, never terminated (rdsadmin is the RDS agent). */
export const RDS_SYSTEM_ROLES = ['rdsadmin', 'rdsrepladmin'] as const;

/** Each listed database as it is now: owner, ACL (null: the owner's defaults) and database-wide settings. */
export const DATABASES_BEFORE_SQL =
  'SELECT d.datname, pg_get_userbyid(d.datdba) AS owner, d.datacl::text[] AS acl, s.setconfig FROM pg_database d ' +
  'LEFT JOIN pg_db_role_setting s ON s.setdatabase = d.oid AND s.setrole = 0 WHERE d.datname = ANY($1::text[])';

export const EXISTING_ROLES_SQL = 'SELECT rolname::text AS rolname FROM pg_roles WHERE rolname = ANY($1::text[])';

/** Who holds CONNECT on the databases through their ACL (PUBLIC for grantee 0). */
export const CONNECT_GRANTEES_SQL =
  "SELECT d.datname, CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee) END AS grantee, a.is_grantable " +
  "FROM pg_database d, aclexplode(COALESCE(d.datacl, acldefault('d', d.datdba))) a " +
  "WHERE d.datname = ANY($1::text[]) AND a.privilege_type = 'CONNECT'";

/** The same for a recorded ACL ($2, text form; null: the owner's defaults) of one database ($1). */
export const RECORDED_GRANTEES_SQL =
  "SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee) END AS grantee, a.is_grantable " +
  "FROM pg_database d, aclexplode(COALESCE($2::text[]::aclitem[], acldefault('d', d.datdba))) a " +
  "WHERE d.datname = $1 AND a.privilege_type = 'CONNECT'";

/**
 * The read-back: PUBLIC, or a login role that is neither a superuser nor kept ($2), that can still
 * connect to a listed database — directly, through PUBLIC, or through a role it inherits from.
 */
export const CAN_CONNECT_SQL =
  'SELECT d.datname, x.rolname FROM pg_database d CROSS JOIN LATERAL (' +
  "SELECT 'PUBLIC'::text AS rolname WHERE EXISTS (SELECT 1 FROM aclexplode(COALESCE(d.datacl, acldefault('d', d.datdba))) a " +
  "WHERE a.grantee = 0 AND a.privilege_type = 'CONNECT') " +
  "UNION ALL SELECT r.rolname::text FROM pg_roles r WHERE r.rolcanlogin AND NOT r.rolsuper AND has_database_privilege(r.oid, d.oid, 'CONNECT')" +
  ') x WHERE d.datname = ANY($1::text[]) AND NOT (x.rolname = ANY($2::text[])) ORDER BY 1, 2';

/** Superusers that may log in: no fence stops them (on RDS only rdsadmin is one). */
export const LOGIN_SUPERUSERS_SQL =
  'SELECT rolname::text AS rolname FROM pg_roles WHERE rolsuper AND rolcanlogin AND NOT (rolname = ANY($1::text[])) ORDER BY 1';

// ---- the record on the server ---------------------------------------------------------------------

export const FENCE_TABLE = 'aurora_migrate.fence';
export const FENCE_RECORD_SETUP_SQL = [
  'CREATE SCHEMA IF NOT EXISTS aurora_migrate',
  'CREATE TABLE IF NOT EXISTS aurora_migrate.fence (datname text PRIMARY KEY, previous_acl text[], previous_setting text, ' +
    'fence text NOT NULL, kept_roles text[] NOT NULL, plan text NOT NULL, step text NOT NULL, run_id text NOT NULL, ' +
    'fenced_at timestamptz NOT NULL DEFAULT now())',
];
/** Writes one database's record; never overwrites the record of another run. */
export const FENCE_RECORD_UPSERT_SQL =
  'INSERT INTO aurora_migrate.fence (datname, previous_acl, previous_setting, fence, kept_roles, plan, step, run_id) ' +
  'VALUES ($1, $2::text[], $3, $4, $5::text[], $6, $7, $8) ON CONFLICT (datname) DO UPDATE SET previous_acl = EXCLUDED.previous_acl, ' +
  'previous_setting = EXCLUDED.previous_setting, fence = EXCLUDED.fence, kept_roles = EXCLUDED.kept_roles WHERE aurora_migrate.fence.run_id = EXCLUDED.run_id';
export const FENCE_TABLE_PRESENT_SQL = "SELECT to_regclass('aurora_migrate.fence') IS NOT NULL AS present";
export const FENCE_RECORDS_SQL =
  'SELECT datname, plan, step, run_id, fenced_at::text AS fenced_at FROM aurora_migrate.fence WHERE datname = ANY($1::text[])';
export const FENCE_RECORD_DELETE_SQL = 'DELETE FROM aurora_migrate.fence WHERE datname = ANY($1::text[])';

export interface FenceRecordRow {
  datname: string;
  plan: string;
  step: string;
  run_id: string;
  fenced_at: string;
}

/** The fence records for `databases` on the session's database, or [] when there is no table. */
export async function fenceRecords(sql: Sql, databases: readonly string[]): Promise<FenceRecordRow[]> {
  const [{ present }] = await sql<{ present: boolean }>(FENCE_TABLE_PRESENT_SQL);
  return present ? sql<FenceRecordRow>(FENCE_RECORDS_SQL, [databases]) : [];
}

export interface RecordedDatabase {
  datname: string;
  acl: string[] | null;
  setting: string | null;
}

/** Records what the fence is about to change, before it changes anything (same values on every resume). */
export async function writeFenceRecord(
  sql: Sql,
  rows: readonly RecordedDatabase[],
  meta: { fence: string; keptRoles: readonly string[]; plan: string; step: string; runId: string },
): Promise<void> {
  for (const statement of FENCE_RECORD_SETUP_SQL) await sql(statement);
  for (const r of rows) {
    await sql(FENCE_RECORD_UPSERT_SQL, [
      r.datname,
      r.acl,
      r.setting,
      meta.fence,
      meta.keptRoles,
      meta.plan,
      meta.step,
      meta.runId,
    ]);
  }
}

/** Removes the records of `databases` (a no-op without the table). */
export async function deleteFenceRecord(sql: Sql, databases: readonly string[]): Promise<void> {
  const [{ present }] = await sql<{ present: boolean }>(FENCE_TABLE_PRESENT_SQL);
  if (present) await sql(FENCE_RECORD_DELETE_SQL, [databases]);
}

// ---- statements -----------------------------------------------------------------------------------

const grantee = (role: string) => (role === 'PUBLIC' ? 'PUBLIC' : quoteRole(role));
export const grantConnectSql = (db: string, role: string, grantable = false) =>
  `GRANT CONNECT ON DATABASE ${quoteIdent(db)} TO ${grantee(role)}${grantable ? ' WITH GRANT OPTION' : ''}`;
export const revokeConnectSql = (db: string, role: string) =>
  `REVOKE CONNECT ON DATABASE ${quoteIdent(db)} FROM ${grantee(role)} CASCADE`;
const revokeGrantOptionSql = (db: string, role: string) =>
  `REVOKE GRANT OPTION FOR CONNECT ON DATABASE ${quoteIdent(db)} FROM ${grantee(role)} CASCADE`;

interface GranteeRow {
  datname?: string;
  grantee: string;
  is_grantable: boolean;
}

/** A grantee name pg_get_userbyid gives for a role that no longer exists. */
const droppedRole = (name: string) => /^unknown \(OID=\d+\)$/.test(name);

/**
 * Takes CONNECT away: kept roles get it explicitly first (so the tool and the replication users keep
 * their way in), then PUBLIC and every other grantee but the owner lose it. Idempotent. Returns the
 * grantees it revoked from, per database.
 */
export async function applyFence(
  sql: Sql,
  databases: readonly string[],
  kept: readonly string[],
  owners: Readonly<Record<string, string>>,
): Promise<Record<string, string[]>> {
  for (const d of databases) for (const role of kept) await sql(grantConnectSql(d, role));
  const holders = await sql<Required<GranteeRow>>(CONNECT_GRANTEES_SQL, [databases]);
  const revoked: Record<string, string[]> = {};
  for (const d of databases) {
    revoked[d] = [];
    for (const h of holders.filter((x) => x.datname === d)) {
      if (kept.includes(h.grantee) || h.grantee === owners[d] || droppedRole(h.grantee)) continue;
      await sql(revokeConnectSql(d, h.grantee));
      revoked[d].push(h.grantee);
    }
  }
  return revoked;
}

export interface StillConnects {
  datname: string;
  rolname: string;
}

/** The read-back: who, not kept, can still connect (an empty list means the fence holds). */
export function readBack(sql: Sql, databases: readonly string[], kept: readonly string[]): Promise<StillConnects[]> {
  return sql<StillConnects>(CAN_CONNECT_SQL, [databases, kept]);
}

/** "app on orders (owner of the database)", for messages. */
export function describeStillConnects(
  rows: readonly StillConnects[],
  owners: Readonly<Record<string, string>>,
): string {
  return rows
    .map(
      (r) =>
        `${r.rolname === 'PUBLIC' ? 'PUBLIC (every role)' : `role ${r.rolname}`} on "${r.datname}"${owners[r.datname] === r.rolname ? ' (it owns the database)' : ''}`,
    )
    .join(', ');
}

/**
 * Puts CONNECT on `db` back as recorded (`acl` null: the owner's defaults): grantees the fence added
 * lose it, grantees it removed get it back with their grant option. Converges; safe to repeat.
 * Returns the statements it ran.
 */
export async function restoreConnect(sql: Sql, db: string, acl: readonly string[] | null): Promise<string[]> {
  const before = await sql<GranteeRow>(RECORDED_GRANTEES_SQL, [db, acl]);
  const now = await sql<Required<GranteeRow>>(CONNECT_GRANTEES_SQL, [[db]]);
  const ran: string[] = [];
  const run = async (statement: string) => {
    await sql(statement);
    ran.push(statement);
  };
  for (const n of now) {
    if (droppedRole(n.grantee)) continue;
    const b = before.find((x) => x.grantee === n.grantee);
    if (!b) await run(revokeConnectSql(db, n.grantee));
    else if (n.is_grantable && !b.is_grantable) await run(revokeGrantOptionSql(db, n.grantee));
  }
  for (const b of before) {
    if (droppedRole(b.grantee)) continue;
    const n = now.find((x) => x.grantee === b.grantee);
    if (!n || (b.is_grantable && !n.is_grantable)) await run(grantConnectSql(db, b.grantee, b.is_grantable));
  }
  return ran;
}

export const FENCE_RECORD_READ_SQL =
  'SELECT datname, previous_acl, previous_setting FROM aurora_migrate.fence WHERE datname = ANY($1::text[])';

/**
 * Lifts what aurora_migrate.fence on this session's database recorded for `databases`: each one's
 * read-only setting and CONNECT privileges back as they were before the fence, then the record
 * removed. Databases without a record are left alone. Returns the databases lifted. (The logical
 * route's lift-fence step; the session must be writable for itself — OWN_SESSION_WRITABLE_SQL.)
 */
export async function liftFence(sql: Sql, databases: readonly string[]): Promise<string[]> {
  const [{ present }] = await sql<{ present: boolean }>(FENCE_TABLE_PRESENT_SQL);
  if (!present) return [];
  const records = await sql<{ datname: string; previous_acl: string[] | null; previous_setting: string | null }>(
    FENCE_RECORD_READ_SQL,
    [databases],
  );
  const now = await sql<{ datname: string; setconfig: string[] | null }>(PREVIOUS_SETTINGS_SQL, [
    records.map((r) => r.datname),
  ]);
  for (const r of records) {
    const row = now.find((x) => x.datname === r.datname);
    if (row && settingIn(row.setconfig) !== r.previous_setting) await sql(restoreSql(r.datname, r.previous_setting));
    await restoreConnect(sql, r.datname, r.previous_acl);
  }
  if (records.length) await sql(FENCE_RECORD_DELETE_SQL, [records.map((r) => r.datname)]);
  return records.map((r) => r.datname);
}
