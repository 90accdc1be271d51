// Step type "verify-data": after the promotion (or the restore), before the switch, compares the
// frozen source with the target: exact row counts (count(*)) of the listed tables or of every table
// of the listed schemas, every sequence's last value (the target's must be at or above the
// source's), and optionally a checksum of each row's text (queries.ts says how). Read-only on both
// sides, so a resume simply checks again. Any difference fails the step (exit 2), naming each
// table with both counts — the switch that follows never runs on data that does not match.
import type { DbSession, ResolvedConnection } from '../../db/api.js';
import { describeConnection, toResolvedConnection } from '../../db/connection.js';
import { thawTarget } from '../freeze-writes/thaw.js';
import { Interrupted, StepFailed } from '../../errors.js';
import type { VerifyDataSpec } from '../../plan/types.js';
import type { CheckResult, PlannedAction, PreflightContext, StepContext, StepModule } from '../step.js';
import { displayName, parseSchemaName, parseTableName, TOOL_SCHEMA, type TableName } from './names.js';
import { BEGIN_SQL, checksumSql, countSql, SEQUENCES_SQL, SESSION_SETTINGS, TABLES_EXIST_SQL, TABLES_IN_SCHEMAS_SQL } from './queries.js';

const OUTPUTS = ['tablesChecked', 'rowsChecked', 'checkedAt'] as const;

interface Selection {
  tables: TableName[];
  schemas: string[];
  checksumAll: boolean;
  checksum: TableName[];
}

const key = (t: TableName) => `${t.schema}\u0000${t.table}`;

/** Parses the plan's names; every problem in one message. */
export function selectionOf(spec: VerifyDataSpec): Selection {
  const problems: string[] = [];
  const parse = <T,>(items: readonly string[] | undefined, fn: (s: string) => T): T[] =>
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
  if (tables.length === 0 && schemas.length === 0 && problems.length === 0) problems.push('list the tables (tables: [schema.table, …]) or schemas (schemas: [public]) to compare');
  for (const t of [...tables, ...checksum]) if (t.schema === TOOL_SCHEMA) problems.push(`${displayName(t)} is in the tool's own schema ${TOOL_SCHEMA}, which differs between source and target by design`);
  if (problems.length) throw new Error(problems.join('; '));
  return { tables, schemas, checksumAll: spec.checksum === true, checksum };
}

export function describeVerify(spec: VerifyDataSpec): PlannedAction[] {
  let sel: Selection | undefined;
  try {
    sel = selectionOf(spec);
  } catch {
    sel = undefined;
  }
  const both = 'on the source and on the target';
  const actions: PlannedAction[] = [
    { kind: 'sql', sql: [...SESSION_SETTINGS, BEGIN_SQL].join('; '), note: `${both}: fixed output settings, one read-only snapshot` },
  ];
  if (spec.schemas?.length) actions.push({ kind: 'sql', sql: TABLES_IN_SCHEMAS_SQL, params: [sel?.schemas ?? spec.schemas], note: `${both}: the tables to compare (a table on one side only fails; a table UNLOGGED on the source is left out, with a warning: no route carries its rows)` });
  if (sel?.tables.length) {
    actions.push({ kind: 'sql', sql: TABLES_EXIST_SQL, params: [sel.tables.map((t) => t.schema), sel.tables.map((t) => t.table)], note: `${both}: every listed table must exist` });
    for (const t of sel.tables) if (!checksummed(sel, t)) actions.push({ kind: 'sql', sql: countSql(t), note: `${both}; the counts must be equal` });
  } else if (!sel && spec.tables?.length) {
    actions.push({ kind: 'check', description: `tables ${spec.tables.join(', ')} (invalid names: the step will fail)` });
  }
  if (spec.schemas?.length) actions.push({ kind: 'sql', sql: 'SELECT count(*) AS n FROM <each table of those schemas>', note: `${both}; the counts must be equal` });
  for (const t of sel?.checksum ?? []) actions.push({ kind: 'sql', sql: checksumSql(t), note: `${both}; count and checksum must be equal` });
  if (sel?.checksumAll) actions.push({ kind: 'sql', sql: checksumSql({ schema: '<schema>', table: '<table>' }), note: `for every compared table, ${both}, instead of count(*); must be equal` });
  if (spec.sequences !== false) actions.push({ kind: 'sql', sql: SEQUENCES_SQL, params: ['<schemas of the compared tables>'], note: `${both}; each target last_value must be at or above the source's` });
  actions.push({ kind: 'check', description: 'fail (exit 2) on any missing table, count or checksum difference, or sequence behind the source, before anything later runs' });
  return actions;
}

