// The exactly-once ledger: one row per (table, bucket, key, ETag) imported, in the tool's own schema
// aurora_migrate, written in the SAME transaction as the aws_s3 import. The primary key makes two
// workers (or two runs) unable to both import a file: the second INSERT waits for the first
// transaction and then finds the row (skip) or, if the first rolled back, takes over.
// All SQL here is constant text; every value is a bound parameter.
import type { DbSession } from '../../db/api.js';

export const LEDGER_TABLE = 'aurora_migrate.s3_import_ledger';

export const LEDGER_DDL: readonly string[] = [
  'CREATE SCHEMA IF NOT EXISTS aurora_migrate',
  `CREATE TABLE IF NOT EXISTS ${LEDGER_TABLE} (
  table_name text NOT NULL,
  bucket text NOT NULL,
  key text NOT NULL,
  etag text NOT NULL,
  size_bytes bigint,
  rows_imported bigint,
  result text,
  plan_name text NOT NULL,
  step_id text NOT NULL,
  run_id text,
  imported_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (table_name, bucket, key, etag)
)`,
];

export const CLAIM_SQL =
  `INSERT INTO ${LEDGER_TABLE} (table_name, bucket, key, etag, size_bytes, plan_name, step_id, run_id) ` +
  'VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING';

export const RECORD_SQL =
  `UPDATE ${LEDGER_TABLE} SET rows_imported = $5, result = $6, imported_at = now() ` +
  'WHERE table_name = $1 AND bucket = $2 AND key = $3 AND etag = $4';

export const DONE_SQL =
  `SELECT key, etag FROM ${LEDGER_TABLE} WHERE table_name = $1 AND bucket = $2 AND key = ANY($3::text[])`;

export const SUM_BY_PREFIX_SQL =
  `SELECT count(*)::bigint AS files, coalesce(sum(rows_imported), 0)::bigint AS rows FROM ${LEDGER_TABLE} ` +
  'WHERE table_name = $1 AND bucket = $2 AND starts_with(key, $3)';

export const SUM_BY_KEYS_SQL =
  `SELECT count(*)::bigint AS files, coalesce(sum(rows_imported), 0)::bigint AS rows FROM ${LEDGER_TABLE} ` +
  'WHERE table_name = $1 AND bucket = $2 AND key = ANY($3::text[])';

/** The canonical, quoted name of a table the database can see, or undefined. */
export const RESOLVE_TABLE_SQL =
  "SELECT format('%I.%I', n.nspname, c.relname) AS name, c.relkind AS kind FROM pg_class c " +
  'JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = to_regclass($1)';

export interface LedgerKey {
  table: string;
  bucket: string;
  key: string;
  etag: string;
}

/** Keys of `keys` already in the ledger for this table and bucket, with the ETag recorded. */
export async function importedKeys(session: DbSession, table: string, bucket: string, keys: readonly string[]) {
  if (keys.length === 0) return new Map<string, Set<string>>();
  const { rows } = await session.query<{ key: string; etag: string }>(DONE_SQL, [table, bucket, keys]);
  const found = new Map<string, Set<string>>();
  for (const r of rows) {
    const set = found.get(r.key) ?? new Set<string>();
    set.add(r.etag);
    found.set(r.key, set);
  }
  return found;
}

/** Files and rows the ledger records for a table's source (prefix or key list). */
export async function ledgerTotals(
  session: DbSession,
  table: string,
  from: { bucket: string; prefix?: string; keys?: readonly string[] },
): Promise<{ files: number; rows: number }> {
  const { rows } =
    from.keys !== undefined
      ? await session.query<{ files: string; rows: string }>(SUM_BY_KEYS_SQL, [table, from.bucket, from.keys])
      : await session.query<{ files: string; rows: string }>(SUM_BY_PREFIX_SQL, [table, from.bucket, from.prefix ?? '']);
  return { files: Number(rows[0]?.files ?? 0), rows: Number(rows[0]?.rows ?? 0) };
}

/** "1000 rows imported into relation ..." -> 1000; undefined when the text has another shape. */
export function parseImportedRows(result: unknown): number | undefined {
  if (typeof result !== 'string') return undefined;
  const m = /^\s*(\d+)\s+rows?\s+imported\b/i.exec(result);
  return m ? Number(m[1]) : undefined;
}
