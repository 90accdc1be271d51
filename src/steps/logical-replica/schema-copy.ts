// schema: copy — pre-data from pg_dump into the target through psql (the database is created when
// missing), then each table's primary key or replica-identity index BEFORE the copy (the apply
// worker needs them for UPDATE/DELETE arriving during and right after each table's copy; without
// them the table-sync workers fail and retry forever under update traffic, measured), and the rest
// of post-data (secondary indexes, foreign keys, other constraints, materialized view data) once
// every table is ready. Every part can be replayed after a crash: statements that find their object
// already there are skipped. schema: existing checks instead that the target has each table with the
// same columns.
import type { ResolvedConnection } from '../../db/api.js';
import { quoteIdent } from '../verify-data/names.js';
import type { SourceTable } from './catalog.js';
import {
  applyScript,
  dumpSection,
  keyEntries,
  preDataEntries,
  scriptOf,
  type ParsedDump,
  type PgToolsDeps,
} from './dump.js';
import { q } from './spec.js';
import type { Sql } from './session.js';

/** pg_dump's selection: --schema per schema, or --table per table and each of its partitions (exact names, no patterns; an unlogged table's schema comes along, a foreign table's does not). */
export function selectionArgs(schemas: readonly string[] | undefined, tables: readonly SourceTable[]): string[] {
  if (schemas?.length) return schemas.map((s) => `--schema=${quoteIdent(s)}`);
  return tables.filter((t) => t.kind !== 'foreign').map((t) => `--table=${t.sql}`);
}

/** CREATE DATABASE on the target when it is missing (through its maintenance database). */
export async function ensureDatabase(maintenance: Sql, database: string): Promise<boolean> {
  const found = await maintenance.read('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
  if (found.length) return false;
  await maintenance.exec(`CREATE DATABASE ${q(database)}`);
  return true;
}

const failed = (what: string, errors: string[]) =>
  new Error(
    `${what} on the target reported ${errors.length} error(s): ${errors.slice(0, 5).join(' | ')}${errors.length > 5 ? ' | …' : ''}`,
  );

/** Roles on the target the tool's user cannot hand objects to: superusers, RDS's and PostgreSQL's own, missing ones. */
export async function ownersOutOfReach(target: Pick<Sql, 'read'>): Promise<(role: string) => boolean> {
  const ok = new Set(
    (
      await target.read<{ r: string }>(
        `SELECT rolname AS r FROM pg_roles WHERE NOT rolsuper AND rolname !~ '^(pg_|rds)'`,
      )
    ).map((x) => x.r),
  );
  return (role) => !ok.has(role);
}

/**
 * With `tables:`, pg_dump --table leaves out the tables' schemas and their privileges (a new owner
 * needs CREATE on the schema): those come from a dump of the schemas, keeping only their own entries.
 */
export const schemasOf = (tables: readonly SourceTable[]) =>
  [...new Set(tables.map((t) => t.schema))].map((x) => `--schema=${quoteIdent(x)}`);

export async function copyPreData(
  deps: PgToolsDeps,
  source: ResolvedConnection,
  target: ResolvedConnection,
  selection: string[],
  cannotOwn: (role: string) => boolean,
  schemaSelection?: string[],
): Promise<number> {
  const dump = await dumpSection(deps, source, 'pre-data', selection);
  let entries = preDataEntries(dump, cannotOwn);
  if (schemaSelection?.length) {
    const schemas = await dumpSection(deps, source, 'pre-data', schemaSelection);
    const own = preDataEntries(schemas, cannotOwn).filter(
      (e) => e.type === 'SCHEMA' || ((e.type === 'ACL' || e.type === 'COMMENT') && e.name.startsWith('SCHEMA ')),
    );
    entries = [...own, ...entries];
  }
  const errors = await applyScript(deps, target, scriptOf(dump, entries));
  if (errors.length) throw failed('the schema (pre-data)', errors);
  return dump.entries.length;
}

/** The keys before the copy, from the post-data dump. Returns their names. */
export async function copyKeys(deps: PgToolsDeps, target: ResolvedConnection, dump: ParsedDump): Promise<string[]> {
  const keys = keyEntries(dump);
  if (keys.length) {
    const errors = await applyScript(deps, target, scriptOf(dump, keys));
    if (errors.length) throw failed('the keys', errors);
  }
  return keys.map((k) => k.name);
}

/** The rest of the post-data dump, after every table is ready. */
export async function copyPostData(deps: PgToolsDeps, target: ResolvedConnection, dump: ParsedDump): Promise<number> {
  const keys = new Set(keyEntries(dump));
  const rest = dump.entries.filter((e) => !keys.has(e));
  if (rest.length) {
    const errors = await applyScript(deps, target, scriptOf(dump, rest));
    if (errors.length) throw failed('the rest of the schema (post-data)', errors);
  }
  return rest.length;
}

/** schema: existing — every published table on the target with the source's columns (names and types). */
export async function missingOnTarget(
  source: Pick<Sql, 'read'>,
  target: Pick<Sql, 'read'>,
  tables: readonly SourceTable[],
): Promise<string[]> {
  const columns = (s: Pick<Sql, 'read'>, t: SourceTable) =>
    s.read<{ c: string }>(
      `SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod), ', ' ORDER BY a.attname) AS c FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = $1 AND c.relname = $2 AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''`,
      [t.schema, t.name],
    );
  const problems: string[] = [];
  for (const t of tables) {
    const [a] = await columns(source, t);
    const [b] = await columns(target, t);
    if (!b?.c) problems.push(`${t.display} is missing`);
    else if (a?.c !== b.c) problems.push(`${t.display} has columns (${b.c}) instead of (${a?.c})`);
  }
  return problems;
}