function checksummed(sel: Selection, t: TableName): boolean {
  return sel.checksumAll || sel.checksum.some((c) => key(c) === key(t));
}

interface Side {
  label: 'source' | 'target';
  conn: ResolvedConnection;
  session: DbSession;
}

async function runVerify(spec: VerifyDataSpec, ctx: StepContext): Promise<Record<string, unknown>> {
  const fail = (message: string, cause?: unknown) => new StepFailed(ctx.stepId, `step "${ctx.stepId}" failed: ${message}`, { cause });
  let sel: Selection;
  let conns: { source: ResolvedConnection; target: ResolvedConnection };
  try {
    sel = selectionOf(spec);
    conns = { source: toResolvedConnection(spec.source, 'source'), target: toResolvedConnection(spec.target, 'target') };
  } catch (err) {
    throw fail(`${(err as Error).message}. Fix the plan (or the environment variable it reads), then run apply again.`, err);
  }

  const sides: Side[] = [];
  try {
    for (const label of ['source', 'target'] as const) {
      const conn = conns[label];
      try {
        sides.push({ label, conn, session: await ctx.db.connect(conn, { signal: ctx.signal }) });
      } catch (err) {
        if (ctx.signal.aborted) throw new Interrupted('interrupted');
        throw fail(`cannot connect to the ${label} (${describeConnection(conn)}): ${(err as Error).message}. Check the ${label} connection, then run apply again.`, err);
      }
    }
    const onBoth = async <R,>(what: string, fn: (s: Side) => Promise<R>): Promise<[R, R]> => {
      try {
        return (await Promise.all(sides.map(fn))) as [R, R];
      } catch (err) {
        if (err instanceof StepFailed || ctx.signal.aborted) throw ctx.signal.aborted ? new Interrupted('interrupted') : err;
        throw fail(`${what} failed: ${(err as Error).message}. Check that the user may read these tables on both sides, then run apply again.`, err);
      }
    };
    await onBoth('starting the read-only snapshot', async (s) => {
      for (const sql of [...SESSION_SETTINGS, BEGIN_SQL]) await s.session.query(sql);
    });

    // Which tables: the listed ones and every table of the listed schemas, on either side.
    const problems: string[] = [];
    const unlogged = new Map<string, TableName>();
    const present = await onBoth('listing the tables', async (s) => {
      const found = new Map<string, TableName>();
      const add = (r: TableName & { unlogged: boolean }) => {
        found.set(key(r), { schema: r.schema, table: r.table });
        if (r.unlogged && s.label === 'source') unlogged.set(key(r), { schema: r.schema, table: r.table });
      };
      if (sel.schemas.length) for (const r of (await s.session.query<TableName & { unlogged: boolean }>(TABLES_IN_SCHEMAS_SQL, [sel.schemas])).rows) add(r);
      if (sel.tables.length) {
        const rows = (await s.session.query<TableName & { unlogged: boolean }>(TABLES_EXIST_SQL, [sel.tables.map((t) => t.schema), sel.tables.map((t) => t.table)])).rows;
        for (const r of rows) add(r);
      }
      return found;
    });
    const wanted = new Map<string, TableName>();
    for (const t of [...sel.tables, ...present[0].values(), ...present[1].values()]) if (!unlogged.has(key(t))) wanted.set(key(t), t);
    if (unlogged.size) {
      const names = [...unlogged.values()].map(displayName).sort();
      ctx.warn(`${names.join(', ')} ${names.length === 1 ? 'is' : 'are'} UNLOGGED on the source and left out of the comparison: PostgreSQL replicates and snapshots no rows of an unlogged table, so the target's copy starts empty. Fill ${names.length === 1 ? 'it' : 'them'} again from the application, or make ${names.length === 1 ? 'it' : 'them'} logged (ALTER TABLE … SET LOGGED) before the migration if the rows matter`);
      ctx.event('verify-unlogged', { tables: names });
    }
    for (const t of sel.checksum) if (!wanted.has(key(t)) && !unlogged.has(key(t))) problems.push(`checksum names ${displayName(t)}, which is not among the compared tables (add it to tables or its schema to schemas)`);
    const tables = [...wanted.values()].sort((a, b) => displayName(a).localeCompare(displayName(b)));
    if (tables.length === 0) throw fail(`no tables found in schemas ${sel.schemas.join(', ')} on either side. Check the schema names, then run apply again.`);

    let rowsChecked = 0;
    let checked = 0;
    for (const [i, t] of tables.entries()) {
      const name = displayName(t);
      const missing = sides.filter((s) => !present[s.label === 'source' ? 0 : 1].has(key(t))).map((s) => s.label);
      if (missing.length) {
        problems.push(`${name} is missing on the ${missing.join(' and the ')}`);
        continue;
      }
      const withSum = checksummed(sel, t);
      ctx.progress(`${name}: ${withSum ? 'counting and checksumming' : 'counting'} (${i + 1}/${tables.length})`);
      const [src, tgt] = await onBoth(`reading ${name}`, async (s) => {
        const row = (await s.session.query<{ n: string; hi?: string; lo?: string }>(withSum ? checksumSql(t) : countSql(t))).rows[0];
        return { n: Number(row.n), sum: withSum ? `${row.hi}/${row.lo}` : undefined };
      });
      checked += 1;
      rowsChecked += src.n;
      ctx.event('verify-table', { table: name, sourceRows: src.n, targetRows: tgt.n, ...(withSum ? { checksumEqual: src.sum === tgt.sum } : {}) });
      if (src.n !== tgt.n) problems.push(`${name} has ${src.n} rows on the source and ${tgt.n} on the target`);
      else if (withSum && src.sum !== tgt.sum) problems.push(`${name} has ${src.n} rows on both sides but their contents differ (checksum)`);
      else ctx.progress(`${name}: ${src.n} rows on both sides${withSum ? ', checksums equal' : ''}`);
    }

    if (spec.sequences !== false) {
      const schemas = [...new Set([...sel.schemas, ...tables.map((t) => t.schema)])].filter((s) => s !== TOOL_SCHEMA);
      ctx.progress(`sequences of ${schemas.join(', ')}`);
      const [src, tgt] = await onBoth('reading the sequences', async (s) =>
        new Map((await s.session.query<{ schema: string; name: string; last_value: string | null }>(SEQUENCES_SQL, [schemas])).rows.map((r) => [`${r.schema}.${r.name}`, r.last_value])),
      );
      for (const [name, value] of src) {
        const there = tgt.get(name);
        if (there === undefined) problems.push(`sequence ${name} is missing on the target`);
        else if (value !== null && (there === null || BigInt(there) < BigInt(value))) {
          problems.push(`sequence ${name} is at ${there ?? 'never used'} on the target, behind the source's ${value}`);
        }
      }
    }

    if (problems.length) {
      throw fail(
        `the target does not match the source: ${problems.join('; ')}. Nothing after this step has run. ` +
          'Find out why (a write after the freeze, a replica that was not caught up, a table changed behind the tool), fix it, then run apply again.',
      );
    }
    const checkedAt = new Date(ctx.clock.now()).toISOString();
    ctx.progress(`${checked} tables, ${rowsChecked} rows: source and target match`);
    return { tablesChecked: checked, rowsChecked, checkedAt };
  } finally {
    for (const s of sides) {
      await s.session.query('ROLLBACK').catch(() => undefined);
      await s.session.close().catch(() => undefined);
    }
  }
}

