// The logical route's benchmark world: a real PostgreSQL 14 "RDS source" (wal_level logical) and an
// empty real PostgreSQL 18 "Aurora" target, each with an RDS-like master user (never a superuser;
// the harness's `postgres` superuser seeds, resets between runs and runs the baselines), and an
// application role that owns the tables. The data is shaped like an orders database: a small
// customers table, orders with two secondary indexes, and order_items (two per order, a composite
// primary key, a secondary index) with foreign keys between them, so post-data (indexes, foreign
// keys) costs what it costs in a real restore.
//
// Both benchmarks of the route use it (bench/logical-copy.ts, bench/cutover-logical.ts). It mirrors
// test/support/logical/world.ts without importing test code; the two could share a module under
// rehearsal/ later.
import { startSourceServer, type PgServer } from '../rehearsal/postgres/cluster.js';
import { createRdsMasterUser, newPassword, prepareRdsDatabase } from '../rehearsal/postgres/rds-roles.js';
import type { ResolvedConnection } from '../src/db/api.js';
import { createPgConnector } from '../src/db/pg-connector.js';

export interface BenchLogicalWorld {
  source: PgServer;
  target: PgServer;
  /** The tool's user on the source: NOSUPERUSER, rds_superuser, REPLICATION (the rds_replication stand-in), member of the owner. */
  sourceMaster: ResolvedConnection;
  /** The tool's user on the target (database `orders` does not exist until the copy creates it). */
  targetMaster: ResolvedConnection;
  /** The application's role on the source (owns the tables), with its password. */
  app: ResolvedConnection;
  /** Rows seeded, per table. */
  rows: Record<string, number>;
  stop(): Promise<void>;
}

export const BENCH_SCHEMA_SQL = `
CREATE TABLE customers (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL, email text NOT NULL);
CREATE TABLE orders (id bigserial PRIMARY KEY, customer_id int NOT NULL REFERENCES customers (id), amount numeric(10,2) NOT NULL,
  status text NOT NULL, created_at timestamptz NOT NULL, note text);
CREATE INDEX orders_customer_idx ON orders (customer_id);
CREATE INDEX orders_created_idx ON orders (created_at);
CREATE TABLE order_items (order_id bigint NOT NULL REFERENCES orders (id), line int NOT NULL, sku text NOT NULL, qty int NOT NULL,
  price numeric(10,2) NOT NULL, PRIMARY KEY (order_id, line));
CREATE INDEX order_items_sku_idx ON order_items (sku);
`;

/** Splits `total` rows over the tables: 1 % customers, a third orders, the rest order items (two per order). */
export function rowSplit(total: number): Record<string, number> {
  const customers = Math.max(10, Math.round(total / 100));
  const orders = Math.max(1, Math.floor((total - customers) / 3));
  return { customers, orders, order_items: orders * 2 };
}

export function seedSql(rows: Record<string, number>): string {
  return `
INSERT INTO customers (name, email) SELECT 'customer ' || g, 'c' || g || '@example.com' FROM generate_series(1, ${rows.customers}) g;
INSERT INTO orders (customer_id, amount, status, created_at, note)
  SELECT 1 + g % ${rows.customers}, (g % 100000) / 100.0, (ARRAY['new','paid','shipped','done'])[1 + g % 4],
         TIMESTAMPTZ '2025-01-01' + g * INTERVAL '7 seconds', CASE WHEN g % 5 = 0 THEN 'gift wrap, leave at the door' END
    FROM generate_series(1, ${rows.orders}) g;
INSERT INTO order_items (order_id, line, sku, qty, price)
  SELECT o, l, 'SKU-' || lpad(((o * 7 + l) % 5000)::text, 5, '0'), 1 + (o + l) % 3, ((o * 13 + l) % 10000) / 100.0
    FROM generate_series(1, ${rows.orders}) o, generate_series(1, 2) l;
ANALYZE;`;
}

export async function startBenchLogicalWorld(options: {
  rows: number;
  targetWalLevel?: 'logical' | 'replica';
  targetSettings?: Record<string, string | number>;
}): Promise<BenchLogicalWorld> {
  const [source, target] = await Promise.all([
    startSourceServer({
      major: 14,
      settings: { wal_level: 'logical', max_replication_slots: 10, max_wal_senders: 10 },
    }),
    startSourceServer({
      major: 18,
      settings: { ...(options.targetWalLevel ? { wal_level: options.targetWalLevel } : {}), ...options.targetSettings },
    }),
  ]);
  try {
    const { master, app } = await prepareRdsDatabase(source, 'orders');
    // What a DBA runs on RDS before the copy (the tool's preflight prints both).
    await source.query(`ALTER ROLE ${master.user} REPLICATION`);
    await source.query(`GRANT ${app.user} TO ${master.user}`);
    const rows = rowSplit(options.rows);
    const db = createPgConnector({ applicationName: 'bench-seed' });
    const s = await db.connect(app);
    try {
      await s.query(BENCH_SCHEMA_SQL);
      await s.query(seedSql(rows));
    } finally {
      await s.close();
    }
    const targetMaster = await createRdsMasterUser(target, { user: 'master', password: newPassword() });
    return {
      source,
      target,
      sourceMaster: master,
      targetMaster: { ...targetMaster, database: 'orders' },
      app,
      rows,
      stop: async () => {
        await Promise.all([source.stop(), target.stop()]);
      },
    };
  } catch (err) {
    await Promise.all([source.stop(), target.stop()]);
    throw err;
  }
}

export const totalRows = (rows: Record<string, number>) => Object.values(rows).reduce((a, b) => a + b, 0);

export const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
