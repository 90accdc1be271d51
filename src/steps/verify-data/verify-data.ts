// Step type "verify-data": after the promotion (or the restore), before the switch, compares the
// frozen source with the target: exact row counts (count(*)) of the listed tables or of every table
// of the listed schemas, every sequence's last value (the target's must be at or above the
// source's), and optionally a checksum of each row's text (queries.ts says how). Read-only on both
// sides, so a resume simply checks again. Any difference fails the step (exit 2), naming each
// table with both counts — the switch that follows never runs on data that does not match.
import type { ResolvedConnection } from '../../db/api.js';
import { describeConnection, toResolvedConnection } from '../../db/connection.js';
import { withSession } from '../../db/with-session.js';
import { thawTarget } from '../freeze-writes/thaw.js';
import { StepFailed } from '../../errors.js';
import type { VerifyDataSpec } from '../../plan/types.js';
import type { CheckResult, PlannedAction, PreflightContext, StepContext, StepModule } from '../step.js';
import { bothSides, compareSequences, compareTables, openSides, tablesToCompare, type Side } from './compare.js';
import {
  BEGIN_SQL,
  checksumSql,
  countSql,
  SEQUENCES_SQL,
  SESSION_SETTINGS,
  TABLES_EXIST_SQL,
  TABLES_IN_SCHEMAS_SQL,
} from './queries.js';
import { checksummed, selectionOf, type Selection } from './selection.js';

const OUTPUTS = ['tablesChecked', 'rowsChecked', 'checkedAt'] as const;

export function describeVerify(spec: VerifyDataSpec): PlannedAction[] {
  let sel: Selection | undefined;
  try {
    sel = selectionOf(spec);
  } catch {
    sel = undefined;
  }
  const both = 'on the source and on the target';
  const actions: PlannedAction[] = [
    {
      kind: 'sql',
      sql: [...SESSION_SETTINGS, BEGIN_SQL].join('; '),
      note: `${both}: fixed output settings, one read-only snapshot`,
    },
  ];
  if (spec.schemas?.length)
    actions.push({
      kind: 'sql',
      sql: TABLES_IN_SCHEMAS_SQL,
      params: [sel?.schemas ?? spec.schemas],
      note: `${both}: the tables to compare (a table on one side only fails; a table UNLOGGED on the source is left out, with a warning: no route carries its rows)`,
    });
  if (sel?.tables.length) {
    actions.push({
      kind: 'sql',
      sql: TABLES_EXIST_SQL,
      params: [sel.tables.map((t) => t.schema), sel.tables.map((t) => t.table)],
      note: `${both}: every listed table must exist`,
    });
    for (const t of sel.tables)
      if (!checksummed(sel, t))
        actions.push({ kind: 'sql', sql: countSql(t), note: `${both}; the counts must be equal` });
  } else if (!sel && spec.tables?.length) {
    actions.push({
      kind: 'check',
      description: `tables ${spec.tables.join(', ')} (invalid names: the step will fail)`,
    });
  }
  if (spec.schemas?.length)
    actions.push({
      kind: 'sql',
      sql: 'SELECT count(*) AS n FROM <each table of those schemas>',
      note: `${both}; the counts must be equal`,
    });
  for (const t of sel?.checksum ?? [])
    actions.push({ kind: 'sql', sql: checksumSql(t), note: `${both}; count and checksum must be equal` });
  if (sel?.checksumAll)
    actions.push({
      kind: 'sql',
      sql: checksumSql({ schema: '<schema>', table: '<table>' }),
      note: `for every compared table, ${both}, instead of count(*); must be equal`,
    });
  if (spec.sequences !== false)
    actions.push({
      kind: 'sql',
      sql: SEQUENCES_SQL,
      params: ['<schemas of the compared tables>'],
      note: `${both}; each target last_value must be at or above the source's`,
    });
  actions.push({
    kind: 'check',
    description:
      'fail (exit 2) on any missing table, count or checksum difference, or sequence behind the source, before anything later runs',
  });
  return actions;
}

async function runVerify(spec: VerifyDataSpec, ctx: StepContext): Promise<Record<string, unknown>> {
  let sel: Selection;
  let conns: { source: ResolvedConnection; target: ResolvedConnection };
  try {
    sel = selectionOf(spec);
    conns = {
      source: toResolvedConnection(spec.source, 'source'),
      target: toResolvedConnection(spec.target, 'target'),
    };
  } catch (err) {
    throw new StepFailed(
      ctx.stepId,
      `${(err as Error).message}. Fix the plan (or the environment variable it reads), then run apply again.`,
      { cause: err },
    );
  }

  const sides: Side[] = [];
  try {
    await openSides(ctx, conns, sides);
    const onBoth = bothSides(ctx, sides);
    await onBoth('starting the read-only snapshot', async (s) => {
      for (const sql of [...SESSION_SETTINGS, BEGIN_SQL]) await s.session.query(sql);
    });
    const problems: string[] = [];
    const { tables, present } = await tablesToCompare(ctx, onBoth, sel, problems);
    const { checked, rowsChecked } = await compareTables(ctx, onBoth, sel, tables, present, problems);
    if (spec.sequences !== false) await compareSequences(ctx, onBoth, sel, tables, problems);

    if (problems.length) {
      throw new StepFailed(
        ctx.stepId,
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
    return [
      { status: 'warn', check: 'source connection', detail: `${(err as Error).message} (resolved at apply time)` },
    ];
  }
  try {
    await withSession(ctx.db, conn, { signal: ctx.signal }, async () => undefined);
    results.push({ status: 'pass', check: 'source connection', detail: `connected to ${describeConnection(conn)}` });
  } catch (err) {
    results.push({
      status: 'fail',
      check: 'source connection',
      detail: `cannot connect to ${describeConnection(conn)}: ${(err as Error).message}`,
    });
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
