// The logical route's production data (the tests in test/steps/logical-* and test/routes/logical and `npm run demo -- --route
// logical` share it): what real databases have and logical replication must get right — identity
// and serial keys, a standalone sequence, a foreign key, a partitioned table, a materialized view,
// an unlogged table (cannot be published: schema only), a table without a primary key (refused
// unless the plan opts in to replicaIdentityFull) and a table whose name needs quoting. Run it as
// the application's role, which then owns every object, as on RDS.

export const SCHEMA_SQL = `
CREATE TABLE customers (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL);
CREATE TABLE orders (id serial PRIMARY KEY, customer_id int NOT NULL REFERENCES customers (id), amount numeric(10,2) NOT NULL, status text NOT NULL DEFAULT 'new', created_at timestamptz NOT NULL DEFAULT now());
CREATE INDEX orders_customer_idx ON orders (customer_id);
CREATE SEQUENCE invoice_numbers START 1000;
CREATE TABLE events (id bigint NOT NULL, created date NOT NULL, payload text, PRIMARY KEY (id, created)) PARTITION BY RANGE (created);
CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
CREATE MATERIALIZED VIEW order_totals AS SELECT customer_id, sum(amount) AS total, count(*) AS n FROM orders GROUP BY customer_id;
CREATE UNLOGGED TABLE session_cache (k text PRIMARY KEY, v text);
CREATE TABLE audit_log (at timestamptz NOT NULL DEFAULT now(), what text);
CREATE TABLE "Order Notes" ("Id" int PRIMARY KEY, "user" text);
`;

/** Rows: 200 customers, `rows` orders, rows/2 events over two partitions, and a few of the rest. */
export function seedSql(rows: number): string {
  return `
INSERT INTO customers (name) SELECT 'customer ' || g FROM generate_series(1, 200) g;
INSERT INTO orders (customer_id, amount, status) SELECT 1 + g % 200, (g % 1000) / 10.0, 'new' FROM generate_series(1, ${rows}) g;
INSERT INTO events (id, created, payload) SELECT g, DATE '2025-06-01' + (g % 400), 'e' || g FROM generate_series(1, ${Math.round(rows / 2)}) g;
INSERT INTO session_cache SELECT 'k' || g, 'v' FROM generate_series(1, 50) g;
INSERT INTO audit_log (what) SELECT 'boot ' || g FROM generate_series(1, 20) g;
INSERT INTO "Order Notes" SELECT g, 'note ' || g FROM generate_series(1, 10) g;
SELECT nextval('invoice_numbers') FROM generate_series(1, 7);
REFRESH MATERIALIZED VIEW order_totals;
ANALYZE;`;
}
