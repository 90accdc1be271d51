// The SQL verify-data runs, the same on the source and on the target. Catalog lookups take plan
// values as bound parameters; count and checksum statements name only catalog names, quoted.
//
// Checksum choice: each row's hash is md5 of its row text (`t::text`, which contains the primary
// key), and a table's checksum is the sum of those 128-bit hashes (as two 64-bit halves) plus the
// row count. The sum is order-independent, so PostgreSQL needs no sort and no string_agg buffer:
// memory stays constant on a billion-row table, one sequential scan per side. Any changed, missing
// or extra row changes it (barring a 2^-64 coincidence). Row text depends on output settings, so
// both sessions pin them first (SESSION_SETTINGS).
import { qualified, TOOL_SCHEMA, type TableName } from './names.js';

/** Output settings that make row text identical on both servers (dates, floats, bytea, intervals). */
export const SESSION_SETTINGS: readonly string[] = [
  "SET DateStyle = 'ISO, YMD'",
  "SET TimeZone = 'UTC'",
  'SET extra_float_digits = 3',
  "SET bytea_output = 'hex'",
  "SET IntervalStyle = 'postgres'",
];

/** One consistent, read-only snapshot for every count of a side (works on a hot standby too). */
export const BEGIN_SQL = 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY';

/**
 * Ordinary and partitioned tables of the given schemas (partitions are counted through their parent),
 * with whether each is unlogged: an unlogged table's rows reach no replica, snapshot or subscriber
 * (PostgreSQL writes no WAL for them and empties them after a crash or on a promoted standby), so
 * the step leaves them out rather than fail every cutover on them.
 */
export const TABLES_IN_SCHEMAS_SQL =
  "SELECT n.nspname AS schema, c.relname AS table, c.relpersistence = 'u' AS unlogged FROM pg_catalog.pg_class c " +
  'JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace ' +
  `WHERE n.nspname = ANY($1::text[]) AND n.nspname <> '${TOOL_SCHEMA}' AND c.relkind IN ('r', 'p') AND NOT c.relispartition ` +
  'ORDER BY 1, 2';

/** Which of the listed (schema, table) pairs exist as tables, and whether each is unlogged. */
export const TABLES_EXIST_SQL =
  "SELECT n.nspname AS schema, c.relname AS table, c.relpersistence = 'u' AS unlogged FROM pg_catalog.pg_class c " +
  'JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace ' +
  "WHERE c.relkind IN ('r', 'p') AND (n.nspname, c.relname) IN (SELECT * FROM unnest($1::text[], $2::text[]))";

/** Every sequence of the given schemas; last_value is NULL when never used (or not readable). */
export const SEQUENCES_SQL =
  'SELECT schemaname AS schema, sequencename AS name, last_value::text AS last_value FROM pg_catalog.pg_sequences ' +
  'WHERE schemaname = ANY($1::text[]) ORDER BY 1, 2';

export const countSql = (t: TableName) => `SELECT count(*) AS n FROM ${qualified(t)}`;

export const checksumSql = (t: TableName) =>
  'SELECT count(*) AS n, ' +
  "coalesce(sum(('x' || substr(h, 1, 16))::bit(64)::bigint::numeric), 0)::text AS hi, " +
  "coalesce(sum(('x' || substr(h, 17, 16))::bit(64)::bigint::numeric), 0)::text AS lo " +
  `FROM (SELECT md5(t::text) AS h FROM ${qualified(t)} AS t) AS rows`;
