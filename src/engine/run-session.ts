// One invocation of `apply`, from opening the run (lock, state, reconcile) to closing it (result,
// lease released). The session is what every part of a run shares: the state in memory, how it is
// persisted and logged, the events for renderers, the secrets to redact, and the run's abort signal.
import { randomUUID } from 'node:crypto';
import type { Plan } from '../plan/types.js';
import { redact, resolveDeep } from '../plan/values.js';
import type { Clock } from '../steps/step.js';
import { AuroraMigrateError, Locked } from '../errors.js';
import type { EngineDeps, ApplyEngineOptions } from './engine-options.js';
import type { RunStorage } from './run-storage.js';
import type { StateFile, StepState, StepStatus } from './state-file.js';
import { reconcile } from './reconcile.js';
import { currentUser, describeHolder, type Lease } from './lock.js';
import type { EventLog, EventRecord } from './event-log.js';
import type { EngineEvent } from './events.js';
import { summarizeSteps, type ApplyOutcome, type ApplyResult } from './result.js';
import { SILENT_NOTIFIER, type RunNotifier } from './run-notifier.js';
import { cutoverInProgress, runDeadline, type RunDeadline } from './run-deadline.js';

export interface RunSession {
  readonly plan: Plan;
  readonly options: ApplyEngineOptions;
  readonly deps: EngineDeps;
  readonly storage: RunStorage;
  readonly clock: Clock;
  iso(): string;
  /** The state in memory; persist() writes it. */
  readonly st: StateFile;
  /** Aborted on the caller's signal, on losing the lock, or at the cutover window's deadline. */
  readonly controller: AbortController;
  readonly log: EventLog;
  emit(event: EngineEvent): void;
  /** Writes the state (redacted), in order; rejects with StateWriteFailed. */
  persist(): Promise<void>;
  readonly secrets: Set<string>;
  secretList(): string[];
  /** ${steps.ID.outputs.NAME} values recorded so far. */
  outputsScope(): Record<string, Record<string, unknown>>;
  setStatus(id: string, s: StepState, to: StepStatus, extra?: Record<string, unknown>): void;
  readonly warnings: string[];
  /** Steps started in this invocation, in order. */
  readonly ran: string[];
  readonly resumed: boolean;
  /** `apply --max-runtime`: when the run stops at its next safe point (absent without the flag). */
  readonly deadline?: RunDeadline;
  /** Where the run's notifications go (made once, in openRun, by deps.notifier; silent without one). */
  notifier: RunNotifier;
  /** Releases the lease and detaches from the caller's signal. */
  dispose(): Promise<void>;
}

/** The state could not be written: the run stops (a failure); nothing later was recorded. */
export class StateWriteFailed extends AuroraMigrateError {
  readonly code = 'STATE_WRITE_FAILED';
}

