// pg_dump's plain-text output as data: the prologue (SET lines) and one entry per TOC item, each with
// its name, type and SQL, so the schema copy can send the keys before the copy and the rest after,
// and replay any part again after a crash (statements that find their object already there are
// skipped). Recent pg_dump (15.14+) brackets the script with \restrict/\unrestrict, which an older
// psql cannot read; the tool drops those two lines because it never replays a script it did not
// split itself: any other psql meta-command line in a dump is refused.
import type { ResolvedConnection } from '../../db/api.js';
import { commandLine, connectionArgs, programPath, type CommandRunner, type PgProgram } from '../commands.js';

export interface DumpEntry {
  name: string;
  type: string;
  schema: string;
  owner: string;
  sql: string;
}

export interface ParsedDump {
  prologue: string;
  entries: DumpEntry[];
}

const HEADER = /^-- (?:Name|Data for Name): (.*); Type: (.*); Schema: (.*); Owner: (.*)$/;

export function parseDump(text: string): ParsedDump {
  const lines = text.split('\n');
  const prologue: string[] = [];
  const entries: DumpEntry[] = [];
  let current: DumpEntry | undefined;
  let body: string[] = [];
  const flush = () => {
    // pg_dump frames each header with "--" lines: drop those at the ends of the body, never inside it.
    while (body.length && /^(--)?\s*$/.test(body[0])) body.shift();
    while (body.length && /^(--)?\s*$/.test(body[body.length - 1])) body.pop();
    if (current) entries.push({ ...current, sql: body.join('\n').trim() });
    body = [];
  };
  for (const line of lines) {
    if (/^\\(restrict|unrestrict) \S+\s*$/.test(line)) continue;
    const h = HEADER.exec(line);
    if (h) {
      flush();
      current = { name: h[1], type: h[2], schema: h[3], owner: h[4], sql: '' };
      continue;
    }
    if (line.startsWith('-- PostgreSQL database dump complete')) {
      flush();
      current = undefined;
      continue;
    }
    if (/^\\/.test(line))
      throw new Error(`pg_dump's output holds a psql meta-command the tool does not replay: ${line.slice(0, 60)}`);
    if (current) body.push(line);
    else if (!line.startsWith('--') && line.trim() !== '') prologue.push(line);
  }
  flush();
  return { prologue: prologue.join('\n'), entries: entries.filter((e) => e.sql !== '') };
}

/** The script psql runs: the prologue (SET …) then the entries. */
export const scriptOf = (dump: ParsedDump, entries: DumpEntry[]) =>
  `${dump.prologue}\n\n${entries.map((e) => e.sql).join('\n\n')}\n`;

/**
 * Pre-data in an order a master user can replay: the target's own `public` schema is kept (15+: owned
 * by the database owner, the tool's user), schema privileges come before the objects whose new
 * owners need CREATE there, and ALTER … OWNER TO a role the tool cannot become (a superuser, RDS's
 * own roles) is left out, so such objects stay the tool's user's.
 */
export function preDataEntries(dump: ParsedDump, cannotOwn: (role: string) => boolean): DumpEntry[] {
  const kept = dump.entries
    .filter(
      (e) => !(e.type === 'SCHEMA' && e.name === 'public') && !(e.type === 'COMMENT' && e.name === 'SCHEMA public'),
    )
    .map((e) =>
      cannotOwn(e.owner)
        ? {
            ...e,
            sql: e.sql
              .split('\n')
              .filter((l) => !/^ALTER .* OWNER TO .*;$/.test(l))
              .join('\n')
              .trim(),
          }
        : e,
    );
  const schemas = kept.filter((e) => e.type === 'SCHEMA');
  const schemaAcls = kept.filter((e) => e.type === 'ACL' && e.name.startsWith('SCHEMA '));
  return [...schemas, ...schemaAcls, ...kept.filter((e) => !schemas.includes(e) && !schemaAcls.includes(e))];
}

