// Read-only checks for freeze-writes (plan --preflight). Connects with the step's own connection,
// inside a READ ONLY transaction, and asks PostgreSQL what the freeze will need (docs/aws-setup.md
// "Database grants"): ALTER DATABASE … SET needs a superuser, rds_superuser (on RDS) or the database's owner;
// terminating other roles' sessions needs pg_signal_backend (and never works on a superuser's
// session for a non-superuser); picking them out needs pg_read_all_stats (without it
// pg_stat_activity shows other roles' sessions with backend_type and xact_start NULL, so the freeze's
// "client backend" filter would match none of them); promote's caught-up marker needs CREATE on its
// database. It also reports the sessions and write transactions there now: the drain terminates them.
import type { DbSession } from '../../db/api.js';
import { describeConnection, toResolvedConnection } from '../../db/connection.js';
import { withTransaction } from '../../db/with-transaction.js';
import { Interrupted } from '../../errors.js';
import type { ConnectionSpec } from '../../plan/types.js';
import { SECRET_PLACEHOLDER } from '../../plan/values.js';
import type { CheckResult, PreflightContext } from '../step.js';
import type { FreezeWritesSpec } from './spec.js';
import { CAN_CONNECT_SQL, EXISTING_ROLES_SQL, LOGIN_SUPERUSERS_SQL, RDS_SYSTEM_ROLES } from './fence.js';
import { READ_ONLY_GAPS_SHORT, TOOL_APPLICATION_NAME, fenceMode } from './run-freeze.js';

/** A write transaction open longer than this is "long-running": the drain would cut it off. */
export const LONG_WRITE_SECONDS = 60;

export const IDENTITY_SQL =
  'SELECT current_user AS me, COALESCE((SELECT rolsuper FROM pg_roles WHERE rolname = current_user), false) AS superuser, ' +
  "ARRAY(SELECT g.rolname::text FROM pg_roles g WHERE g.rolname IN ('rds_superuser', 'pg_signal_backend', 'pg_read_all_stats') " +
  "AND pg_has_role(current_user, g.oid, 'USAGE') ORDER BY 1) AS roles";

export const DATABASES_SQL =
  "SELECT d.datname, pg_get_userbyid(d.datdba) AS owner, pg_has_role(current_user, d.datdba, 'USAGE') AS owns, " +
  "has_database_privilege(current_user, d.oid, 'CREATE') AS can_create FROM pg_database d " +
  'WHERE d.datname = ANY($1::text[]) OR lower(d.datname) = ANY($2::text[])';

export const SESSIONS_SQL =
  'SELECT a.datname, a.pid, a.usename, a.backend_xid IS NOT NULL AS writing, ' +
  'COALESCE(EXTRACT(EPOCH FROM (now() - a.xact_start)), 0)::float8 AS xact_seconds, COALESCE(r.rolsuper, false) AS superuser ' +
  'FROM pg_stat_activity a LEFT JOIN pg_roles r ON r.oid = a.usesysid ' +
  // backend_type is NULL for other roles' sessions without pg_read_all_stats: count those as clients.
  "WHERE a.datname = ANY($1::text[]) AND a.pid <> pg_backend_pid() AND COALESCE(a.backend_type, 'client backend') = 'client backend' AND a.usename IS DISTINCT FROM 'rdsadmin'";

/** "not known until step "replica" has run" for a placeholder, or undefined when `value` is known. */
export function unknownValue(value: unknown): string | undefined {
  if (typeof value === 'number') return undefined;
  if (typeof value !== 'string' || value === '') return 'empty';
  const step = /<steps\.([a-z][a-z0-9-]*)\.outputs\.[A-Za-z0-9_]+>/.exec(value);
  if (step) return `not known until step "${step[1]}" has run`;
  const env = /<env\.([A-Za-z_][A-Za-z0-9_]*) unset>/.exec(value);
  if (env) return `not known: environment variable ${env[1]} is not set`;
  if (/<[^>]*>/.test(value)) return `not known yet (${value})`;
  return undefined;
}

/** Why a connection cannot be tried at preflight time (a value from a later step, an unset variable, a masked secret). */
export function connectionUnknown(conn: ConnectionSpec, field: string): string | undefined {
  for (const key of ['host', 'port', 'database', 'user', 'password'] as const) {
    if (conn[key] === undefined) continue;
    if (key === 'password' && conn.password === SECRET_PLACEHOLDER)
      return `${field}.password is masked here (the preflight was given the display form of the plan, not the secret)`;
    const why = unknownValue(conn[key]);
    if (why) return `${field}.${key} is ${why}`;
  }
  return undefined;
}

