// Run one step: mark it running (persisted), resolve its values, give it a context, run it, and
// record how it ended — succeeded with outputs, paused for approval, failed with an error, or
// stopped at a safe point (it stays `running` and resumes from its checkpoint).
import type { StepSpec } from '../plan/types.js';
import { resolveDeep } from '../plan/values.js';
import type { StepContext } from '../steps/step.js';
import {
  AuroraMigrateError,
  AwaitingApproval,
  MaxRuntimeReached,
  NotImplemented,
  StepFailed,
  stepFailureMessage,
} from '../errors.js';
import { createStepContext, type StepContextExtras, type StepEvent, type WindowPart } from './step-context.js';
import type { StepError, StepState, StepStatus } from './state-file.js';
import { requestApproval } from './approvals.js';
import type { RunSession } from './run-session.js';
import { recordProgress } from './live-progress.js';

export type StepOutcome =
  | { status: 'succeeded' }
  | { status: 'awaiting-approval'; message: string }
  | { status: 'failed'; error: StepError; cause: unknown }
  | { status: 'interrupted' };

export interface StepHooks {
  /** The cutover window's part of the step's context (cutover-handle.ts), asked for once its values resolved. */
  windowPart?(spec: StepSpec): WindowPart;
}

/** Resolves a step's ${…} values for running it; a value that cannot be resolved fails the step. */
export function resolveForRun(session: RunSession, spec: StepSpec): StepSpec {
  const { plan, options } = session;
  const scope = { vars: plan.vars, env: options.env, outputs: session.outputsScope() };
  try {
    const r = resolveDeep(spec, scope, 'run');
    for (const secret of r.secrets) session.secrets.add(secret);
    return r.value;
  } catch (err) {
    throw new StepFailed(spec.id, unresolvedReasons(resolveDeep(spec, scope, 'display').unresolved), {
      outcome: 'cannot start:',
      remedy: 'Set what is missing (or fix the plan), then run apply again.',
      cause: err,
    });
  }
}

/**
 * A step context for `spec`, reporting into the session; the checkpoint is the step's own in the state.
 * `extras`: what runStep adds for the run itself (the undo and the last check of a window get none).
 */
export function contextFor(
  session: RunSession,
  spec: StepSpec,
  s: StepState,
  signal: AbortSignal,
  extras?: StepContextExtras,
): StepContext {
  const { plan, options, deps, st, log } = session;
  const id = spec.id;
  return createStepContext({
    planName: plan.name,
    stepId: id,
    attempt: s.attempts,
    runId: st.runId,
    region: options.region ?? plan.region,
    aws: deps.aws,
    db: deps.db,
    clock: session.clock,
    timeScale: deps.timeScale ?? 1,
    signal,
    delay: deps.delay,
    monotonic: deps.monotonic,
    deadline: session.deadline,
    checkpoint: {
      get: () => (s.checkpoint === undefined ? undefined : structuredClone(s.checkpoint)),
      async set(value) {
        s.checkpoint = structuredClone(value);
        log.append({ type: 'checkpoint', stepId: id, checkpoint: s.checkpoint });
        await session.persist();
      },
    },
    onEvent: (e) => onStepEvent(session, id, s, e),
    ...(extras ? { extras } : {}),
  });
}

