// The apply engine: runs a plan's steps in order, or resumes them where the state file says they
// stopped. Library first: applyPlan(options, deps) returns an ApplyResult; it never prints, reads
// stdin or exits. Everything from outside (step types, AWS, database, clock, sleep, abort signal,
// prompt, storage) is injected, so tests run it in-process with their own step types.
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { AwsApi } from '../aws/api.js';
import type { DbConnector } from '../db/api.js';
import type { Plan, StepSpec } from '../plan/types.js';
import { redact, resolveDeep } from '../plan/values.js';
import type { AnyStepModule, Clock } from '../steps/step.js';
import { AuroraMigrateError, AwaitingApproval, Locked, NotImplemented, StepFailed, UsageError } from '../errors.js';
import { createStepContext, type StepEvent } from './step-context.js';
import { eventLogPath, readState, writeState, type StateFile, type StepError, type StepState, type StepStatus } from './state-file.js';
import { reconcile } from './reconcile.js';
import { removeStaleTemps } from './atomic-write.js';
import { acquireLease, currentUser, describeHolder, type Lease } from './lock.js';
import { appendEventLine, type EventLog, type EventRecord } from './event-log.js';
import type { EngineEvent, EngineListener } from './events.js';
import { summarizeSteps, type ApplyOutcome, type ApplyResult } from './result.js';
import type { ApprovalCapableContext, ApprovalDecision, ApprovalPrompt } from './approval-gate.js';

export interface ApplyEngineOptions {
  plan: Plan;
  /** Absolute path of the state file (see defaultStatePath). */
  statePath: string;
  /** Approval step ids approved on the command line (`--approve`). */
  approve?: readonly string[];
  /** Stop after this step (`--until`). */
  until?: string;
  /** Environment for ${env.NAME}. */
  env: Readonly<Record<string, string | undefined>>;
  /** Region from the command line; else the plan's. */
  region?: string;
}

/** Where the engine writes; tests wrap it to simulate a crash at any write. */
export interface EngineStorage {
  writeState(path: string, state: StateFile): Promise<void>;
  appendEvent(path: string, line: string): void;
}

export interface EngineDeps {
  /** Step types by name (production: src/steps/index.ts; tests add their own). */
  registry: Readonly<Record<string, AnyStepModule>>;
  aws: AwsApi;
  db: DbConnector;
  clock?: Clock;
  /** Real sleep (already time-scaled); injected in tests so no wall time passes. */
  delay?(ms: number, signal: AbortSignal): Promise<void>;
  monotonic?(): number;
  /** AURORA_MIGRATE_TIME_SCALE (default 1). */
  timeScale?: number;
  /** Aborted on SIGINT/SIGTERM: the running step stops at its next safe point. */
  signal?: AbortSignal;
  listeners?: EngineListener[];
  /** Asks a person at a TTY; absent when stdin/stderr are not TTYs (then approval needs --approve). */
  prompt?(question: ApprovalPrompt): Promise<boolean>;
  /** OS user recorded for approvals (default os.userInfo().username). */
  user?(): string;
  newRunId?(): string;
  /** false: no run lock (unit tests of the loop only). */
  lock?: false | { heartbeatMs?: number; staleMs?: number };
  storage?: Partial<EngineStorage>;
}

const defaultStorage: EngineStorage = {
  writeState,
  appendEvent: appendEventLine,
};

/** Checks the command line against the plan: --approve ids must be approval steps, --until a step. */
export function checkApplyOptions(plan: Plan, options: Pick<ApplyEngineOptions, 'approve' | 'until'>): void {
  const byId = new Map(plan.steps.map((s) => [s.id, s] as const));
  const ids = plan.steps.map((s) => s.id).join(', ');
  if (options.until !== undefined && !byId.has(options.until)) {
    throw new UsageError(`--until "${options.until}" is not a step of plan "${plan.name}" (steps: ${ids}).`);
  }
  for (const id of options.approve ?? []) {
    const step = byId.get(id);
    if (!step) throw new UsageError(`--approve "${id}" is not a step of plan "${plan.name}" (steps: ${ids}).`);
    if (step.type !== 'approval') {
      const approvals = plan.steps.filter((s) => s.type === 'approval').map((s) => s.id);
      throw new UsageError(
        `--approve "${id}": step "${id}" is a ${step.type} step, not an approval step` +
          (approvals.length ? ` (approval steps: ${approvals.join(', ')}).` : ' (the plan has no approval steps).'),
      );
    }
  }
}

