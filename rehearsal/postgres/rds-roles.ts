// The roles of an RDS or Aurora PostgreSQL server, on a rehearsal server (AWS-FACTS "Logical
// replication", privileges; AWS's "Understanding PostgreSQL roles and permissions"):
// - `rds_superuser`, a NOLOGIN group with pg_signal_backend and pg_read_all_stats (and, from 16,
//   pg_create_subscription), standing in for RDS's own group of that name;
// - the master user: `LOGIN NOSUPERUSER CREATEDB CREATEROLE NOREPLICATION`, a member of
//   rds_superuser, logging in with a password. It owns the databases it creates (as on RDS, where
//   the master user creates the application's databases) and nothing the application owns;
// - application roles, logging in with passwords, owning their tables.
// The rehearsal's servers ask every role but the harness's own superuser `postgres` for a password
// (scram-sha-256; cluster.ts writes pg_hba.conf), so a privilege or password the tool lacks fails
// here as it would on AWS. A superuser would hide every such failure.
//
//   await createRdsMasterUser(server, { user: 'master', password });
//   await createAppRole(server, { user: 'app', password });
//   await createDatabaseAs(server, 'orders', 'master');     // owned by the master user
import { randomBytes } from 'node:crypto';
import type { ResolvedConnection } from '../../src/db/api.js';

/** What this file needs of a server: a superuser query (cluster.ts PgServer, server.ts TestPostgres adapt to it). */
export interface AdminServer {
  address?: string;
  admin: ResolvedConnection;
  query<R = Record<string, unknown>>(sql: string, params?: unknown[], database?: string): Promise<R[]>;
}

export const RDS_SUPERUSER = 'rds_superuser';

/** A password for a rehearsal role: random per run, so no test can depend on a fixed one. */
export const newPassword = (): string => `pw-${randomBytes(12).toString('hex')}`;

const ident = (name: string) => {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`role or database name ${JSON.stringify(name)}: use [a-z0-9_]`);
  return name;
};
const literal = (value: string) => `'${value.replace(/'/g, "''")}'`;

async function roleExists(server: AdminServer, name: string): Promise<boolean> {
  return (await server.query(`SELECT 1 FROM pg_roles WHERE rolname = $1`, [name])).length > 0;
}

/** The rds_superuser stand-in group (idempotent). */
export async function ensureRdsSuperuser(server: AdminServer): Promise<void> {
  if (!(await roleExists(server, RDS_SUPERUSER))) await server.query(`CREATE ROLE ${RDS_SUPERUSER} NOLOGIN`);
  await server.query(`GRANT pg_signal_backend, pg_read_all_stats TO ${RDS_SUPERUSER}`);
  const [{ major }] = await server.query<{ major: number }>(
    `SELECT current_setting('server_version_num')::int / 10000 AS major`,
  );
  if (major >= 16) await server.query(`GRANT pg_create_subscription TO ${RDS_SUPERUSER}`);
}

/**
 * The RDS master user: NOSUPERUSER CREATEDB CREATEROLE, a member of rds_superuser, with a password.
 * It also owns the database `postgres` (as on RDS, where that first database belongs to it), so
 * it may keep the tool's own bookkeeping there (CREATE).
 */
export async function createRdsMasterUser(
  server: AdminServer,
  options: { user: string; password: string },
): Promise<ResolvedConnection> {
  await ensureRdsSuperuser(server);
  const user = ident(options.user);
  const verb = (await roleExists(server, user)) ? 'ALTER' : 'CREATE';
  await server.query(
    `${verb} ROLE ${user} LOGIN NOSUPERUSER CREATEDB CREATEROLE NOREPLICATION PASSWORD ${literal(options.password)}`,
  );
  await server.query(`GRANT ${RDS_SUPERUSER} TO ${user}`);
  await server.query(`ALTER DATABASE postgres OWNER TO ${user}`);
  return { ...server.admin, user, password: options.password };
}

/** An application role that logs in with a password (idempotent). */
export async function createAppRole(
  server: AdminServer,
  options: { user: string; password: string },
): Promise<ResolvedConnection> {
  const user = ident(options.user);
  const verb = (await roleExists(server, user)) ? 'ALTER' : 'CREATE';
  await server.query(`${verb} ROLE ${user} LOGIN NOSUPERUSER PASSWORD ${literal(options.password)}`);
  return { ...server.admin, user, password: options.password };
}

