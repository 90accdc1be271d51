// What the source has in the replicated schemas or tables, read from its catalog: which tables can
// be published (ordinary and partitioned; a partitioned table is published through its root), which
// cannot (unlogged, foreign: left out and named), materialized views (refreshed at the switchover),
// and each table's replica identity (without one, UPDATE and DELETE fail on production once the
// table is in a publication).
import type { LogicalReplicaSpec } from '../../plan/types.js';
import { displayName, parseSchemaName, parseTableName, quoteIdent } from '../verify-data/names.js';
import type { Sql } from './session.js';

export type TableKind = 'table' | 'partitioned' | 'partition' | 'unlogged' | 'foreign' | 'matview';

export interface SourceTable {
  oid: number;
  schema: string;
  name: string;
  /** "public"."orders": safe in SQL. */
  sql: string;
  /** public.orders: for people. */
  display: string;
  kind: TableKind;
  owner: string;
  /** The current user may act as the owner (member of the owning role). */
  owned: boolean;
  identity: 'primary key' | 'index' | 'full' | 'none';
  /** Rows by the statistics (a partitioned root: the sum of its partitions); -1 when never analysed. */
  reltuples: number;
}

export const TABLES_SQL = `
WITH sel AS (
  SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE c.relkind IN ('r', 'p', 'f', 'm') AND n.nspname <> 'aurora_migrate'
     AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
     AND (n.nspname = ANY($1::text[]) OR (n.nspname, c.relname) IN (SELECT * FROM unnest($2::text[], $3::text[])))
)
SELECT c.oid::int AS oid, n.nspname AS schema, c.relname AS name, c.relkind::text AS relkind, c.relpersistence::text AS persistence,
       c.relispartition AS is_partition, c.relreplident::text AS replident, pg_get_userbyid(c.relowner) AS owner,
       pg_has_role(c.relowner, 'USAGE') AS owned,
       CASE WHEN c.relkind = 'p' THEN (SELECT COALESCE(sum(greatest(p.reltuples, 0)), 0) FROM pg_partition_tree(c.oid) t JOIN pg_class p ON p.oid = t.relid WHERE t.isleaf)
            ELSE c.reltuples END::float8 AS reltuples,
       EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary) AS has_pk,
       EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisreplident) AS has_ri
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.oid IN (SELECT oid FROM sel) OR (c.relispartition AND pg_partition_root(c.oid) IN (SELECT oid FROM sel))
 ORDER BY 2, 3`;

interface Row {
  oid: number;
  schema: string;
  name: string;
  relkind: string;
  persistence: string;
  is_partition: boolean;
  replident: string;
  owner: string;
  owned: boolean;
  reltuples: number;
  has_pk: boolean;
  has_ri: boolean;
}

/** The parameters of TABLES_SQL for the step's schemas or tables (names parsed, never pasted into SQL). */
export function selectionParams(spec: Pick<LogicalReplicaSpec, 'schemas' | 'tables'>): [string[], string[], string[]] {
  const schemas = (spec.schemas ?? []).map(parseSchemaName);
  const tables = (spec.tables ?? []).map(parseTableName);
  return [schemas, tables.map((t) => t.schema), tables.map((t) => t.table)];
}

function kindOf(r: Row): TableKind {
  if (r.relkind === 'f') return 'foreign';
  if (r.relkind === 'm') return 'matview';
  if (r.persistence === 'u') return 'unlogged';
  if (r.is_partition) return 'partition';
  return r.relkind === 'p' ? 'partitioned' : 'table';
}

function identityOf(r: Row): SourceTable['identity'] {
  if (r.replident === 'f') return 'full';
  if (r.replident === 'i') return r.has_ri ? 'index' : 'none';
  if (r.replident === 'd') return r.has_pk ? 'primary key' : 'none';
  return 'none';
}

export async function sourceTables(
  sql: Pick<Sql, 'read'>,
  spec: Pick<LogicalReplicaSpec, 'schemas' | 'tables'>,
): Promise<SourceTable[]> {
  const rows = await sql.read<Row>(TABLES_SQL, selectionParams(spec));
  return rows.map((r) => ({
    oid: r.oid,
    schema: r.schema,
    name: r.name,
    sql: `${quoteIdent(r.schema)}.${quoteIdent(r.name)}`,
    display: displayName({ schema: r.schema, table: r.name }),
    kind: kindOf(r),
    owner: r.owner,
    owned: r.owned,
    identity: identityOf(r),
    reltuples: Number(r.reltuples),
  }));
}

/** Tables that go into the publication: ordinary tables and partitioned roots. */
export const publishable = (tables: SourceTable[]) =>
  tables.filter((t) => t.kind === 'table' || t.kind === 'partitioned');

/** Tables whose UPDATE/DELETE would fail once published (partitions count: the row change happens there). */
export const withoutIdentity = (tables: SourceTable[]) =>
  tables.filter((t) => (t.kind === 'table' || t.kind === 'partition') && t.identity === 'none');

/** The tables `replicaIdentityFull` opts in (true: every table without an identity). */
export function identityFullTargets(
  spec: Pick<LogicalReplicaSpec, 'replicaIdentityFull'>,
  tables: SourceTable[],
): SourceTable[] {
  const missing = withoutIdentity(tables);
  const opt = spec.replicaIdentityFull;
  if (opt === true) return missing;
  if (!Array.isArray(opt)) return [];
  const wanted = new Set(opt.map((t) => displayName(parseTableName(t))));
  return missing.filter((t) => wanted.has(t.display));
}

export const LARGE_OBJECTS_SQL = 'SELECT count(*)::bigint AS n FROM pg_largeobject_metadata';