/**
 * Opens a session for read-only checks, inside BEGIN READ ONLY (rolled back at the end). A
 * connection failure becomes one failed check naming what was tried.
 */
export async function withReadOnlySession(
  ctx: PreflightContext,
  conn: ConnectionSpec,
  field: string,
  what: string,
  fn: (query: <R>(sql: string, params?: unknown[]) => Promise<R[]>) => Promise<CheckResult[]>,
): Promise<CheckResult[]> {
  const check = `${what} is reachable`;
  let resolved: ReturnType<typeof toResolvedConnection>;
  try {
    resolved = toResolvedConnection(conn, field);
  } catch (err) {
    return [{ status: 'fail', check, detail: `${(err as Error).message}; fix the plan` }];
  }
  let session: DbSession;
  try {
    session = await ctx.db.connect(resolved, { signal: ctx.signal, statementTimeoutMs: 10_000 });
  } catch (err) {
    if (ctx.signal.aborted) throw new Interrupted('interrupted');
    return [
      {
        status: 'fail',
        check,
        detail: `cannot connect to ${describeConnection(resolved)}: ${(err as Error).message}. Check "${field}" in the plan and that this machine can reach it`,
      },
    ];
  }
  try {
    const query = async <R>(sql: string, params?: unknown[]) => (await session.query<R>(sql, params)).rows;
    const checks = await withTransaction(session, () => fn(query), { begin: 'BEGIN READ ONLY', end: 'ROLLBACK' });
    return [{ status: 'pass', check, detail: `connected to ${describeConnection(resolved)}` }, ...checks];
  } catch (err) {
    if (ctx.signal.aborted) throw new Interrupted('interrupted');
    return [
      {
        status: 'fail',
        check: `${what} checks`,
        detail: `could not check on ${describeConnection(resolved)}: ${(err as Error).message}`,
      },
    ];
  } finally {
    await session.close().catch(() => undefined);
  }
}

const quoted = (names: readonly string[]) => names.map((n) => `"${n}"`).join(', ');
const fmtAge = (s: number) =>
  s >= 3600
    ? `${(s / 3600).toFixed(1)}h`
    : s >= 60
      ? `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s`
      : `${Math.round(s)}s`;

type Identity = { me: string; superuser: boolean; roles: string[] };
type DatabaseRow = { datname: string; owner: string; owns: boolean; can_create: boolean };

export async function freezeWritesPreflight(spec: FreezeWritesSpec, ctx: PreflightContext): Promise<CheckResult[]> {
  const databases = [...new Set(spec.databases)];
  const why = connectionUnknown(spec.connection, 'connection');
  if (why)
    return [
      {
        status: 'warn',
        check: 'source connection is reachable',
        detail: `skipped: ${why}; the freeze's privileges are checked when it runs`,
      },
    ];
  return withReadOnlySession(ctx, spec.connection, 'connection', 'source connection', async (query) => {
    const [me] = await query<Identity>(IDENTITY_SQL);
    const rows = await query<DatabaseRow>(DATABASES_SQL, [databases, databases.map((d) => d.toLowerCase())]);
    const found = databases.flatMap((d) => rows.filter((r) => r.datname === d));
    const results: CheckResult[] = [
      databasesExist(databases, rows),
      ...privilegeChecks(me, found),
      ...markerCheck(me, found),
    ];
    if (found.length)
      results.push(...(await fenceResults(spec, query, me.me, me.superuser, found, ctx.windowUsers ?? [])));

    // The sessions there now: the freeze terminates them all.
    const sessions = await query<SessionRow>(SESSIONS_SQL, [databases]);
    results.push(...sessionResults(sessions, databases, me.me, me.superuser));
    return results;
  });
}

/** Every listed database exists, exactly as named (a near miss in case is pointed out). */
function databasesExist(databases: readonly string[], rows: readonly DatabaseRow[]): CheckResult {
  const missing = databases.filter((d) => !rows.some((r) => r.datname === d));
  if (missing.length === 0)
    return { status: 'pass', check: 'databases exist', detail: `${quoted(databases)} exist on the source` };
  const hints = missing.map((d) => {
    const near = rows.find((r) => r.datname.toLowerCase() === d.toLowerCase());
    return near ? `"${d}" (did you mean "${near.datname}"? names are case-sensitive)` : `"${d}"`;
  });
  return {
    status: 'fail',
    check: 'databases exist',
    detail: `no database named ${hints.join(', ')} on the source; fix "databases" in the plan (names as in pg_database)`,
  };
}

