// verify-data's comparison, one session on each side inside one read-only snapshot: which tables
// (the listed ones and every table of the listed schemas, on either side), their counts or
// checksums, and the sequences. Each difference becomes one line of `problems`.
import type { DbSession, ResolvedConnection } from '../../db/api.js';
import { describeConnection } from '../../db/connection.js';
import { Interrupted, StepFailed } from '../../errors.js';
import type { StepContext } from '../step.js';
import { displayName, TOOL_SCHEMA, type TableName } from './names.js';
import { checksumSql, countSql, SEQUENCES_SQL, TABLES_EXIST_SQL, TABLES_IN_SCHEMAS_SQL } from './queries.js';
import { checksummed, key, type Selection } from './selection.js';

export interface Side {
  label: 'source' | 'target';
  conn: ResolvedConnection;
  session: DbSession;
}

/** Runs `fn` on both sides at once; a failure names what was being done. */
export type OnBoth = <R>(what: string, fn: (s: Side) => Promise<R>) => Promise<[R, R]>;

type Ctx = Pick<StepContext, 'stepId' | 'db' | 'signal' | 'progress' | 'event' | 'warn'>;

/** Connects to the source, then the target, into `sides` (the caller closes what was opened). */
export async function openSides(
  ctx: Ctx,
  conns: { source: ResolvedConnection; target: ResolvedConnection },
  sides: Side[],
): Promise<void> {
  for (const label of ['source', 'target'] as const) {
    const conn = conns[label];
    try {
      sides.push({ label, conn, session: await ctx.db.connect(conn, { signal: ctx.signal }) });
    } catch (err) {
      if (ctx.signal.aborted) throw new Interrupted('interrupted');
      throw new StepFailed(
        ctx.stepId,
        `cannot connect to the ${label} (${describeConnection(conn)}): ${(err as Error).message}. Check the ${label} connection, then run apply again.`,
        { cause: err },
      );
    }
  }
}

export function bothSides(ctx: Ctx, sides: Side[]): OnBoth {
  return async <R>(what: string, fn: (s: Side) => Promise<R>): Promise<[R, R]> => {
    try {
      return (await Promise.all(sides.map(fn))) as [R, R];
    } catch (err) {
      if (err instanceof StepFailed || ctx.signal.aborted)
        throw ctx.signal.aborted ? new Interrupted('interrupted') : err;
      throw new StepFailed(
        ctx.stepId,
        `${what} failed: ${(err as Error).message}. Check that the user may read these tables on both sides, then run apply again.`,
        { cause: err },
      );
    }
  };
}

/**
 * The tables to compare, sorted by name, and which of them each side has. A table UNLOGGED on the
 * source is left out, with a warning: no route carries its rows (no WAL: not replicated, not in a
 * snapshot, not published).
 */
export async function tablesToCompare(
  ctx: Ctx,
  onBoth: OnBoth,
  sel: Selection,
  problems: string[],
): Promise<{ tables: TableName[]; present: [Map<string, TableName>, Map<string, TableName>] }> {
  const unlogged = new Map<string, TableName>();
  const present = await onBoth('listing the tables', async (s) => {
    const found = new Map<string, TableName>();
    const add = (r: TableName & { unlogged: boolean }) => {
      found.set(key(r), { schema: r.schema, table: r.table });
      if (r.unlogged && s.label === 'source') unlogged.set(key(r), { schema: r.schema, table: r.table });
    };
    if (sel.schemas.length)
      for (const r of (await s.session.query<TableName & { unlogged: boolean }>(TABLES_IN_SCHEMAS_SQL, [sel.schemas]))
        .rows)
        add(r);
    if (sel.tables.length) {
      const rows = (
        await s.session.query<TableName & { unlogged: boolean }>(TABLES_EXIST_SQL, [
          sel.tables.map((t) => t.schema),
          sel.tables.map((t) => t.table),
        ])
      ).rows;
      for (const r of rows) add(r);
    }
    return found;
  });
  const wanted = new Map<string, TableName>();
  for (const t of [...sel.tables, ...present[0].values(), ...present[1].values()])
    if (!unlogged.has(key(t))) wanted.set(key(t), t);
  if (unlogged.size) {
    const names = [...unlogged.values()].map(displayName).sort();
    ctx.warn(
      `${names.join(', ')} ${names.length === 1 ? 'is' : 'are'} UNLOGGED on the source and left out of the comparison: PostgreSQL replicates and snapshots no rows of an unlogged table, so the target's copy starts empty. Fill ${names.length === 1 ? 'it' : 'them'} again from the application, or make ${names.length === 1 ? 'it' : 'them'} logged (ALTER TABLE … SET LOGGED) before the migration if the rows matter`,
    );
    ctx.event('verify-unlogged', { tables: names });
  }
  for (const t of sel.checksum)
    if (!wanted.has(key(t)) && !unlogged.has(key(t)))
      problems.push(
        `checksum names ${displayName(t)}, which is not among the compared tables (add it to tables or its schema to schemas)`,
      );
  const tables = [...wanted.values()].sort((a, b) => displayName(a).localeCompare(displayName(b)));
  if (tables.length === 0)
    throw new StepFailed(
      ctx.stepId,
      `no tables found in schemas ${sel.schemas.join(', ')} on either side. Check the schema names, then run apply again.`,
    );
  return { tables, present };
}