/** Open run: lease, stale-temp cleanup, read + reconcile the state, collect secrets, log run-start. */
export async function openRun(options: ApplyEngineOptions, deps: EngineDeps): Promise<RunSession> {
  const { plan } = options;
  const { storage } = deps;
  const clock = deps.clock ?? { now: () => Date.now() };
  const iso = () => new Date(clock.now()).toISOString();
  const secrets = new Set<string>();
  const secretList = () => [...secrets];

  const controller = new AbortController();
  const onOuterAbort = () => controller.abort(deps.signal?.reason);
  if (deps.signal?.aborted) controller.abort(deps.signal.reason);
  deps.signal?.addEventListener('abort', onOuterAbort, { once: true });

  const log: EventLog = {
    append: (event: EventRecord) =>
      storage.appendEvent(`${JSON.stringify(redact({ ts: iso(), ...event }, secretList()))}\n`),
  };

  let lease: Lease | undefined;
  const dispose = async () => {
    deps.signal?.removeEventListener('abort', onOuterAbort);
    await storage.flushEvents?.().catch(() => undefined);
    await lease?.release();
  };
  try {
    if (deps.lock !== false) lease = await acquireRunLease(plan, deps, clock, controller, log);
    const read = await storage.read(plan.name);
    const {
      state: st,
      resumed,
      notes,
    } = reconcile(plan, read.exists ? read.state : undefined, {
      newRunId: deps.newRunId ?? randomUUID,
      nowIso: iso(),
    });
    const emit = (event: EngineEvent) => {
      const safe = redact(event, secretList());
      for (const l of deps.listeners ?? []) l(safe);
    };
    const persist = stateWriter(storage, st, {
      iso,
      secretList,
      lockLost: () => controller.signal.reason instanceof Locked,
    });
    const outputsScope = () =>
      Object.fromEntries(Object.entries(st.steps).flatMap(([id, s]) => (s.outputs ? [[id, s.outputs]] : [])));
    // Every secret any step will see, so nothing persisted or printed can carry one.
    for (const spec of plan.steps) {
      for (const s of resolveDeep(spec, { vars: plan.vars, env: options.env, outputs: outputsScope() }, 'display')
        .secrets)
        secrets.add(s);
    }
    const deadline = maxRuntimeDeadline(options, deps, st, controller, log);
    const session: RunSession = {
      plan,
      options,
      deps,
      storage,
      clock,
      iso,
      st,
      controller,
      log,
      emit,
      persist,
      secrets,
      secretList,
      outputsScope,
      setStatus(id, s, to, extra = {}) {
        const from = s.status;
        s.status = to;
        log.append({ type: 'status', stepId: id, from, to, attempt: s.attempts, runId: st.runId, ...extra });
      },
      warnings: [],
      ran: [],
      resumed,
      ...(deadline ? { deadline } : {}),
      notifier: SILENT_NOTIFIER,
      dispose,
    };

    log.append({ type: 'run-start', plan: plan.name, runId: st.runId, resumed, user: currentUser(), pid: process.pid });
    for (const note of notes) warn(session, note);
    emit({
      type: 'run-start',
      plan: plan.name,
      runId: st.runId,
      statePath: storage.location,
      resumed,
      steps: plan.steps.map((s) => ({ id: s.id, type: s.type, status: st.steps[s.id].status })),
    });
    await persist();
    // Made now so that setup warnings (an unset webhook variable) show at the start.
    session.notifier = startNotifier(session);
    // A plan that switches a DNS name: load the Route 53 client now, in the background, rather than
    // in the cutover window, where importing that part of the SDK cost about 0.3 s of write downtime
    // (docs/performance.md "Logical route: cutover write downtime").
    if (plan.steps.some((s) => s.type === 'switch-endpoint')) deps.aws.preload?.('route53').catch(() => undefined);
    return session;
  } catch (err) {
    await dispose();
    throw err;
  }
}

/** The run's lease on the state (lock file or S3 lease); losing it later aborts the run. */
async function acquireRunLease(
  plan: Plan,
  deps: EngineDeps,
  clock: Clock,
  controller: AbortController,
  log: EventLog,
): Promise<Lease> {
  const { storage } = deps;
  const lease = await storage.acquireLease({
    planFile: plan.file,
    now: clock.now,
    heartbeatMs: deps.lock ? deps.lock.heartbeatMs : undefined,
    staleMs: deps.lock ? deps.lock.staleMs : undefined,
    takeOver: deps.takeOver,
    onCompromised: (err) => controller.abort(err),
    onTakeover: (previous) =>
      log.append({
        type: 'lock-recovered',
        previousHolder: previous.holder,
        detail: `took over the lock of ${describeHolder(previous)}: that process is gone`,
      }),
  });
  await storage.afterLeaseAcquired?.(); // only the lock holder may, so no live writer is racing
  return lease;
}

/**
 * persist(): writes a redacted snapshot of the state, one write after another, then flushes the
 * event log. After losing the lock to another run it writes nothing (that run's state is not ours
 * to overwrite); a failed write stops the run with StateWriteFailed.
 */
function stateWriter(
  storage: RunStorage,
  st: StateFile,
  how: { iso(): string; secretList(): string[]; lockLost(): boolean },
): () => Promise<void> {
  let writes = Promise.resolve();
  return () => {
    if (how.lockLost()) return writes;
    st.updatedAt = how.iso();
    const snapshot = redact(structuredClone(st), how.secretList());
    writes = writes.then(async () => {
      try {
        await storage.write(snapshot);
      } catch (err) {
        if (err instanceof Locked || (err instanceof AuroraMigrateError && err.code === 'STATE_CONFLICT')) throw err;
        throw new StateWriteFailed(
          `cannot write the state ${storage.location}: ${(err as Error).message}. The run stopped there; fix the cause (disk space, permissions), then run apply again to resume.`,
          { cause: err },
        );
      }
      await storage.flushEvents?.();
    });
    return writes;
  };
}