/** What the freeze needs of its user: set the read-only default, terminate and see other roles' sessions. */
function privilegeChecks(me: Identity, found: readonly DatabaseRow[]): CheckResult[] {
  const results: CheckResult[] = [];
  const roles = new Set(me.roles);
  const su = me.superuser;
  const rdsSu = roles.has('rds_superuser');

  // ALTER DATABASE … SET default_transaction_read_only: superuser, rds_superuser, or owner.
  const alterCheck = 'may set the read-only default (ALTER DATABASE … SET)';
  if (su) results.push({ status: 'pass', check: alterCheck, detail: `${me.me} is a superuser` });
  else if (rdsSu) results.push({ status: 'pass', check: alterCheck, detail: `${me.me} is a member of rds_superuser` });
  else {
    const notOwned = found.filter((r) => !r.owns);
    if (notOwned.length === 0 && found.length)
      results.push({
        status: 'pass',
        check: alterCheck,
        detail: `${me.me} owns ${quoted(found.map((r) => r.datname))}`,
      });
    else if (notOwned.length) {
      results.push({
        status: 'fail',
        check: alterCheck,
        detail:
          `${me.me} is neither a superuser, a member of rds_superuser, nor the owner of ${notOwned.map((r) => `"${r.datname}" (owner ${r.owner})`).join(', ')}: ` +
          'ALTER DATABASE … SET needs one of them. Use the RDS master user (a member of rds_superuser), or make this user the owner',
      });
    }
  }

  // pg_terminate_backend() of other roles' sessions: pg_signal_backend (or superuser).
  const killCheck = 'may terminate other sessions (pg_signal_backend)';
  if (su) results.push({ status: 'pass', check: killCheck, detail: `${me.me} is a superuser` });
  else if (roles.has('pg_signal_backend'))
    results.push({
      status: 'pass',
      check: killCheck,
      detail: `${me.me} has the privileges of pg_signal_backend${rdsSu ? ' (through rds_superuser)' : ''}`,
    });
  else {
    results.push({
      status: 'fail',
      check: killCheck,
      detail: `missing privilege pg_signal_backend: ${me.me} cannot terminate other roles' sessions, so the drain could not end the application's sessions. Use the RDS master user (rds_superuser), or GRANT pg_signal_backend TO ${me.me}`,
    });
  }

  // Without pg_read_all_stats, other roles' sessions show backend_type NULL: the freeze's terminate would skip them.
  const seeCheck = "sees other roles' sessions (pg_read_all_stats)";
  if (su) results.push({ status: 'pass', check: seeCheck, detail: `${me.me} is a superuser` });
  else if (roles.has('pg_read_all_stats'))
    results.push({
      status: 'pass',
      check: seeCheck,
      detail: `${me.me} has the privileges of pg_read_all_stats${rdsSu ? ' (through rds_superuser)' : ''}`,
    });
  else {
    results.push({
      status: 'fail',
      check: seeCheck,
      detail: `missing privilege pg_read_all_stats: pg_stat_activity hides other roles' session details (backend_type, xact_start) from ${me.me}, so the freeze could not pick out the application's sessions to terminate and the drain would wait until drainTimeout. Use the RDS master user (rds_superuser), or GRANT pg_read_all_stats TO ${me.me}`,
    });
  }
  return results;
}

/** promote's caught-up marker: CREATE SCHEMA IF NOT EXISTS aurora_migrate needs CREATE on its database. */
function markerCheck(me: Identity, found: readonly DatabaseRow[]): CheckResult[] {
  if (!found.length) return [];
  const noCreate = found.filter((r) => !r.can_create);
  return [
    noCreate.length === 0
      ? {
          status: 'pass',
          check: 'may create the cutover marker',
          detail: `${me.me} has CREATE on ${quoted(found.map((r) => r.datname))} (promote writes its marker into its replicaConnection.database through this connection)`,
        }
      : {
          status: 'warn',
          check: 'may create the cutover marker',
          detail: `${me.me} has no CREATE on ${quoted(noCreate.map((r) => r.datname))}: promote's caught-up marker (schema aurora_migrate) cannot go into ${noCreate.length > 1 ? 'those databases' : 'that database'}. If promote's replicaConnection.database is one of them, GRANT CREATE ON DATABASE … TO ${me.me}`,
        },
  ];
}