async function preflightVerify(spec: VerifyDataSpec, ctx: PreflightContext): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  try {
    selectionOf(spec);
  } catch (err) {
    return [{ status: 'fail', check: 'table names', detail: (err as Error).message }];
  }
  // Only the source can be reached before the run (the target is usually created by the plan).
  let conn: ResolvedConnection;
  try {
    conn = toResolvedConnection(spec.source, 'source');
  } catch (err) {
    return [{ status: 'warn', check: 'source connection', detail: `${(err as Error).message} (resolved at apply time)` }];
  }
  try {
    const session = await ctx.db.connect(conn, { signal: ctx.signal });
    await session.close();
    results.push({ status: 'pass', check: 'source connection', detail: `connected to ${describeConnection(conn)}` });
  } catch (err) {
    results.push({ status: 'fail', check: 'source connection', detail: `cannot connect to ${describeConnection(conn)}: ${(err as Error).message}` });
  }
  return results;
}

export const verifyData: StepModule<VerifyDataSpec> = {
  type: 'verify-data',
  outputs: OUTPUTS,
  describe: (spec) => describeVerify(spec),
  preflight: (spec, ctx) => preflightVerify(spec, ctx),
  run: async (spec, ctx) => {
    const outputs = await runVerify(spec, ctx);
    // Inside a cutover the target is a copy of the frozen source, read-only default included (the
    // snapshot route has no promote step to lift it): once verified, it gets the previous settings.
    if (ctx.cutover) await thawTarget(ctx, spec.target, ctx.cutover.frozenBefore());
    return outputs;
  },
};