/** CREATE DATABASE owned by `owner` (the master user, as on RDS). */
export async function createDatabaseAs(server: AdminServer, database: string, owner: string): Promise<void> {
  await server.query(`CREATE DATABASE ${ident(database)} OWNER ${ident(owner)} TEMPLATE template0 ENCODING 'UTF8'`);
}

/**
 * Hands the application's tables in `schema` to `appRole` (they were seeded by the harness) and lets
 * it create more there; the master user may read them (verify-data) — now and for tables the
 * application creates later — and write the backfill's tables, as a DBA grants it on RDS.
 */
export async function handOverToApp(
  server: AdminServer,
  options: { database: string; schema?: string; appRole: string; reader: string; writable?: string[] },
): Promise<void> {
  const schema = ident(options.schema ?? 'public');
  const app = ident(options.appRole);
  const reader = ident(options.reader);
  const q = (sql: string) => server.query(sql, [], options.database);
  const tables = await server.query<{ name: string; kind: string }>(
    `SELECT format('%I.%I', n.nspname, c.relname) AS name,
            CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'S' THEN 'SEQUENCE' ELSE 'TABLE' END AS kind
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'v', 'm', 'S') AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype IN ('a', 'i'))`,
    [schema],
    options.database,
  );
  for (const t of tables) await q(`ALTER ${t.kind} ${t.name} OWNER TO ${app}`);
  await q(`GRANT USAGE, CREATE ON SCHEMA ${schema} TO ${app}`);
  await q(`GRANT USAGE ON SCHEMA ${schema} TO ${reader}`);
  await q(`GRANT SELECT ON ALL TABLES IN SCHEMA ${schema} TO ${reader}`);
  await q(`GRANT SELECT ON ALL SEQUENCES IN SCHEMA ${schema} TO ${reader}`);
  await q(`ALTER DEFAULT PRIVILEGES FOR ROLE ${app} IN SCHEMA ${schema} GRANT SELECT ON TABLES TO ${reader}`);
  await q(`ALTER DEFAULT PRIVILEGES FOR ROLE ${app} IN SCHEMA ${schema} GRANT SELECT ON SEQUENCES TO ${reader}`);
  for (const t of options.writable ?? []) await q(`GRANT INSERT, UPDATE, DELETE ON ${t} TO ${reader}`);
}

/** The roles and the application database of an RDS source, as the rehearsal tests want them. */
export interface RdsDatabase {
  /** The tool's user: the master user, with its password, on `database`. */
  master: ResolvedConnection;
  /** The application's role, with its password, on `database`. */
  app: ResolvedConnection;
}

/**
 * Master user + application role + `database` owned by the master user, where the application may
 * create its tables and the master user may read them (handOverToApp). Idempotent for the roles.
 */
export async function prepareRdsDatabase(
  server: AdminServer,
  database: string,
  names: { master?: string; app?: string } = {},
): Promise<RdsDatabase> {
  const master = await createRdsMasterUser(server, { user: names.master ?? 'master', password: newPassword() });
  const app = await createAppRole(server, { user: names.app ?? 'app', password: newPassword() });
  await createDatabaseAs(server, database, master.user);
  await handOverToApp(server, { database, appRole: app.user, reader: master.user });
  return { master: { ...master, database }, app: { ...app, database } };
}

/**
 * Lifts a fence a forward cutover left on the source (the record in aurora_migrate.fence of
 * database `recordDatabase`), as a superuser — what a DBA does before reusing the source in a test.
 */
export async function liftFenceAsAdmin(
  server: AdminServer,
  databases: readonly string[],
  recordDatabase = 'postgres',
): Promise<string[]> {
  const { connectorForRehearsal } = await import('./rehearsal-connector.js');
  const { liftFence } = await import('../../src/steps/freeze-writes/fence.js');
  const session = await connectorForRehearsal.connect({ ...server.admin, database: recordDatabase });
  try {
    await session.query('SET default_transaction_read_only = off');
    return await liftFence(async (sql, params) => (await session.query(sql, params)).rows as never, databases);
  } finally {
    await session.close();
  }
}

/** Whether PUBLIC holds CONNECT on `database` (false while a connections fence is up). */
export async function publicCanConnect(server: AdminServer, database: string): Promise<boolean> {
  const [row] = await server.query<{ ok: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM pg_database d, aclexplode(COALESCE(d.datacl, acldefault('d', d.datdba))) a WHERE d.datname = $1 AND a.grantee = 0 AND a.privilege_type = 'CONNECT') AS ok`,
    [database],
  );
  return row.ok;
}