export interface SessionRow {
  datname: string;
  pid: number;
  usename: string | null;
  writing: boolean;
  /** Seconds the session's current transaction has been open (0 when hidden or idle). */
  xact_seconds: number;
  superuser: boolean;
}

/** What the freeze would meet in the sessions open now (SESSIONS_SQL rows), as checks. */
export function sessionResults(
  sessions: readonly SessionRow[],
  databases: readonly string[],
  me: string,
  superuser: boolean,
): CheckResult[] {
  const results: CheckResult[] = [];
  const writing = sessions.filter((x) => x.writing);
  results.push({
    status: 'pass',
    check: 'sessions on the databases now',
    detail: `${sessions.length} other session(s) on ${quoted(databases)}, ${writing.length} with an open write transaction; the freeze terminates them all`,
  });
  const long = writing
    .filter((x) => x.xact_seconds > LONG_WRITE_SECONDS)
    .sort((a, b) => b.xact_seconds - a.xact_seconds);
  if (long.length) {
    results.push({
      status: 'warn',
      check: 'long-running write transactions',
      detail:
        `${long.length} write transaction(s) open for more than ${LONG_WRITE_SECONDS}s (oldest ${fmtAge(long[0].xact_seconds)}: pid ${long[0].pid} as ${long[0].usename ?? '?'} on "${long[0].datname}"): ` +
        'the drain would terminate them and their work would be rolled back. Let them finish (or stop them) before the cutover',
    });
  }
  const untouchable = superuser ? [] : sessions.filter((x) => x.superuser);
  if (untouchable.length) {
    results.push({
      status: 'warn',
      check: "superusers' sessions",
      detail: `${untouchable.length} session(s) of superuser ${[...new Set(untouchable.map((x) => x.usename))].join(', ')} on these databases: ${me} is not a superuser and cannot terminate them; if one holds a write transaction at the freeze, the drain waits for it up to drainTimeout`,
    });
  }
  return results;
}

type Query = <R>(sql: string, params?: unknown[]) => Promise<R[]>;

/** May record the fence: CREATE on the connection's database, or the record table already writable. */
const RECORD_PRIVILEGE_SQL =
  "SELECT current_database() AS db, has_database_privilege(current_user, current_database(), 'CREATE') AS can_create, " +
  "COALESCE((SELECT has_table_privilege(current_user, 'aurora_migrate.fence', 'INSERT, DELETE') WHERE to_regclass('aurora_migrate.fence') IS NOT NULL), false) AS can_write";

/** Sessions on the databases of kept roles that are not the tool's own: applications the fence cannot stop. */
const KEPT_SESSIONS_SQL =
  'SELECT usename, application_name, host(client_addr) AS client_addr, count(*)::int AS n FROM pg_stat_activity ' +
  'WHERE datname = ANY($1::text[]) AND pid <> pg_backend_pid() AND usename = ANY($2::text[]) ' +
  "AND COALESCE(backend_type, 'client backend') = 'client backend' AND application_name <> ALL($3::text[]) GROUP BY 1, 2, 3 ORDER BY 1, 2, 3";

