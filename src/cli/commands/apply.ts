// `aurora-migrate apply PLAN`: load the plan, run (or resume) it with the engine, render progress and
// the result, pick the exit code. Everything else lives in src/engine (applyPlan returns data).
import { isAbsolute, resolve } from 'node:path';
import type { ApplyOptions, GlobalOptions, Io } from '../io.js';
import { useColor } from '../io.js';
import { ExitCode, exitCodeFor, exitCodeForOutcome } from '../exit-codes.js';
import { loadPlan, type LoadResult } from '../../plan/load.js';
import type { Plan } from '../../plan/types.js';
import { AuroraMigrateError, UsageError } from '../../errors.js';
import { steps as productionSteps } from '../../steps/index.js';
import type { AnyStepModule } from '../../steps/step.js';
import type { AwsApi } from '../../aws/api.js';
import type { DbConnector } from '../../db/api.js';
import { applyPlan, type EngineDeps } from '../../engine/engine.js';
import type { ApplyResult } from '../../engine/result.js';
import { timeScaleFromEnv } from '../../engine/time-scale.js';
import { lazyAwsApi, lazyDbConnector } from '../../engine/adapters.js';
import { exitBySignal, handleInterrupts, type SignalName, type SignalSource } from '../../engine/interrupts.js';
import type { EngineListener } from '../../engine/events.js';
import { plainProgress } from '../../render/progress-plain.js';
import { renderApplyResult } from '../../render/apply-result.js';
import { diagnosticsDocument, formatDiagnostics } from '../../render/diagnostics.js';
import { askApproval, askYesNo, confirmationQuestion } from '../../render/progress-prompt.js';
import { traceAws, traceDb, verboseTraceFor } from '../verbose-trace.js';
import { createRunNotifier } from '../../notify/notifier.js';
import { runStorageFor } from '../run-storage-for.js';
import { parseDuration } from '../../plan/units.js';
import type { ApprovalPrompt } from '../../engine/approval-gate.js';

/** What tests (and the test-only CLI entry) may replace; production passes nothing. */
export interface ApplyOverrides {
  /** Plan loader (tests with test-only step types pass a lenient one). */
  loadPlan?: typeof loadPlan;
  registry?: Readonly<Record<string, AnyStepModule>>;
  aws?: AwsApi;
  db?: DbConnector;
  engine?: Partial<Pick<EngineDeps, 'clock' | 'delay' | 'monotonic' | 'user' | 'newRunId' | 'lock' | 'prompt'>>;
  /** Where SIGINT/SIGTERM come from (default: the process). */
  signals?: SignalSource;
  /** The second Ctrl-C (default: re-raise the signal so the process ends at once). */
  onSecondSignal?(signal: SignalName): void;
}

/**
 * Loads and validates the plan. Diagnostics name the file as the user typed it, gcc-style on stderr
 * (or, with --format json, the diagnostics document on stdout), and an invalid plan ends with exit 1.
 */
export async function loadPlanOrReport(
  file: string,
  io: Io,
  load: typeof loadPlan = loadPlan,
  opts: Pick<GlobalOptions, 'format' | 'color'> = { format: 'text', color: false },
): Promise<Plan | number> {
  const path = isAbsolute(file) ? file : resolve(io.cwd, file);
  let loaded: LoadResult;
  try {
    loaded = await load(path);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOENT') throw new UsageError(`cannot read the plan ${file}: no such file. Check the path.`);
    throw new UsageError(`cannot read the plan ${file}: ${e.message}`, { cause: err });
  }
  const diagnostics = loaded.diagnostics.map((d) => ({ ...d, file }));
  if (!loaded.ok) {
    if (opts.format === 'json') io.stdout.write(diagnosticsDocument([{ file, valid: false, diagnostics }]));
    else io.stderr.write(formatDiagnostics(diagnostics, useColor(io, opts)));
    return ExitCode.Invalid;
  }
  if (opts.format !== 'json') io.stderr.write(formatDiagnostics(diagnostics, useColor(io, opts))); // warnings only
  // Messages name the plan as the user typed it, even when it was read relative to io.cwd.
  return loaded.plan.file === file ? loaded.plan : (Object.freeze({ ...loaded.plan, file }) as Plan);
}

export async function runApply(
  file: string,
  opts: ApplyOptions,
  io: Io,
  overrides: ApplyOverrides = {},
): Promise<number> {
  const json = opts.format === 'json';
  try {
    if (opts.format === 'markdown')
      throw new UsageError('apply does not print markdown; use --format text or --format json.');
    maxRuntimeOf(opts);
    const plan = await loadPlanOrReport(file, io, overrides.loadPlan, opts);
    if (typeof plan === 'number') return plan;
    return await applyLoaded(file, plan, opts, io, overrides);
  } catch (err) {
    if (json && err instanceof AuroraMigrateError) {
      io.stdout.write(
        JSON.stringify(
          { version: 1, outcome: 'error', exitCode: exitCodeFor(err), error: { code: err.code, message: err.message } },
          null,
          2,
        ) + '\n',
      );
    }
    throw err;
  }
}

