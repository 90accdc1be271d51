// The SQL of the freeze, and the quoting of the database names it is given. A database name from
// the plan is the name as PostgreSQL stores it (what `psql -d` takes, case kept); it is checked
// against pg_database through a bound parameter, and only then quoted as an SQL identifier into
// ALTER DATABASE (which cannot take a parameter). Names that cannot be a database name are refused.

/** Why `name` cannot be used as a database name, or undefined when it can. */
export function databaseNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'is empty';
  if (Buffer.byteLength(name, 'utf8') > 63) return "is longer than 63 bytes, PostgreSQL's limit for a database name";
  // Control characters (NUL, newline, …) cannot be in a database name the tool can quote safely.
  if (/[\u0000-\u001f\u007f]/.test(name))
    return 'contains a control character (such as a newline); no such database can be frozen safely';
  return undefined;
}

/** `name` as an SQL identifier: in double quotes, inner double quotes doubled. Refuses unsafe names. */
export function quoteIdent(name: string): string {
  const problem = databaseNameProblem(name);
  if (problem) throw new Error(`database name ${JSON.stringify(name)} ${problem}`);
  return `"${name.replace(/"/g, '""')}"`;
}

/** A role name as an SQL identifier (same rules as a database name). */
export function quoteRole(name: string): string {
  const problem = databaseNameProblem(name);
  if (problem)
    throw new Error(
      `role name ${JSON.stringify(name)} ${problem.replace('a database name', 'a role name').replace('no such database can be frozen safely', 'it cannot be quoted safely')}`,
    );
  return `"${name.replace(/"/g, '""')}"`;
}

/** The tool's own session may land in a database it froze earlier (a resume): it lifts the default for itself. */
export const OWN_SESSION_WRITABLE_SQL = 'SET default_transaction_read_only = off';

/** A value as an SQL string literal (standard_conforming_strings: only quotes are doubled). */
export function quoteLiteral(value: string): string {
  if (/[\u0000]/.test(value)) throw new Error('a NUL character cannot be in a setting value');
  return `'${value.replace(/'/g, "''")}'`;
}

export const SETTING = 'default_transaction_read_only';

export const freezeSql = (db: string) => `ALTER DATABASE ${quoteIdent(db)} SET ${SETTING} = on`;

/** Restores what was there before the freeze: the old value, or no setting at all. */
export const restoreSql = (db: string, previous: string | null) =>
  previous === null
    ? `ALTER DATABASE ${quoteIdent(db)} RESET ${SETTING}`
    : `ALTER DATABASE ${quoteIdent(db)} SET ${SETTING} = ${quoteLiteral(previous)}`;

/** Each listed database that exists, with the database-wide (role 0) setting of default_transaction_read_only. */
export const PREVIOUS_SETTINGS_SQL =
  'SELECT d.datname, s.setconfig FROM pg_database d ' +
  'LEFT JOIN pg_db_role_setting s ON s.setdatabase = d.oid AND s.setrole = 0 ' +
  'WHERE d.datname = ANY($1::text[])';

/**
 * Terminates the other client sessions on the databases: never the tool's own, never rdsadmin's
 * (the RDS agent). `$2` true: only those that hold a write transaction (backend_xid), for sessions
 * that opened a READ WRITE transaction after the freeze. `$3` (with a fence: the kept roles): also
 * the sessions whose backend_type is hidden (no pg_read_all_stats) of roles that lost CONNECT, by
 * usename; null: client backends only.
 */
export const TERMINATE_SQL =
  'SELECT pid, usename, pg_terminate_backend(pid) AS terminated FROM pg_stat_activity ' +
  'WHERE datname = ANY($1::text[]) AND pid <> pg_backend_pid() ' +
  "AND (backend_type = 'client backend' OR ($3::text[] IS NOT NULL AND backend_type IS NULL AND NOT (usename = ANY($3::text[])))) " +
  "AND usename IS DISTINCT FROM 'rdsadmin' AND (NOT $2::boolean OR backend_xid IS NOT NULL)";

/**
 * The last check's view of the frozen databases: every other client session, with who and where
 * from (user, application_name, client address) and whether it holds a write transaction.
 */
export const SESSIONS_ON_FROZEN_SQL =
  'SELECT pid, datname, usename, application_name, host(client_addr) AS client_addr, backend_xid IS NOT NULL AS writing ' +
  'FROM pg_stat_activity WHERE datname = ANY($1::text[]) AND pid <> pg_backend_pid() ' +
  "AND usename IS DISTINCT FROM 'rdsadmin' AND COALESCE(backend_type, 'client backend') = 'client backend' ORDER BY pid";

/** Sessions on the databases that still hold a write transaction (other than the tool's own). */
export const WRITERS_SQL =
  'SELECT pid, datname, usename, backend_xid::text AS xid FROM pg_stat_activity ' +
  "WHERE datname = ANY($1::text[]) AND pid <> pg_backend_pid() AND backend_xid IS NOT NULL AND usename IS DISTINCT FROM 'rdsadmin'";

export const WAL_LSN_SQL = 'SELECT pg_current_wal_lsn()::text AS lsn';

/** The value of default_transaction_read_only in a setconfig array (["a=b", …]), or null. */
export function settingIn(setconfig: readonly string[] | null | undefined): string | null {
  for (const entry of setconfig ?? []) {
    const eq = entry.indexOf('=');
    if (eq > 0 && entry.slice(0, eq) === SETTING) return entry.slice(eq + 1);
  }
  return null;
}
