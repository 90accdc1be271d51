// The exactly-once ledger: one row per (table, bucket, key, ETag) imported, in the tool's own schema
// aurora_migrate. The row is INSERTed by the same statement that runs the aws_s3 import (so in the
// same transaction): the file's rows and its ledger row commit together or not at all. The primary
// key makes it impossible for two workers or two runs to both commit a file: the second one's INSERT
// waits for the first transaction and then fails with a unique violation, which rolls its import
// back (the step counts the file as already imported). Before importing, each page of listed keys is
// checked against the ledger, so a resume does not even start what is already there.
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
  rows_imported bigint NOT NULL,
  result text NOT NULL,
  plan_name text NOT NULL,
  step_id text NOT NULL,
  run_id text,
  imported_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (table_name, bucket, key, etag)
)`,
];

/** Name of the primary key: a unique violation on it means "someone else imported this file". */
export const LEDGER_PKEY = 's3_import_ledger_pkey';

export const DONE_SQL = `SELECT key, etag FROM ${LEDGER_TABLE} WHERE table_name = $1 AND bucket = $2 AND key = ANY($3::text[])`;

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
      : await session.query<{ files: string; rows: string }>(SUM_BY_PREFIX_SQL, [
          table,
          from.bucket,
          from.prefix ?? '',
        ]);
  return { files: Number(rows[0]?.files ?? 0), rows: Number(rows[0]?.rows ?? 0) };
}

/** "1000 rows imported into relation ..." -> 1000; undefined when the text has another shape. */
export function parseImportedRows(result: unknown): number | undefined {
  if (typeof result !== 'string') return undefined;
  const m = /^\s*(\d+)\s+rows?\s+imported\b/i.exec(result);
  return m ? Number(m[1]) : undefined;
}