export async function applyPlan(options: ApplyEngineOptions, deps: EngineDeps): Promise<ApplyResult> {
  const { plan, statePath } = options;
  checkApplyOptions(plan, options);
  const clock = deps.clock ?? { now: () => Date.now() };
  const iso = () => new Date(clock.now()).toISOString();
  const storage: EngineStorage = { ...defaultStorage, ...deps.storage };
  const listeners = deps.listeners ?? [];
  const secrets = new Set<string>();
  const secretList = () => [...secrets];
  const logPath = eventLogPath(statePath);

  // Internal abort: the caller's signal, or losing the lock.
  const controller = new AbortController();
  const onOuterAbort = () => controller.abort(deps.signal?.reason);
  if (deps.signal?.aborted) controller.abort(deps.signal.reason);
  deps.signal?.addEventListener('abort', onOuterAbort, { once: true });

  await mkdir(dirname(statePath), { recursive: true });
  const log: EventLog = {
    append: (event: EventRecord) =>
      storage.appendEvent(logPath, JSON.stringify(redact({ ts: iso(), ...event }, secretList())) + '\n'),
  };

  let lease: Lease | undefined;
  if (deps.lock !== false) {
    lease = await acquireLease(statePath, {
      planFile: plan.file,
      now: clock.now,
      heartbeatMs: deps.lock?.heartbeatMs,
      staleMs: deps.lock?.staleMs,
      onCompromised: (err) => controller.abort(err),
      onTakeover: (previous) =>
        log.append({ type: 'lock-recovered', previousHolder: previous.holder, detail: `took over the lock of ${describeHolder(previous)}: that process is gone` }),
    });
  }
  try {
    if (lease) await removeStaleTemps(statePath); // only the lock holder may, so no live writer is racing
    const read = await readState(statePath, plan.name);
    const { state: st, resumed, notes } = reconcile(plan, read.exists ? read.state : undefined, {
      newRunId: deps.newRunId ?? randomUUID,
      nowIso: iso(),
    });
    const runWarnings: string[] = [];
    const emit = (event: EngineEvent) => {
      const safe = redact(event, secretList());
      for (const l of listeners) l(safe);
    };
    let writes = Promise.resolve();
    const persist = () => {
      // After losing the lock to another run, this run must not write over that run's state.
      if (controller.signal.reason instanceof Locked) return writes;
      st.updatedAt = iso();
      const snapshot = redact(structuredClone(st), secretList());
      writes = writes.then(() =>
        storage.writeState(statePath, snapshot).catch((err: Error) => {
          throw new StateWriteFailed(
            `cannot write the state file ${statePath}: ${err.message}. The run stopped there; fix the cause (disk space, permissions), then run apply again to resume.`,
            { cause: err },
          );
        }),
      );
      return writes;
    };

    // Every secret any step will see, so nothing persisted or printed can carry one.
    const outputsScope = () => Object.fromEntries(Object.entries(st.steps).filter(([, s]) => s.outputs).map(([id, s]) => [id, s.outputs]));
    for (const spec of plan.steps) {
      for (const s of resolveDeep(spec, { vars: plan.vars, env: options.env, outputs: outputsScope() }, 'display').secrets) secrets.add(s);
    }

    log.append({ type: 'run-start', plan: plan.name, runId: st.runId, resumed, user: currentUser(), pid: process.pid });
    for (const note of notes) {
      runWarnings.push(note);
      log.append({ type: 'warning', message: note });
      emit({ type: 'warning', message: note });
    }
    emit({ type: 'run-start', plan: plan.name, runId: st.runId, statePath, resumed, steps: plan.steps.map((s) => ({ id: s.id, type: s.type, status: st.steps[s.id].status })) });
    await persist();

    const untilIndex = options.until !== undefined ? plan.steps.findIndex((s) => s.id === options.until) : plan.steps.length - 1;
    const ran: string[] = [];
    let outcome: ApplyOutcome = 'succeeded';
    let awaitingApproval: ApplyResult['awaitingApproval'];
    let failed: ApplyResult['failed'];

    const setStatus = (id: string, s: StepState, to: StepStatus, extra: Record<string, unknown> = {}) => {
      const from = s.status;
      s.status = to;
      log.append({ type: 'status', stepId: id, from, to, attempt: s.attempts, runId: st.runId, ...extra });
    };

    for (let i = 0; i < plan.steps.length; i++) {
      const spec = plan.steps[i];
      const s = st.steps[spec.id];
      if (s.status === 'succeeded') {
        emit({ type: 'step-skip', stepId: spec.id, reason: 'succeeded' });
        continue;
      }
      if (i > untilIndex) {
        outcome = 'until';
        break;
      }
      if (controller.signal.aborted) {
        outcome = 'interrupted';
        break;
      }
      const r = await runOneStep(spec, s);
      if (r !== 'succeeded') {
        outcome = r;
        break;
      }
    }

    if (outcome === 'succeeded' && plan.steps.every((spec) => st.steps[spec.id].status === 'succeeded')) {
      st.finishedAt = iso();
      log.append({ type: 'run-finished', runId: st.runId });
    } else if (outcome === 'succeeded') {
      outcome = 'until';
    }
    await persist();
    if (controller.signal.reason instanceof Locked) throw controller.signal.reason;

    const result: ApplyResult = redact(
      {
        version: 1 as const,
        plan: plan.name,
        planFile: plan.file,
        stateFile: statePath,
        runId: st.runId,
        outcome,
        ran,
        steps: summarizeSteps(plan, st),
        ...(awaitingApproval ? { awaitingApproval } : {}),
        ...(failed ? { failed } : {}),
        ...(options.until !== undefined ? { until: options.until } : {}),
        warnings: runWarnings,
      },
      secretList(),
    );
    log.append({ type: 'run-end', outcome, runId: st.runId });
    emit({ type: 'run-end', result });
    return result;

    async function runOneStep(spec: StepSpec, s: StepState): Promise<'succeeded' | 'awaiting-approval' | 'failed' | 'interrupted'> {
      const id = spec.id;
      const wasRunning = s.status === 'running';
      s.attempts += 1;
      s.startedAt = iso();
      delete s.finishedAt;
      delete s.error;
      setStatus(id, s, 'running', wasRunning ? { resumedFromCheckpoint: s.checkpoint !== undefined } : {});
      await persist();
      ran.push(id);
      emit({ type: 'step-start', stepId: id, stepType: spec.type, attempt: s.attempts, resumed: wasRunning || s.attempts > 1 });
      const started = clock.now();

      const finish = async (to: StepStatus, error?: StepError, interrupted = false) => {
        if (to !== 'running') s.finishedAt = iso();
        if (error) s.error = error;
        setStatus(id, s, to, error ? { error } : interrupted ? { interrupted: true } : {});
        await persist();
        emit({ type: 'step-end', stepId: id, status: to, interrupted, durationMs: clock.now() - started, ...(error ? { error } : {}) });
      };

      try {
        const module = deps.registry[spec.type];
        if (!module) throw new NotImplemented(`step type "${spec.type}" is not implemented in this build of aurora-migrate`);
        let resolved: StepSpec;
        try {
          const r = resolveDeep(spec, { vars: plan.vars, env: options.env, outputs: outputsScope() }, 'run');
          for (const secret of r.secrets) secrets.add(secret);
          resolved = r.value;
        } catch (err) {
          throw new StepFailed(id, unresolvedMessage(id, resolveDeep(spec, { vars: plan.vars, env: options.env, outputs: outputsScope() }, 'display').unresolved), { cause: err });
        }
        const ctx = createStepContext({
          planName: plan.name,
          stepId: id,
          attempt: s.attempts,
          runId: st.runId,
          region: options.region ?? plan.region,
          aws: deps.aws,
          db: deps.db,
          clock,
          timeScale: deps.timeScale ?? 1,
          signal: controller.signal,
          delay: deps.delay,
          monotonic: deps.monotonic,
          checkpoint: {
            get: () => (s.checkpoint === undefined ? undefined : structuredClone(s.checkpoint)),
            async set(value) {
              s.checkpoint = structuredClone(value);
              log.append({ type: 'checkpoint', stepId: id, checkpoint: s.checkpoint });
              await persist();
            },
          },
          onEvent: (e) => onStepEvent(id, s, e),
        }) as ApprovalCapableContext;
        ctx.requestApproval = (message) => requestApproval(id, message);
        const outputs = await module.run(resolved, ctx);
        s.outputs = outputs ?? {};
        for (const secret of resolveDeep(spec, { vars: plan.vars, env: options.env, outputs: outputsScope() }, 'display').secrets) secrets.add(secret);
        await finish('succeeded');
        return 'succeeded';
      } catch (err) {
        if (controller.signal.aborted) {
          // Stopped at a safe point: the step stays `running` and resumes from its checkpoint.
          log.append({ type: 'interrupted', stepId: id, reason: String((controller.signal.reason as Error)?.message ?? 'signal') });
          await finish('running', undefined, true);
          return 'interrupted';
        }
        if (err instanceof AwaitingApproval) {
          awaitingApproval = { stepId: id, message: (spec as { message?: string }).message ?? err.message };
          await finish('awaiting-approval');
          return 'awaiting-approval';
        }
        const error = toStepError(id, err);
        failed = { stepId: id, error };
        log.append({ type: 'error', stepId: id, ...error });
        await finish('failed', error);
        return 'failed';
      }
    }

    function onStepEvent(id: string, s: StepState, e: StepEvent): void {
      if (e.type === 'progress') return emit(e);
      if (e.type === 'warning') {
        s.warnings.push(e.message);
        log.append({ type: 'warning', stepId: id, message: e.message });
        return emit(e);
      }
      if (e.type === 'aws-call') {
        log.append({ type: 'aws-call', stepId: id, service: e.service, operation: e.operation, params: e.params });
        return emit(e);
      }
      log.append({ type: e.name, stepId: id, ...(e.data ?? {}) });
      emit(e);
    }

    async function requestApproval(id: string, message: string): Promise<ApprovalDecision | undefined> {
      const earlier = st.approvals.find((a) => a.stepId === id && a.runId === st.runId);
      if (earlier) return { approvedBy: earlier.approvedBy, approvedAt: earlier.approvedAt, via: earlier.via };
      let via: 'flag' | 'prompt' | undefined;
      if (options.approve?.includes(id)) via = 'flag';
      else if (deps.prompt) {
        emit({ type: 'approval-needed', stepId: id, message });
        if (await deps.prompt({ stepId: id, message, signal: controller.signal })) via = 'prompt';
      }
      if (!via) return undefined;
      const decision: ApprovalDecision = { approvedBy: (deps.user ?? currentUser)(), approvedAt: iso(), via };
      st.approvals.push({ stepId: id, ...decision, runId: st.runId });
      log.append({ type: 'approval', stepId: id, ...decision, runId: st.runId });
      await persist();
      emit({ type: 'approval', stepId: id, ...decision });
      return decision;
    }
  } finally {
    deps.signal?.removeEventListener('abort', onOuterAbort);
    await lease?.release();
  }
}