async function applyLoaded(
  file: string,
  plan: Plan,
  opts: ApplyOptions,
  io: Io,
  overrides: ApplyOverrides,
): Promise<number> {
  const color = useColor(io, opts, 'stderr');
  const timeScale = timeScaleFromEnv(io.env);
  if (timeScale.warning) {
    const bar = '!'.repeat(72);
    io.stderr.write(`${bar}\nWARNING: ${timeScale.warning}\n${bar}\n`);
  }
  const chosen = runStorageFor(plan, opts, io);
  if (opts.takeOver && !chosen.s3) {
    throw new UsageError(
      `--take-over is for remote (S3) state, where a lost machine's lease stays behind. With a local state file, apply takes over a lock whose process is gone by itself; break a stale one with: aurora-migrate unlock ${file}`,
    );
  }
  const now = overrides.engine?.clock?.now ?? (() => Date.now());
  const maxRuntime = maxRuntimeOf(opts);

  const controller = new AbortController();
  const removeSignals = handleInterrupts(overrides.signals ?? process, controller, {
    onFirst: (sig) =>
      io.stderr.write(
        `\n${sig}: stopping at the next safe point and saving the state… (press Ctrl-C again to exit at once)\n`,
      ),
    onSecond: (sig) => (overrides.onSecondSignal ?? exitBySignal)(sig),
  });

  const interactive = Boolean(io.stdin.isTTY && io.stderr.isTTY);
  // Live tree only on a colour-capable terminal outside CI; otherwise plain lines (no spinners).
  const columns = (io.stderr as { columns?: number }).columns ?? 0;
  // --verbose prints a line per AWS call and SQL statement: plain progress lines keep them readable.
  const live =
    opts.format === 'text' && color && Boolean(io.stderr.isTTY) && columns > 0 && !io.env.CI && !opts.verbose;
  const trace = opts.verbose ? verboseTraceFor(io, plan) : undefined;
  const listr = live ? await (await import('../../render/progress-listr.js')).createListrProgress(io) : undefined;
  const listeners: EngineListener[] = [
    listr ? listr.listener : plainProgress({ write: (s) => io.stderr.write(s), now, color }),
  ];
  const prompt = async (p: ApprovalPrompt) => {
    await listr?.suspend('waiting for your answer');
    return askApproval(io, p);
  };
  // A step that is about to change production (a reboot, the start of a cutover window) asks first at a terminal; --yes answers.
  const confirm = async (q: { stepId: string; message: string; signal: AbortSignal }) => {
    await listr?.suspend('waiting for your answer');
    return askYesNo(io, confirmationQuestion(q), q.signal);
  };
  const baseAws =
    overrides.aws ??
    lazyAwsApi({
      region: opts.region ?? plan.region,
      profile: opts.profile,
      env: io.env as Record<string, string | undefined>,
    });
  const aws = trace ? traceAws(baseAws, trace) : baseAws;
  const baseDb = overrides.db ?? lazyDbConnector();
  try {
    const versioning = await chosen.s3?.versioningWarning();
    if (versioning) io.stderr.write(`warning: ${versioning}\n`);
    const result = await applyPlan(
      {
        plan,
        approve: opts.approve,
        until: opts.until,
        env: io.env,
        region: opts.region,
        ...(maxRuntime ? { maxRuntime } : {}),
      },
      {
        storage: chosen.storage,
        registry: overrides.registry ?? productionSteps,
        aws,
        db: trace ? traceDb(baseDb, trace) : baseDb,
        timeScale: timeScale.scale,
        signal: controller.signal,
        listeners,
        prompt: interactive ? prompt : undefined,
        confirm: interactive && !opts.yes ? confirm : undefined,
        notifier: createRunNotifier,
        ...(opts.takeOver ? { takeOver: true } : {}),
        ...overrides.engine,
      },
    );
    await listr?.done();
    const exitCode = exitCodeForOutcome(result.outcome);
    const continueWith = result.outcome === 'max-runtime' ? continueCommand(file, opts) : undefined;
    if (opts.format === 'json')
      io.stdout.write(JSON.stringify(jsonDocument(result, exitCode, continueWith), null, 2) + '\n');
    else {
      const out = renderApplyResult(result, {
        color: useColor(io, opts, 'stdout'),
        planArg: file,
        ...(continueWith ? { continueWith } : {}),
      });
      io.stdout.write(out.stdout);
      if (out.stderr) io.stderr.write(out.stderr);
    }
    return exitCode;
  } finally {
    await listr?.done();
    removeSignals();
    (aws as { close?(): void }).close?.();
    chosen.close();
  }
}

/** apply --format json: the engine's result with the exit code after `outcome` (the document's field order). */
function jsonDocument(result: ApplyResult, exitCode: number, continueWith?: string): Record<string, unknown> {
  const { outcome, ...rest } = result;
  const doc: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(rest)) {
    doc[k] = v;
    if (k === 'runId') Object.assign(doc, { outcome, exitCode });
  }
  if (continueWith) doc.continueWith = continueWith;
  return doc;
}

/** --max-runtime DURATION as real-AWS milliseconds (the engine divides it by the time scale). */
function maxRuntimeOf(opts: ApplyOptions): { ms: number; limit: string } | undefined {
  if (opts.maxRuntime === undefined) return undefined;
  const ms = parseDuration(opts.maxRuntime);
  if (ms === undefined || ms <= 0) {
    throw new UsageError(
      `--max-runtime ${JSON.stringify(opts.maxRuntime)} is not a duration: write it like 90s, 45m, 5h or 2d (more than zero).`,
    );
  }
  return { ms, limit: opts.maxRuntime.trim() };
}

const shellWord = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

/** The command that continues a run stopped by --max-runtime: the same apply (approvals not given yet included). */
export function continueCommand(file: string, opts: ApplyOptions): string {
  const args = ['apply', file];
  if (opts.state !== undefined) args.push('--state', opts.state);
  if (opts.region !== undefined) args.push('--region', opts.region);
  if (opts.profile !== undefined) args.push('--profile', opts.profile);
  for (const id of opts.approve) args.push('--approve', id);
  if (opts.until !== undefined) args.push('--until', opts.until);
  if (opts.yes) args.push('--yes');
  if (opts.format !== 'text') args.push('--format', opts.format);
  if (opts.maxRuntime !== undefined) args.push('--max-runtime', opts.maxRuntime);
  return ['aurora-migrate', ...args.map(shellWord)].join(' ');
}
