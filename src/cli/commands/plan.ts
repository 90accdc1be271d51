// `aurora-migrate plan PLAN [--preflight]`: the dry-run review of what apply would do, in order.
// Offline unless --preflight: it loads no AWS SDK, no pg and no listr2.
import { resolve } from 'node:path';
import { ExitCode } from '../exit-codes.js';
import { useColor, type Io, type PlanOptions } from '../io.js';
import { loadPlan } from '../../plan/load.js';
import { dryRun, type KnownStep } from '../../review/dry-run.js';
import type { Plan } from '../../plan/types.js';
import { steps as registry } from '../../steps/index.js';
import { runStorageFor } from '../run-storage-for.js';
import { timeScaleFromEnv } from '../../engine/time-scale.js';
import { diagnosticsDocument, formatDiagnostics } from '../../render/diagnostics.js';
import { renderPlanJson } from '../../render/plan-json.js';
import { renderPlanMarkdown } from '../../render/plan-markdown.js';
import { renderPlanText } from '../../render/plan-text.js';
import type { PlanView, PreflightView } from '../../render/plan-view.js';
import type { Diagnostic } from '../../plan/load.js';

export async function runPlan(file: string, opts: PlanOptions, io: Io): Promise<number> {
  const loaded = await loadPlan(resolve(io.cwd, file));
  const diagnostics = loaded.diagnostics.map((d) => ({ ...d, file }));
  const color = useColor(io, opts);
  if (!loaded.ok) {
    if (opts.format === 'json') io.stdout.write(diagnosticsDocument([{ file, valid: false, diagnostics }]));
    else io.stderr.write(formatDiagnostics(diagnostics, color));
    return ExitCode.Invalid;
  }
  if (opts.format !== 'json') io.stderr.write(formatDiagnostics(diagnostics, color)); // warnings only
  const plan = { ...loaded.plan, file } as Plan;
  const { view, exit } = await reviewPlan(plan, diagnostics, opts, io);

  if (opts.format === 'json') io.stdout.write(renderPlanJson(view));
  else if (opts.format === 'markdown') io.stdout.write(renderPlanMarkdown(view));
  else io.stdout.write(renderPlanText(view, useColor(io, opts, 'stdout')));
  return exit;
}

/** The review of one valid plan: the dry-run, the state's statuses, preflight when asked (exit 2 when it failed). */
export async function reviewPlan(
  plan: Plan,
  diagnostics: Diagnostic[],
  opts: PlanOptions,
  io: Io,
): Promise<{ view: PlanView; exit: number }> {
  const scale = readTimeScale(io);
  if (scale.warning) io.stderr.write(`warning: ${scale.warning}\n`);
  const { known, state } = await readKnownSteps(plan, opts, io);
  if (state.warning) io.stderr.write(`warning: ${state.warning}\n`);
  const view: PlanView = {
    ...dryRun({ plan, env: io.env, region: opts.region, known, registry }),
    ...(scale.scale !== undefined && scale.scale !== 1 ? { timeScale: scale.scale } : {}),
    state,
    ...(diagnostics.length > 0 ? { warnings: diagnostics } : {}),
  };

  let exit: number = ExitCode.Ok;
  if (opts.preflight) {
    view.preflight = await preflight(plan, opts, io);
    if (view.preflight.error) io.stderr.write(`error: ${view.preflight.error}\n`);
    if (view.preflight.failed) exit = ExitCode.Failed;
  }
  return { view, exit };
}

function readTimeScale(io: Io): { scale?: number; warning?: string } {
  try {
    return { scale: timeScaleFromEnv(io.env).scale };
  } catch (err) {
    return { warning: `${(err as Error).message} (ignored by plan; apply refuses it)` };
  }
}

/** Statuses and known outputs from the state file; a file that cannot be used is ignored with a warning. */
async function readKnownSteps(
  plan: Plan,
  opts: PlanOptions,
  io: Io,
): Promise<{ known: Record<string, KnownStep>; state: NonNullable<PlanView['state']> }> {
  // Remote state (s3://…): one GetObject, the only network call `plan` makes without --preflight.
  let chosen: ReturnType<typeof runStorageFor>;
  try {
    chosen = runStorageFor(plan, opts, io);
  } catch (err) {
    return {
      known: {},
      state: {
        path: opts.state ?? plan.state?.s3 ?? '',
        found: false,
        warning: `the state was ignored: ${(err as Error).message}`,
      },
    };
  }
  const path = chosen.shown;
  try {
    const read = await chosen.storage.read(plan.name);
    if (!read.exists) return { known: {}, state: { path, found: false } };
    const known: Record<string, KnownStep> = {};
    for (const step of plan.steps) {
      const s = read.state.steps[step.id];
      if (s)
        known[step.id] = { status: s.status, ...(s.status === 'succeeded' && s.outputs ? { outputs: s.outputs } : {}) };
    }
    return { known, state: { path, found: true } };
  } catch (err) {
    return {
      known: {},
      state: { path, found: false, warning: `the state file was ignored: ${(err as Error).message}` },
    };
  } finally {
    chosen.close();
  }
}

async function preflight(plan: Plan, opts: PlanOptions, io: Io): Promise<PreflightView> {
  const controller = new AbortController();
  let aws: { close(): void } | undefined;
  try {
    const [{ runPreflight }, adapters] = await Promise.all([
      import('../../preflight/run-preflight.js'),
      import('../../engine/adapters.js'),
    ]);
    const region = opts.region ?? plan.region;
    const lazy = adapters.lazyAwsApi({ region, profile: opts.profile, env: { ...io.env } });
    aws = lazy;
    // --verbose: every AWS call and SQL statement of the checks on stderr (loaded only then).
    const verbose = opts.verbose ? await import('../verbose-trace.js') : undefined;
    const trace = verbose?.verboseTraceFor(io, plan);
    const api = verbose && trace ? verbose.traceAws(lazy, trace) : lazy;
    const db = verbose && trace ? verbose.traceDb(adapters.lazyDbConnector(), trace) : adapters.lazyDbConnector();
    const report = await runPreflight(plan, { aws: api, db, signal: controller.signal, region, env: io.env });
    return { failed: report.failed, steps: report.steps };
  } catch (err) {
    return { failed: true, error: (err as Error)?.message ?? String(err), steps: [] };
  } finally {
    aws?.close();
  }
}
