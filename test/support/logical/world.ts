// The logical route's test world on real servers: a PostgreSQL 14 "RDS source" (wal_level logical)
// and an empty PostgreSQL 18 "Aurora" target, each with an RDS-like master user (never a superuser;
// the harness's `postgres` superuser only seeds and inspects) and an application role that logs in
// with a password. The source holds what real databases have (rehearsal/world/logical-data.ts, which
// the demo shares): identity and serial keys, a standalone sequence, foreign keys, a partitioned
// table, a materialized view, an unlogged table and a table without a primary key.
import pg from 'pg';
import { startSourceServer, type PgServer } from '../../../rehearsal/postgres/cluster.js';
import { createRdsMasterUser, newPassword, prepareRdsDatabase } from '../../../rehearsal/postgres/rds-roles.js';
import type { ResolvedConnection } from '../../../src/db/api.js';
import { SCHEMA_SQL, seedSql } from '../../../rehearsal/world/logical-data.js';

export { SCHEMA_SQL, seedSql };

export interface LogicalWorld {
  source: PgServer;
  target: PgServer;
  /** The tool's user on the source (RDS master user: NOSUPERUSER, rds_superuser, replication through the rds_replication stand-in). */
  sourceMaster: ResolvedConnection;
  /** The tool's user on the target (Aurora master user; the database `orders` does not exist yet). */
  targetMaster: ResolvedConnection;
  /** The application's role on the source (owns the tables). */
  app: ResolvedConnection;
  /** The harness superuser on the source: only for the DDL guard's event trigger (stock PostgreSQL lets nobody else create one). */
  sourceAdmin: ResolvedConnection;
  appPassword: string;
  stop(): Promise<void>;
}

export async function asRole<T>(conn: ResolvedConnection, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({
    host: conn.host,
    port: conn.port,
    database: conn.database,
    user: conn.user,
    password: conn.password,
  });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function startLogicalWorld(
  options: {
    rows?: number;
    grantOwner?: boolean;
    replication?: boolean;
    walLevel?: 'logical' | 'replica';
    targetWalLevel?: 'logical' | 'replica';
  } = {},
): Promise<LogicalWorld> {
  const [source, target] = await Promise.all([
    startSourceServer({
      major: 14,
      settings: { wal_level: options.walLevel ?? 'logical', max_replication_slots: 10, max_wal_senders: 10 },
    }),
    // An Aurora cluster created with rds.logical_replication = 1 in its parameter group (aurora-cluster does that) publishes: wal_level logical.
    startSourceServer({
      major: 18,
      ...(options.targetWalLevel ? { settings: { wal_level: options.targetWalLevel } } : {}),
    }),
  ]);
  try {
    const { master, app } = await prepareRdsDatabase(source, 'orders');
    // What a DBA runs on RDS before the copy (preflight prints both): the stand-in of rds_replication
    // (stock PostgreSQL has no such role: REPLICATION is an attribute) and membership in the owner.
    if (options.replication !== false) await source.query(`ALTER ROLE ${master.user} REPLICATION`);
    if (options.grantOwner !== false) await source.query(`GRANT ${app.user} TO ${master.user}`);
    await asRole(app, async (c) => {
      await c.query(SCHEMA_SQL);
      await c.query(seedSql(options.rows ?? 2000));
    });
    const targetMaster = await createRdsMasterUser(target, { user: 'master', password: newPassword() });
    return {
      source,
      target,
      sourceMaster: master,
      targetMaster: { ...targetMaster, database: 'orders' },
      app,
      appPassword: app.password!,
      sourceAdmin: { ...source.admin, database: 'orders' },
      stop: async () => {
        await Promise.all([source.stop(), target.stop()]);
      },
    };
  } catch (err) {
    await Promise.all([source.stop(), target.stop()]);
    throw err;
  }
}

/** Rows of a table on a server, as the harness superuser sees them. */
export async function countOn(server: PgServer, table: string, database = 'orders'): Promise<number> {
  const [r] = await server.query<{ n: string }>(`SELECT count(*)::bigint AS n FROM ${table}`, [], database);
  return Number(r!.n);
}

/** Slots on the source whose name is this purpose's (the subscription's own), and subscriptions on the target. */
export async function replicationObjects(
  w: Pick<LogicalWorld, 'source' | 'target'>,
): Promise<{ slots: string[]; publications: string[]; subscriptions: string[] }> {
  const slots = (
    await w.source.query<{ s: string }>(
      `SELECT slot_name AS s FROM pg_replication_slots WHERE slot_name NOT LIKE 'pg\\_%\\_sync\\_%' ORDER BY 1`,
    )
  ).map((r) => r.s);
  const publications = (
    await w.source.query<{ p: string }>('SELECT pubname AS p FROM pg_publication ORDER BY 1', [], 'orders')
  ).map((r) => r.p);
  const dbs = (await w.target.query<{ d: string }>(`SELECT datname AS d FROM pg_database WHERE datname = 'orders'`))
    .length;
  const subscriptions = dbs
    ? (await w.target.query<{ s: string }>('SELECT subname AS s FROM pg_subscription ORDER BY 1', [], 'orders')).map(
        (r) => r.s,
      )
    : [];
  return { slots, publications, subscriptions };
}

export { newPassword };
