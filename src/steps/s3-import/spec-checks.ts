// Checks on an s3-import spec that protect the database: table and column names must be plain
// identifiers (letters, digits, _ and $; `schema.table` or `table`), and `options` — the tail of a
// COPY statement that aws_s3 splices into its COPY — must not end the statement or open a comment.
// Names travel as bound parameter values anyway; these checks refuse what a user would not mean
// (quotes, semicolons, spaces...) before anything is sent. All problems are reported at once.
import type { ImportTableSpec, S3ImportSpec } from '../../plan/types.js';

const IDENT = /^[\p{L}_][\p{L}\p{N}_$]*$/u;
const MAX_IDENT_BYTES = 63;

export function checkIdentifier(name: string): string | undefined {
  if (!IDENT.test(name)) {
    const bad = [...name].find((ch, i) => !(i === 0 ? /[\p{L}_]/u : /[\p{L}\p{N}_$]/u).test(ch));
    return bad === undefined
      ? 'is empty'
      : `contains ${describeChar(bad)}, which a table or column name here may not contain (use letters, digits, _ and $; a name must not start with a digit)`;
  }
  if (Buffer.byteLength(name, 'utf8') > MAX_IDENT_BYTES) return `is longer than ${MAX_IDENT_BYTES} bytes`;
  return undefined;
}

function describeChar(ch: string): string {
  if (ch === ' ') return 'a space';
  if (ch === '"') return 'a double quote (")';
  if (ch === "'") return "a single quote (')";
  if (ch === ';') return 'a semicolon (;)';
  if (/\s/.test(ch)) return 'white space';
  if (/[\x00-\x1f\x7f]/.test(ch)) return `a control character (U+${ch.charCodeAt(0).toString(16).padStart(4, '0')})`;
  return `"${ch}"`;
}

/** `schema.table` or `table`, each part a plain identifier. */
export function checkTableName(table: string): string | undefined {
  const parts = table.split('.');
  if (parts.length > 2) return `"${table}" has more than one dot: write schema.table or table`;
  for (const part of parts) {
    const problem = checkIdentifier(part);
    if (problem) return `"${table}": ${parts.length === 2 ? `the part "${part}" ` : ''}${problem}`;
  }
  return undefined;
}

/**
 * The COPY options text: quotes must be balanced, and outside quoted text it may not contain `;`,
 * `--` or `/*`. Returns a problem or undefined.
 */
export function checkCopyOptions(options: string): string | undefined {
  let quote: "'" | '"' | undefined;
  for (let i = 0; i < options.length; i++) {
    const ch = options[i];
    if (quote) {
      if (ch === quote) {
        if (options[i + 1] === quote) i++;
        else quote = undefined;
      }
      continue;
    }
    if (ch === "'" || ch === '"') quote = ch;
    else if (ch === ';') return "contains a semicolon outside a quoted value (write a ; delimiter as DELIMITER ';')";
    else if (ch === '-' && options[i + 1] === '-') return 'contains "--" (an SQL comment) outside a quoted value';
    else if (ch === '/' && options[i + 1] === '*') return 'contains "/*" (an SQL comment) outside a quoted value';
    else if (/[\x00-\x08\x0b\x0c\x0e-\x1f]/.test(ch)) return 'contains a control character';
  }
  if (quote) return `has an unclosed ${quote === "'" ? 'single' : 'double'} quote`;
  return undefined;
}

/** Every problem of the spec, each as "tables[i].field: message". Empty when fine. */
export function checkImportSpec(spec: S3ImportSpec): string[] {
  const problems: string[] = [];
  const concurrency = spec.concurrency ?? 4;
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) {
    problems.push(`concurrency: ${concurrency} is not a whole number from 1 to 64`);
  }
  if (spec.onError !== undefined && spec.onError !== 'stop' && spec.onError !== 'continue') {
    problems.push(`onError: ${JSON.stringify(spec.onError)} must be "stop" or "continue"`);
  }
  if (spec.credentials && (spec.cluster || spec.iamRole)) {
    problems.push('credentials: give either cluster + iamRole or credentials, not both');
  }
  if ((spec.cluster === undefined) !== (spec.iamRole === undefined)) {
    problems.push(
      `${spec.cluster === undefined ? 'cluster' : 'iamRole'}: cluster and iamRole go together (the role is associated with the cluster)`,
    );
  }
  if (!spec.tables || spec.tables.length === 0) problems.push('tables: at least one table is needed');
  for (const [i, t] of (spec.tables ?? []).entries()) problems.push(...checkTable(t, `tables[${i}]`));
  return problems;
}

function checkTable(t: ImportTableSpec, at: string): string[] {
  const problems: string[] = [];
  const tableProblem = checkTableName(t.table ?? '');
  if (tableProblem) problems.push(`${at}.table: ${tableProblem}`);
  (t.columns ?? []).forEach((c, j) => {
    const p = checkIdentifier(c);
    if (p) problems.push(`${at}.columns[${j}]: "${c}" ${p}`);
  });
  if (t.columns && new Set(t.columns.map((c) => c.toLowerCase())).size !== t.columns.length) {
    problems.push(`${at}.columns: a column is listed twice`);
  }
  const optionsProblem = checkCopyOptions(t.options ?? '');
  if (optionsProblem) problems.push(`${at}.options: ${optionsProblem}`);
  const from = t.from;
  if (!from?.bucket) problems.push(`${at}.from.bucket is missing`);
  const keys = from?.keys;
  const hasKeys = Array.isArray(keys);
  const hasPrefix = typeof from?.prefix === 'string';
  if (hasKeys === hasPrefix) problems.push(`${at}.from: give exactly one of keys or prefix`);
  if (hasKeys && keys.length === 0) problems.push(`${at}.from.keys: the list is empty`);
  if (hasKeys && new Set(keys).size !== keys.length) problems.push(`${at}.from.keys: a key is listed twice`);
  if (t.expectRows !== undefined && (!Number.isInteger(t.expectRows) || t.expectRows < 0)) {
    problems.push(`${at}.expectRows: ${t.expectRows} is not a whole number >= 0`);
  }
  return problems;
}

/** The column_list argument of aws_s3.table_import_from_s3: "" means all columns. */
export function columnListText(columns: readonly string[] | undefined): string {
  return (columns ?? []).join(', ');
}