/** Keys the apply worker needs during and right after each table's copy: primary keys, replica-identity indexes, their partition attachments. */
export function keyEntries(dump: ParsedDump): DumpEntry[] {
  const keys = dump.entries.filter(
    (e) =>
      (e.type === 'CONSTRAINT' && /\bPRIMARY KEY\b/.test(e.sql)) ||
      ((e.type === 'CONSTRAINT' || e.type === 'INDEX') && /REPLICA IDENTITY USING INDEX/.test(e.sql)),
  );
  const names = new Set(keys.map((e) => e.name.split(' ').at(-1)));
  return dump.entries.filter(
    (e) => keys.includes(e) || (e.type === 'INDEX ATTACH' && names.has(e.name.split(' ').at(-1))),
  );
}

export interface PgToolsDeps {
  runner: CommandRunner;
  env?: Readonly<Record<string, string | undefined>>;
  signal?: AbortSignal;
  /** Records the command (program and arguments; the password is in the environment, never here). */
  record(command: string, args: readonly string[]): void;
}

export async function runTool(
  deps: PgToolsDeps,
  program: PgProgram,
  conn: ResolvedConnection,
  args: readonly string[],
  input?: string,
) {
  const c = connectionArgs(conn);
  const path = programPath(program, deps.env);
  const full = [...c.args, ...args];
  deps.record(path, full);
  const r = await deps.runner.run(path, full, { env: c.env, input, signal: deps.signal });
  if (r.code === 127)
    throw new Error(
      `${path} was not found: install the PostgreSQL client (Debian: postgresql-client) or set PG_BINDIR`,
    );
  return r;
}

/** pg_dump of one section of the schema; throws with pg_dump's own message. */
export async function dumpSection(
  deps: PgToolsDeps,
  source: ResolvedConnection,
  section: 'pre-data' | 'post-data',
  selection: readonly string[],
): Promise<ParsedDump> {
  const args = dumpArgs(source, section, selection);
  const r = await runTool(deps, 'pg_dump', source, args);
  if (r.code !== 0) throw new Error(`pg_dump --section=${section} failed: ${r.stderr.trim().slice(0, 600)}`);
  return parseDump(r.stdout);
}

export const dumpArgs = (
  source: Pick<ResolvedConnection, 'database'>,
  section: 'pre-data' | 'post-data',
  selection: readonly string[],
) => [
  '--schema-only',
  `--section=${section}`,
  '--no-publications',
  '--no-subscriptions',
  '--no-blobs',
  '--no-tablespaces',
  ...selection,
  '-d',
  source.database,
];

/** Errors psql reported that mean "already there" (a replay after a crash): skipped. */
const ALREADY =
  /already exists|multiple primary keys for table .* are not allowed|is already attached|is already a partition|is already an identity column|already a member of role/;

/**
 * Runs the script on the target with psql (ON_ERROR_STOP off, so one statement's "already exists"
 * does not stop the rest); returns the other errors, each with the statement's line.
 */
export async function applyScript(deps: PgToolsDeps, target: ResolvedConnection, script: string): Promise<string[]> {
  const r = await runTool(
    deps,
    'psql',
    target,
    ['-X', '-q', '-v', 'ON_ERROR_STOP=0', '-d', target.database, '-f', '-'],
    script,
  );
  const errors = r.stderr
    .split('\n')
    .filter((l) => /ERROR:/.test(l) && !ALREADY.test(l))
    .map((l) => l.replace(/^psql:<stdin>:/, 'line ').trim());
  if (r.code !== 0 && errors.length === 0)
    errors.push(`psql exited with code ${r.code}: ${r.stderr.trim().slice(0, 300)}`);
  return errors;
}

export const describeCommand = (
  program: PgProgram,
  conn: ResolvedConnection,
  args: readonly string[],
  env?: Readonly<Record<string, string | undefined>>,
) => commandLine(programPath(program, env), [...connectionArgs(conn).args, ...args]);