export async function runStep(session: RunSession, spec: StepSpec, hooks: StepHooks = {}): Promise<StepOutcome> {
  const { st, deps, controller, log } = session;
  const id = spec.id;
  const s = st.steps[id];
  const wasRunning = s.status === 'running';
  s.attempts += 1;
  s.startedAt = session.iso();
  delete s.finishedAt;
  delete s.error;
  session.setStatus(id, s, 'running', wasRunning ? { resumedFromCheckpoint: s.checkpoint !== undefined } : {});
  await session.persist();
  session.ran.push(id);
  session.emit({
    type: 'step-start',
    stepId: id,
    stepType: spec.type,
    attempt: s.attempts,
    resumed: wasRunning || s.attempts > 1,
  });
  const started = session.clock.now();

  const finish = async (to: StepStatus, error?: StepError, interrupted = false) => {
    if (to !== 'running') s.finishedAt = session.iso();
    if (error) s.error = error;
    session.setStatus(id, s, to, error ? { error } : interrupted ? { interrupted: true } : {});
    await session.persist();
    const paused = interrupted && controller.signal.reason instanceof MaxRuntimeReached;
    session.emit({
      type: 'step-end',
      stepId: id,
      status: to,
      interrupted,
      durationMs: session.clock.now() - started,
      ...(error ? { error } : {}),
      ...(paused ? { maxRuntime: true as const } : {}),
    });
  };

  try {
    const module = deps.registry[spec.type];
    if (!module)
      throw new NotImplemented(`step type "${spec.type}" is not implemented in this build of aurora-migrate`);
    const resolved = resolveForRun(session, spec);
    const ctx = contextFor(session, spec, s, controller.signal, {
      requestApproval: (message, rule) => requestApproval(session, id, message, rule),
      ...hooks.windowPart?.(spec),
    });
    const outputs = await module.run(resolved, ctx);
    s.outputs = outputs ?? {};
    const scope = { vars: session.plan.vars, env: session.options.env, outputs: session.outputsScope() };
    for (const secret of resolveDeep(spec, scope, 'display').secrets) session.secrets.add(secret);
    await finish('succeeded');
    return { status: 'succeeded' };
  } catch (err) {
    if (controller.signal.aborted) {
      // Stopped at a safe point: the step stays `running` and resumes from its checkpoint.
      log.append({
        type: 'interrupted',
        stepId: id,
        reason: String((controller.signal.reason as Error)?.message ?? 'signal'),
      });
      await finish('running', undefined, true);
      return { status: 'interrupted' };
    }
    if (err instanceof AwaitingApproval) {
      await finish('awaiting-approval');
      await session.notifier.awaitingApproval(id);
      return { status: 'awaiting-approval', message: err.message };
    }
    const error = toStepError(id, err);
    log.append({ type: 'error', stepId: id, ...error });
    await finish('failed', error);
    await session.notifier.stepFailed(id, s.attempts, error);
    return { status: 'failed', error, cause: err };
  }
}

function onStepEvent(session: RunSession, id: string, s: StepState, e: StepEvent): void {
  const { log, emit } = session;
  if (e.type === 'progress') {
    recordProgress(session, s, e.detail);
    emit(e);
    return;
  }
  if (e.type === 'warning') {
    s.warnings.push(e.message);
    log.append({ type: 'warning', stepId: id, message: e.message });
    emit(e);
    return;
  }
  if (e.type === 'aws-call') {
    log.append({ type: 'aws-call', stepId: id, service: e.service, operation: e.operation, params: e.params });
    emit(e);
    return;
  }
  log.append({ type: e.name, stepId: id, ...(e.data ?? {}) });
  emit(e);
}

/** Why each unresolved value has none ("environment variable PGPASSWORD is not set"), joined by "; ". */
function unresolvedReasons(unresolved: string[]): string {
  const reasons = unresolved.map((text) => {
    const env = /^\$\{env\.([^}]+)\}$/.exec(text);
    if (env) return `environment variable ${env[1]} is not set`;
    const out = /^\$\{steps\.([^.]+)\.outputs\.([^}]+)\}$/.exec(text);
    if (out) return `${text} has no value (step "${out[1]}" did not record output "${out[2]}")`;
    return `${text} cannot be resolved`;
  });
  return reasons.join('; ');
}

export function toStepError(stepId: string, err: unknown): StepError {
  if (err instanceof AuroraMigrateError) {
    return {
      code: err.code,
      message: err instanceof NotImplemented ? `step "${stepId}": ${err.message}` : err.message,
    };
  }
  const e = err as Error & { code?: unknown };
  const code = typeof e?.code === 'string' ? e.code : (e?.name ?? 'ERROR');
  return { code, message: stepFailureMessage(stepId, e?.message ?? String(err)) };
}
