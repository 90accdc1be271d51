// What verify-data compares, parsed from the plan: the listed tables, the listed schemas (each of
// their tables), and which tables are checksummed rather than only counted.
import type { VerifyDataSpec } from '../../plan/types.js';
import { displayName, parseSchemaName, parseTableName, TOOL_SCHEMA, type TableName } from './names.js';

export interface Selection {
  tables: TableName[];
  schemas: string[];
  checksumAll: boolean;
  checksum: TableName[];
}

export const key = (t: TableName) => `${t.schema}\u0000${t.table}`;

/** Parses the plan's names; every problem in one message. */
export function selectionOf(spec: VerifyDataSpec): Selection {
  const problems: string[] = [];
  const parse = <T>(items: readonly string[] | undefined, fn: (s: string) => T): T[] =>
    (items ?? []).flatMap((s) => {
      try {
        return [fn(s)];
      } catch (err) {
        problems.push((err as Error).message);
        return [];
      }
    });
  const tables = parse(spec.tables, parseTableName);
  const schemas = parse(spec.schemas, parseSchemaName);
  const checksum = Array.isArray(spec.checksum) ? parse(spec.checksum, parseTableName) : [];
  if (tables.length === 0 && schemas.length === 0 && problems.length === 0)
    problems.push('list the tables (tables: [schema.table, …]) or schemas (schemas: [public]) to compare');
  for (const t of [...tables, ...checksum])
    if (t.schema === TOOL_SCHEMA)
      problems.push(
        `${displayName(t)} is in the tool's own schema ${TOOL_SCHEMA}, which differs between source and target by design`,
      );
  if (problems.length) throw new Error(problems.join('; '));
  return { tables, schemas, checksumAll: spec.checksum === true, checksum };
}

export function checksummed(sel: Selection, t: TableName): boolean {
  return sel.checksumAll || sel.checksum.some((c) => key(c) === key(t));
}