/** Counts (or checksums) each table on both sides; a table missing on a side is a problem, not compared. */
export async function compareTables(
  ctx: Ctx,
  onBoth: OnBoth,
  sel: Selection,
  tables: readonly TableName[],
  present: [Map<string, TableName>, Map<string, TableName>],
  problems: string[],
): Promise<{ checked: number; rowsChecked: number }> {
  let rowsChecked = 0;
  let checked = 0;
  for (const [i, t] of tables.entries()) {
    const name = displayName(t);
    const missing = (['source', 'target'] as const).filter((label) => !present[label === 'source' ? 0 : 1].has(key(t)));
    if (missing.length) {
      problems.push(`${name} is missing on the ${missing.join(' and the ')}`);
      continue;
    }
    const withSum = checksummed(sel, t);
    ctx.progress(`${name}: ${withSum ? 'counting and checksumming' : 'counting'} (${i + 1}/${tables.length})`);
    const [src, tgt] = await onBoth(`reading ${name}`, async (s) => {
      const row = (
        await s.session.query<{ n: string; hi?: string; lo?: string }>(withSum ? checksumSql(t) : countSql(t))
      ).rows[0];
      return { n: Number(row.n), sum: withSum ? `${row.hi}/${row.lo}` : undefined };
    });
    checked += 1;
    rowsChecked += src.n;
    ctx.event('verify-table', {
      table: name,
      sourceRows: src.n,
      targetRows: tgt.n,
      ...(withSum ? { checksumEqual: src.sum === tgt.sum } : {}),
    });
    if (src.n !== tgt.n) problems.push(`${name} has ${src.n} rows on the source and ${tgt.n} on the target`);
    else if (withSum && src.sum !== tgt.sum)
      problems.push(`${name} has ${src.n} rows on both sides but their contents differ (checksum)`);
    else ctx.progress(`${name}: ${src.n} rows on both sides${withSum ? ', checksums equal' : ''}`);
  }
  return { checked, rowsChecked };
}

/** Every sequence of the compared schemas must exist on the target, at or above the source's last value. */
export async function compareSequences(
  ctx: Ctx,
  onBoth: OnBoth,
  sel: Selection,
  tables: readonly TableName[],
  problems: string[],
): Promise<void> {
  const schemas = [...new Set([...sel.schemas, ...tables.map((t) => t.schema)])].filter((s) => s !== TOOL_SCHEMA);
  ctx.progress(`sequences of ${schemas.join(', ')}`);
  const [src, tgt] = await onBoth(
    'reading the sequences',
    async (s) =>
      new Map(
        (
          await s.session.query<{ schema: string; name: string; last_value: string | null }>(SEQUENCES_SQL, [schemas])
        ).rows.map((r) => [`${r.schema}.${r.name}`, r.last_value]),
      ),
  );
  for (const [name, value] of src) {
    const there = tgt.get(name);
    if (there === undefined) problems.push(`sequence ${name} is missing on the target`);
    else if (value !== null && (there === null || BigInt(there) < BigInt(value))) {
      problems.push(`sequence ${name} is at ${there ?? 'never used'} on the target, behind the source's ${value}`);
    }
  }
}
