// Table names from the plan (`schema.table`) to catalog names and to safely quoted SQL identifiers.
// A plan name never becomes SQL text as written: it is parsed (plain identifiers are folded to
// lower case like PostgreSQL does, "quoted" ones keep their case), looked up in pg_class through
// bound parameters, and only the catalog's own names are quoted into the count and checksum SQL.

export interface TableName {
  schema: string;
  table: string;
}

const PLAIN = /^[A-Za-z_][A-Za-z0-9_$]*$/;

/** The tool's own schema (ledgers, cutover marker): never compared. */
export const TOOL_SCHEMA = 'aurora_migrate';

/** Parses `schema.table` or `"My Schema"."My Table"`; throws a message naming the problem. */
export function parseTableName(text: string): TableName {
  const parts: string[] = [];
  let i = 0;
  const s = text.trim();
  while (i <= s.length) {
    if (s[i] === '"') {
      let j = i + 1;
      let name = '';
      for (;;) {
        if (j >= s.length) throw new Error(`table "${text}": unterminated quoted identifier`);
        if (s[j] === '"') {
          if (s[j + 1] === '"') {
            name += '"';
            j += 2;
            continue;
          }
          break;
        }
        name += s[j];
        j += 1;
      }
      if (name === '') throw new Error(`table "${text}": empty quoted identifier`);
      parts.push(name);
      i = j + 1;
    } else {
      const end = s.indexOf('.', i);
      const raw = end === -1 ? s.slice(i) : s.slice(i, end);
      if (!PLAIN.test(raw)) {
        throw new Error(
          `table "${text}": "${raw}" is not a plain identifier (letters, digits, _ and $, not starting with a digit); write it in double quotes if it really is named so`,
        );
      }
      parts.push(raw.toLowerCase());
      i = end === -1 ? s.length : end;
    }
    if (i >= s.length) break;
    if (s[i] !== '.') throw new Error(`table "${text}": expected "." after an identifier`);
    i += 1;
    if (i >= s.length) throw new Error(`table "${text}": nothing after the last "."`);
  }
  if (parts.length !== 2) throw new Error(`table "${text}": write it as schema.table (e.g. public.orders)`);
  return { schema: parts[0], table: parts[1] };
}

/** A schema name from `schemas:` (plain identifiers folded to lower case, "quoted" kept). */
export function parseSchemaName(text: string): string {
  const s = text.trim();
  if (s.length > 2 && s.startsWith('"') && s.endsWith('"') && !s.slice(1, -1).replace(/""/g, '').includes('"'))
    return s.slice(1, -1).replace(/""/g, '"');
  if (!PLAIN.test(s))
    throw new Error(`schema "${text}" is not a plain identifier; write it in double quotes if it really is named so`);
  return s.toLowerCase();
}

/** "name" with inner quotes doubled: safe in any identifier position. */
export function quoteIdent(name: string): string {
  if (name.includes('\u0000')) throw new Error('identifier contains a NUL byte');
  return `"${name.replace(/"/g, '""')}"`;
}

export const qualified = (t: TableName) => `${quoteIdent(t.schema)}.${quoteIdent(t.table)}`;

/** For messages: public.orders, or "Odd Schema".orders when quoting is needed. */
export function displayName(t: TableName): string {
  const part = (p: string) => (/^[a-z_][a-z0-9_$]*$/.test(p) ? p : quoteIdent(p));
  return `${part(t.schema)}.${part(t.table)}`;
}