/** What `fence: connections` needs and what it will do (docs/cutover.md "The fence"). */
async function fenceResults(
  spec: FreezeWritesSpec,
  query: Query,
  me: string,
  superuser: boolean,
  found: ReadonlyArray<{ datname: string; owner: string; owns: boolean }>,
  windowUsers: readonly string[],
): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  const dbs = found.map((r) => r.datname);
  const [rec] = await query<{ db: string; can_create: boolean; can_write: boolean }>(RECORD_PRIVILEGE_SQL);
  results.push(
    rec.can_create || rec.can_write
      ? {
          status: 'pass',
          check: 'may record the fence on the server',
          detail: `${me} may keep aurora_migrate.fence in database "${rec.db}" (what the freeze changed, so a later plan can lift it)`,
        }
      : {
          status: 'fail',
          check: 'may record the fence on the server',
          detail: `${me} has no CREATE on database "${rec.db}" (the freeze connection's database), where the freeze records what it changes (aurora_migrate.fence). GRANT CREATE ON DATABASE "${rec.db}" TO ${me}, or connect to a database ${me} owns`,
        },
  );
  if (fenceMode(spec) === 'read-only') {
    results.push({ status: 'warn', check: 'fence', detail: `fence: read-only — ${READ_ONLY_GAPS_SHORT}` });
    return results;
  }

  // Only the owner (or a superuser) can take CONNECT from PUBLIC: a REVOKE by anyone else only warns.
  const notOwned = found.filter((r) => !r.owns);
  const revokeCheck = 'may take CONNECT away (owner of the databases)';
  if (superuser) results.push({ status: 'pass', check: revokeCheck, detail: `${me} is a superuser` });
  else if (notOwned.length === 0)
    results.push({ status: 'pass', check: revokeCheck, detail: `${me} owns ${quoted(dbs)}` });
  else {
    results.push({
      status: 'fail',
      check: revokeCheck,
      detail:
        `${me} does not own ${notOwned.map((r) => `"${r.datname}" (owner ${r.owner})`).join(', ')}: only a database's owner can take CONNECT from PUBLIC — a REVOKE by anyone else, rds_superuser included, only warns "no privileges could be revoked". ` +
        `Have the owner (or an administrator) run ${notOwned.map((r) => `ALTER DATABASE "${r.datname}" OWNER TO ${me}`).join('; ')}, or GRANT ${[...new Set(notOwned.map((r) => r.owner))].join(', ')} TO ${me}`,
    });
  }

  const allow = spec.allowRoles ?? [];
  const wanted = [...new Set([me, ...windowUsers, ...RDS_SYSTEM_ROLES, ...allow])];
  const existing = new Set((await query<{ rolname: string }>(EXISTING_ROLES_SQL, [wanted])).map((r) => r.rolname));
  const missing = allow.filter((r) => !existing.has(r));
  if (missing.length)
    results.push({
      status: 'fail',
      check: 'allowRoles exist',
      detail: `no role named ${quoted(missing)} on the source (names are case-sensitive); fix allowRoles`,
    });
  const kept = wanted.filter((r) => existing.has(r));
  results.push({
    status: 'pass',
    check: 'roles that keep CONNECT',
    detail: `${kept.join(', ')} (the users of the plan's connections from the freeze on, RDS's own roles where they exist${allow.length ? ', allowRoles' : ''}), and each database's owner`,
  });

  const losing = await query<{ datname: string; rolname: string }>(CAN_CONNECT_SQL, [dbs, kept]);
  const owners = new Map(found.map((r) => [r.datname, r.owner]));
  const ownerLogins = losing.filter((l) => owners.get(l.datname) === l.rolname);
  if (ownerLogins.length) {
    results.push({
      status: 'fail',
      check: 'the fence can hold',
      detail: `${ownerLogins.map((l) => `role ${l.rolname} owns "${l.datname}" and can log in`).join(', ')}: an owner always keeps CONNECT, so the fence would not stop it and the freeze would fail its read-back. Make ${me} the owner (ALTER DATABASE … OWNER TO ${me}), or — if that role never writes — add it to allowRoles`,
    });
  }
  for (const d of dbs) {
    const names = losing.filter((l) => l.datname === d && owners.get(d) !== l.rolname).map((l) => l.rolname);
    results.push({
      status: 'pass',
      check: `who loses CONNECT on "${d}"`,
      detail: names.length
        ? `${names.join(', ')}: their sessions are terminated and they cannot reconnect until the freeze is undone (reads stop too)`
        : 'no role besides the kept ones can connect now',
    });
  }

  const supers = (await query<{ rolname: string }>(LOGIN_SUPERUSERS_SQL, [kept])).map((r) => r.rolname);
  if (supers.length)
    results.push({
      status: 'warn',
      check: 'superusers',
      detail: `${supers.join(', ')} ${supers.length > 1 ? 'are superusers' : 'is a superuser'}: no fence stops a superuser; make sure no application connects as one`,
    });

  const keptApps = await query<{
    usename: string;
    application_name: string | null;
    client_addr: string | null;
    n: number;
  }>(KEPT_SESSIONS_SQL, [dbs, kept, [TOOL_APPLICATION_NAME, `${TOOL_APPLICATION_NAME} (cancel)`]]);
  if (keptApps.length) {
    results.push({
      status: 'warn',
      check: 'applications connected as a kept role',
      detail:
        `${keptApps.map((a) => `${a.n} session(s) of ${a.usename} (application_name "${a.application_name ?? ''}", client ${a.client_addr ?? 'local socket'})`).join(', ')} on ${quoted(dbs)}: ` +
        'the fence cannot stop a role that keeps CONNECT, and the last check rolls the cutover back while such a session is connected. Give the application its own role',
    });
  }
  return results;
}
