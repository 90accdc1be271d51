// The rehearsal's production data, on the real RDS source before anything is migrated: a small
// shop in database "orders" — customers, orders and order items (identity sequences, foreign
// keys, a few hundred thousand rows), the backfill's target table (empty: the archive arrives from
// S3 after the cutover) and the application's own table app_writes (writer.ts). All of it reaches
// the Aurora replica through physical replication, like any other data on the source.
import type { PgServer } from '../postgres/cluster.js';

export interface SourceDataOptions {
  database: string;
  /** Folder the aws_s3 stand-in reads "S3" objects from (set as aws_s3_standin.root of the database). */
  s3Root: string;
  /** DDL of the backfill's table (backfill-files.ts). */
  backfillDdl: string;
  /** Owner of the database (the RDS master user, who creates it on RDS); default the harness's superuser. */
  owner?: string;
  /** Customers; orders = 4×, order items = 8× (default 25 000 → 325 000 rows). */
  customers?: number;
}

export interface SourceCounts {
  customers: number;
  orders: number;
  orderItems: number;
}

export const SHOP_TABLES = ['public.customers', 'public.orders', 'public.order_items'] as const;

export async function seedSourceData(source: PgServer, options: SourceDataOptions): Promise<SourceCounts> {
  const db = options.database;
  if (!/^[a-z_][a-z0-9_]*$/.test(db)) throw new Error(`database name ${JSON.stringify(db)}: use [a-z0-9_]`);
  const customers = options.customers ?? 25_000;
  await source.query(
    `CREATE DATABASE ${db}${options.owner ? ` OWNER ${options.owner}` : ''} TEMPLATE template0 ENCODING 'UTF8'`,
  );
  await source.query(`ALTER DATABASE ${db} SET aws_s3_standin.root = '${options.s3Root.replace(/'/g, "''")}'`);
  const q = (sql: string, params?: unknown[]) => source.query(sql, params, db);
  await q(`CREATE TABLE customers (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      email text NOT NULL UNIQUE,
      created_at timestamptz NOT NULL DEFAULT now())`);
  await q(`CREATE TABLE orders (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      customer_id bigint NOT NULL REFERENCES customers(id),
      status text NOT NULL,
      total_cents integer NOT NULL,
      placed_at timestamptz NOT NULL)`);
  await q(`CREATE TABLE order_items (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      order_id bigint NOT NULL REFERENCES orders(id),
      sku text NOT NULL,
      quantity integer NOT NULL CHECK (quantity > 0),
      price_cents integer NOT NULL)`);
  await q(`CREATE INDEX ON orders (customer_id)`);
  await q(`CREATE INDEX ON order_items (order_id)`);
  await q(`INSERT INTO customers (email) SELECT 'customer' || g || '@example.com' FROM generate_series(1, $1::int) g`, [
    customers,
  ]);
  await q(
    `INSERT INTO orders (customer_id, status, total_cents, placed_at)
     SELECT 1 + (g % $1::int), (ARRAY['placed','paid','shipped','refunded'])[1 + g % 4], (g * 37) % 100000, now() - (g || ' minutes')::interval
     FROM generate_series(1, $1::int * 4) g`,
    [customers],
  );
  await q(
    `INSERT INTO order_items (order_id, sku, quantity, price_cents)
     SELECT 1 + (g % ($1::int * 4)), 'sku-' || (g % 500), 1 + g % 5, (g * 13) % 5000
     FROM generate_series(1, $1::int * 8) g`,
    [customers],
  );
  await q(options.backfillDdl);
  await q(`ANALYZE`);
  return { customers, orders: customers * 4, orderItems: customers * 8 };
}