/** "step "x" cannot start: environment variable PGPASSWORD is not set. Set it, then …" */
function unresolvedMessage(stepId: string, unresolved: string[]): string {
  const reasons = unresolved.map((text) => {
    const env = /^\$\{env\.([^}]+)\}$/.exec(text);
    if (env) return `environment variable ${env[1]} is not set`;
    const out = /^\$\{steps\.([^.]+)\.outputs\.([^}]+)\}$/.exec(text);
    if (out) return `${text} has no value (step "${out[1]}" did not record output "${out[2]}")`;
    return `${text} cannot be resolved`;
  });
  return `step "${stepId}" cannot start: ${reasons.join('; ')}. Set what is missing (or fix the plan), then run apply again.`;
}

/** The state file could not be written: the run stops (a failure); nothing later was recorded. */
export class StateWriteFailed extends AuroraMigrateError {
  readonly code = 'STATE_WRITE_FAILED';
}

function toStepError(stepId: string, err: unknown): StepError {
  if (err instanceof AuroraMigrateError) {
    return { code: err.code, message: err instanceof NotImplemented ? `step "${stepId}": ${err.message}` : err.message };
  }
  const e = err as Error & { code?: unknown };
  const code = typeof e?.code === 'string' ? e.code : (e?.name ?? 'ERROR');
  return { code, message: `step "${stepId}" failed: ${e?.message ?? String(err)}` };
}