/** `apply --max-runtime`: the deadline that stops the run at its next safe point (none without the flag). */
function maxRuntimeDeadline(
  options: ApplyEngineOptions,
  deps: EngineDeps,
  st: StateFile,
  controller: AbortController,
  log: EventLog,
): RunDeadline | undefined {
  const limit = options.maxRuntime;
  if (!limit) return undefined;
  return runDeadline({
    maxRuntimeMs: limit.ms,
    limit: limit.limit,
    timeScale: deps.timeScale ?? 1,
    monotonic: deps.monotonic ?? (() => performance.now()),
    inCutover: () => cutoverInProgress(options.plan, st),
    stop: (reason, where) => {
      log.append({ type: 'max-runtime', limit: limit.limit, where, detail: reason.message });
      controller.abort(reason);
    },
  });
}

/** The run's notifier (deps.notifier, given what it needs from the session), or a silent one. */
function startNotifier(session: RunSession): RunNotifier {
  const { plan, st, persist, storage, options, deps, log, secretList, iso } = session;
  return (
    deps.notifier?.({
      plan,
      state: st,
      persist,
      stateLocation: storage.location,
      env: options.env,
      aws: deps.aws,
      warn: (message) => warn(session, message),
      log: (record) => log.append(record),
      redact: (value) => redact(value, secretList()),
      nowIso: iso,
    }) ?? SILENT_NOTIFIER
  );
}

/** A run-level warning: kept in the result, logged, shown. */
export function warn(session: RunSession, message: string): void {
  session.warnings.push(message);
  session.log.append({ type: 'warning', message });
  session.emit({ type: 'warning', message });
}

export interface RunEnding {
  outcome: ApplyOutcome;
  awaitingApproval?: ApplyResult['awaitingApproval'];
  failed?: ApplyResult['failed'];
  cutover?: ApplyResult['cutover'];
}

/** Close run: finished or not, the last state write, the result (redacted), run-end. */
export async function closeRun(session: RunSession, ending: RunEnding): Promise<ApplyResult> {
  const { plan, st, options, log } = session;
  let outcome = ending.outcome;
  if (outcome === 'succeeded' && plan.steps.every((spec) => st.steps[spec.id].status === 'succeeded')) {
    st.finishedAt = session.iso();
    log.append({ type: 'run-finished', runId: st.runId });
  } else if (outcome === 'succeeded') {
    outcome = 'until';
  }
  await session.persist();
  if (session.controller.signal.reason instanceof Locked) throw session.controller.signal.reason;
  if (st.finishedAt && outcome === 'succeeded') await session.notifier.planFinished();
  await session.notifier.drain(); // sends in flight end (each bounded) before the result is made

  const result: ApplyResult = redact(
    {
      version: 1 as const,
      plan: plan.name,
      planFile: plan.file,
      stateFile: session.storage.location,
      runId: st.runId,
      outcome,
      ran: session.ran,
      steps: summarizeSteps(plan, st),
      ...(ending.awaitingApproval ? { awaitingApproval: ending.awaitingApproval } : {}),
      ...(ending.failed ? { failed: ending.failed } : {}),
      ...(ending.cutover ? { cutover: ending.cutover } : {}),
      ...(options.until !== undefined ? { until: options.until } : {}),
      ...(options.maxRuntime
        ? {
            maxRuntime: {
              limit: options.maxRuntime.limit,
              ...(session.deadline?.stoppedAt() ? { stoppedAt: session.deadline.stoppedAt() } : {}),
            },
          }
        : {}),
      warnings: session.warnings,
    },
    session.secretList(),
  );
  log.append({ type: 'run-end', outcome, runId: st.runId });
  session.emit({ type: 'run-end', result });
  await session.storage.flushEvents?.();
  return result;
}
