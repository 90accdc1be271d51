// Builds the StepContext a step runs with: time-scaled sleep, the cancellable polling loop, progress
// and warning events, and an AWS wrapper that reports every mutating call as an event. What the engine
// adds for some steps (the cutover window's part, the approval gate) is given here too, so a context
// is complete when it is made and nothing is added to it later.
import { Interrupted, StepFailed } from '../errors.js';
import { isReadOnlyOperation, type AwsApi } from '../aws/api.js';
import type { DbConnector } from '../db/api.js';
import type { Checkpoint, Clock, PollOptions, StepContext } from '../steps/step.js';
import { formatDuration } from '../plan/units.js';
import type { RunDeadline } from './run-deadline.js';

/** Everything a step context reports, for the engine to persist, log and render. */
export type StepEvent =
  | { type: 'progress'; stepId: string; detail: string }
  | { type: 'warning'; stepId: string; message: string }
  | { type: 'aws-call'; stepId: string; service: string; operation: string; params: Record<string, unknown> }
  | { type: 'step-event'; stepId: string; name: string; data?: Record<string, unknown> };

/**
 * The cutover window's part of a step's context (src/engine/cutover-handle.ts): for the step that
 * opens the window, openCutoverWindow and windowUsers; for a step after it while it is open or
 * committed, the handle; otherwise nothing.
 */
export type WindowPart = Pick<StepContext, 'openCutoverWindow' | 'windowUsers' | 'cutover'>;

/** What the engine adds to the context of a step it runs: the window's part and the approval gate (the approval step uses it). */
export type StepContextExtras = WindowPart & Pick<StepContext, 'requestApproval'>;

export interface StepContextDeps {
  planName: string;
  stepId: string;
  attempt: number;
  runId: string;
  region?: string;
  aws: AwsApi;
  db: DbConnector;
  clock: Clock;
  /** AURORA_MIGRATE_TIME_SCALE: every wait is divided by it. */
  timeScale: number;
  signal: AbortSignal;
  checkpoint: Checkpoint;
  onEvent(event: StepEvent): void;
  /** Real sleep (already scaled); injectable so tests need no wall time. */
  delay?(ms: number, signal: AbortSignal): Promise<void>;
  /** Monotonic milliseconds for measuring waits; injectable together with delay. */
  monotonic?(): number;
  /** `apply --max-runtime`: sleeps end early at the deadline and stop the run there (a safe point). */
  deadline?: RunDeadline;
  extras?: StepContextExtras;
}

export function abortableDelay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new Interrupted('interrupted'));
    const timer = setTimeout(
      () => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      },
      Math.max(0, ms),
    );
    const onAbort = () => {
      clearTimeout(timer);
      reject(new Interrupted('interrupted'));
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

export function createStepContext(deps: StepContextDeps): StepContext {
  const scale = deps.timeScale > 0 ? deps.timeScale : 1;
  const delay = deps.delay ?? abortableDelay;
  const monotonic = deps.monotonic ?? (() => performance.now());
  const stepId = deps.stepId;

  const deadline = deps.deadline;
  const waiting = `while step "${stepId}" was waiting`;
  const sleep = async (ms: number) => {
    if (!deadline) return delay(ms / scale, deps.signal);
    // A wait is a safe point: stop here when the run's time is up, or wake at the deadline to stop then.
    const end = monotonic() + ms / scale;
    for (;;) {
      deadline.stopIfDue(waiting);
      const left = end - monotonic();
      if (left <= 0) return;
      await delay(Math.min(left, Math.max(1, deadline.roomMs())), deps.signal);
    }
  };

  const aws: AwsApi = {
    send(service, operation, input, options) {
      if (deps.signal.aborted) return Promise.reject(new Interrupted('interrupted'));
      if (!isReadOnlyOperation(operation))
        deps.onEvent({ type: 'aws-call', stepId, service, operation, params: input });
      return deps.aws.send(service, operation, input, { ...options, signal: options?.signal ?? deps.signal });
    },
  };

  const ctx: StepContext = {
    planName: deps.planName,
    stepId,
    attempt: deps.attempt,
    runId: deps.runId,
    region: deps.region,
    aws,
    db: deps.db,
    clock: deps.clock,
    timeScale: scale,
    signal: deps.signal,
    sleep,
    checkpoint: deps.checkpoint,
    progress: (detail) => deps.onEvent({ type: 'progress', stepId, detail }),
    warn: (message) => deps.onEvent({ type: 'warning', stepId, message }),
    event: (name, data) => deps.onEvent({ type: 'step-event', stepId, name, data }),
    ...(deadline ? { timeUp: () => deadline.due(), safePoint: (where: string) => deadline.stopIfDue(where) } : {}),
    ...deps.extras,
    async poll<T>(options: PollOptions<T>): Promise<T> {
      const start = monotonic();
      // Elapsed time in the stand-in's (scaled) time, so messages read in real-AWS terms.
      const elapsed = () => (monotonic() - start) * scale;
      for (;;) {
        if (deps.signal.aborted) throw new Interrupted('interrupted');
        const result = await options.check();
        if (result.done) return result.value;
        const waited = elapsed();
        ctx.progress(`${result.detail ?? `waiting for ${options.what}`} (${formatDuration(waited)})`);
        if (waited >= options.timeoutMs) {
          throw new StepFailed(
            stepId,
            `waiting for ${options.what}${result.detail ? ` (last seen: ${result.detail})` : ''}`,
            {
              outcome: `timed out after ${formatDuration(options.timeoutMs)}`,
              remedy:
                "Check the resource in the AWS console, raise the step's timeout if it is just slow, then run apply again to resume.",
            },
          );
        }
        await sleep(Math.min(options.everyMs, Math.max(0, options.timeoutMs - waited)) || options.everyMs);
      }
    },
  };
  return ctx;
}

/** A checkpoint store kept in memory (tests, and steps run outside the engine). */
export function memoryCheckpoint<C = Record<string, unknown>>(initial?: C): Checkpoint<C> & { history: C[] } {
  let value = initial;
  const history: C[] = [];
  return {
    history,
    get: () => value,
    async set(next) {
      value = structuredClone(next);
      history.push(value);
    },
  };
}
