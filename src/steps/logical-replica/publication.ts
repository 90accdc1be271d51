// The publication on the source: the replicated tables listed one by one (FOR ALL TABLES needs a
// true superuser, which RDS never grants), plus the tool's marker table; partitioned tables through
// their root when the source is 13+. Adding a table needs its ownership (membership in the owning
// role counts). CREATE/ALTER PUBLICATION and ALTER TABLE … REPLICA IDENTITY FULL lock production
// tables: they run with a short lock_timeout and are retried.
import type { SourceTable } from './catalog.js';
import { q } from './spec.js';
import type { Sql } from './session.js';

export const MARKER_SQL_NAME = '"aurora_migrate"."cutover_marker"';

export function createPublicationSql(
  name: string,
  tables: readonly Pick<SourceTable, 'sql'>[],
  sourceMajor: number,
): string {
  const list = [...tables.map((t) => t.sql), MARKER_SQL_NAME].join(', ');
  return `CREATE PUBLICATION ${q(name)} FOR TABLE ${list}${sourceMajor >= 13 ? ' WITH (publish_via_partition_root = true)' : ''}`;
}

export const replicaIdentityFullSql = (t: Pick<SourceTable, 'sql'>) => `ALTER TABLE ${t.sql} REPLICA IDENTITY FULL`;

/** Observe by name, adopt (adding tables it lacks), or create. Returns whether it was adopted. */
export async function ensurePublication(
  sql: Sql,
  name: string,
  tables: readonly SourceTable[],
  sourceMajor: number,
): Promise<'created' | 'adopted'> {
  const exists = await sql.read<{ oid: number }>('SELECT oid::int AS oid FROM pg_publication WHERE pubname = $1', [
    name,
  ]);
  if (exists.length === 0) {
    await sql.execLocking(createPublicationSql(name, tables, sourceMajor));
    return 'created';
  }
  const have = new Set(
    (
      await sql.read<{ oid: number }>(
        'SELECT pr.prrelid::int AS oid FROM pg_publication_rel pr JOIN pg_publication p ON p.oid = pr.prpubid WHERE p.pubname = $1',
        [name],
      )
    ).map((r) => r.oid),
  );
  const [marker] = await sql.read<{ oid: number | null }>(
    `SELECT to_regclass('aurora_migrate.cutover_marker')::oid::int AS oid`,
  );
  const missing = [
    ...tables.filter((t) => !have.has(t.oid)).map((t) => t.sql),
    ...(marker?.oid && !have.has(marker.oid) ? [MARKER_SQL_NAME] : []),
  ];
  if (missing.length) await sql.execLocking(`ALTER PUBLICATION ${q(name)} ADD TABLE ${missing.join(', ')}`);
  return 'adopted';
}
