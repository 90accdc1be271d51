// The cutover window (docs/design.md "Cutover"). A freeze-writes step opens it before its first change
// to the source; it closes at the point of no return (a step calls crossPointOfNoReturn right before
// the irreversible request: the promotion, or on the snapshot route the DNS change) or at a rollback.
//
// Rules, for a live run and for a resume alike:
// - Before the point of no return, a failure, an interrupt, an unapproved gate or the deadline undoes
//   the window's steps that have an `undo` (newest first; logical-switchover), then the freeze (the
//   freeze step's undo), records `rolled-back`, and the run stops (exit 2; 130 when
//   interrupted). Steps of the window are reset so that the next apply starts the cutover afresh.
// - After it, nothing is rolled back: a failure says where source and target stand; apply goes on.
// - A resume of an open window whose deadline passed rolls back at once; a rollback that could not
//   finish is retried first.
import type { ConnectionSpec, StepSpec } from '../plan/types.js';
import { cutoverSteps, windowConnectionUsers } from '../plan/cutover-steps.js';
import { resolveDeep } from '../plan/values.js';
import type { CutoverHandle, FrozenBefore, StepContext } from '../steps/step.js';
import { Interrupted, Locked, StepFailed, UsageError, WindowExpired } from '../errors.js';
import { formatDuration } from '../plan/units.js';
import type { CutoverRecord, StepError } from './state-file.js';
import type { RunEnding, RunSession } from './run-session.js';
import { contextFor, resolveForRun, toStepError, type StepHooks, type StepOutcome } from './run-step.js';
import { present } from '../invariant.js';

/** How long the undo of a freeze may take before the rollback is reported as failed. */
const UNDO_TIMEOUT_MS = 120_000;

/** Runs one undo with its own abort signal, given up after UNDO_TIMEOUT_MS. */
async function withUndoTimeout<T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const undoAbort = new AbortController();
  const undoTimer = setTimeout(() => undoAbort.abort(new Error('undo timed out')), UNDO_TIMEOUT_MS);
  try {
    return await fn(undoAbort.signal);
  } finally {
    clearTimeout(undoTimer);
  }
}

/** `--until` inside the window would leave the source frozen with no run watching the deadline. */
export function checkUntilOutsideWindow(plan: { name: string; steps: readonly Pick<StepSpec, 'id' | 'type'>[] }, until: string | undefined): void {
  if (until === undefined) return;
  const inside = cutoverSteps(plan)?.inside ?? [];
  if (!inside.includes(until)) return;
  throw new UsageError(
    `--until "${until}" would stop the run inside the cutover window (steps ${inside.join(', ')}), with writes frozen on the source and no run watching the deadline. ` +
      `Stop before the freeze (--until a step before "${inside[0]}") or run through the point of no return.`,
  );
}

export interface CutoverControl {
  hooks: StepHooks;
  /** Before the first step: finish an interrupted rollback, or roll back a window whose deadline passed. */
  onResume(): Promise<RunEnding | undefined>;
  /** Before a step starts: the deadline may have passed between steps. */
  beforeStep(spec: StepSpec, index: number): Promise<RunEnding | undefined>;
  /** After a step ended other than succeeded: roll back inside the window; say where things stand after it. */
  afterStep(spec: StepSpec, index: number, outcome: StepOutcome): Promise<RunEnding | undefined>;
  /** The window as the run leaves it, for the result. */
  summary(): Omit<CutoverRecord, 'history'> | undefined;
  dispose(): void;
}

export function cutoverControl(session: RunSession): CutoverControl {
  const { st, plan, log } = session;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const now = () => session.clock.now();
  const isOpen = () => st.cutover?.status === 'open' && st.cutover.runId === st.runId;
  const expired = (c: CutoverRecord) => now() >= Date.parse(c.deadline);

  const disarm = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
  };
  const arm = () => {
    disarm();
    const c = st.cutover;
    if (c?.status !== 'open') return;
    // Real milliseconds: the deadline is on the tool's own clock, which the time scale does not touch.
    const ms = Math.max(0, Date.parse(c.deadline) - now());
    timer = setTimeout(() => {
      if (isOpen() && !session.controller.signal.aborted) {
        session.controller.abort(new WindowExpired(`the cutover window's deadline ${c.deadline} passed before the point of no return`));
      }
    }, ms);
    timer.unref?.();
  };

  const handleFor = (stepId: string): CutoverHandle | undefined => {
    const c = st.cutover;
    if (!c || c.runId !== st.runId || (c.status !== 'open' && c.status !== 'committed')) return undefined;
    return {
      get openedBy() {
        return c.openedBy;
      },
      get frozenAt() {
        return c.frozenAt;
      },
      get deadline() {
        return c.deadline;
      },
      get pointOfNoReturn() {
        return c.pointOfNoReturn;
      },
      frozenBefore() {
        return frozenBefore(st.steps[c.openedBy]?.checkpoint);
      },
      describeFence() {
        return heldAfter();
      },
      sourceConnection() {
        const spec = present(plan.steps.find((s) => s.id === c.openedBy), `step "${c.openedBy}" that opened the window`);
        return (resolveForRun(session, spec) as { connection: ConnectionSpec }).connection;
      },
      async crossPointOfNoReturn(what: string) {
        if (c.status === 'committed') return;
        if (session.controller.signal.aborted) throw new Interrupted('interrupted before the point of no return');
        if (expired(c)) {
          const err = new WindowExpired(`the cutover window's deadline ${c.deadline} passed before ${what}`);
          session.controller.abort(err);
          throw err;
        }
        await lastCheck(stepId, what);
        const crossing = { stepId, at: session.iso(), what };
        c.pointOfNoReturn = crossing;
        c.status = 'committed';
        try {
          await session.persist();
        } catch (err) {
          delete c.pointOfNoReturn;
          c.status = 'open';
          throw err;
        }
        disarm();
        log.append({ type: 'cutover-point-of-no-return', ...crossing, frozenAt: c.frozenAt, deadline: c.deadline });
        await session.notifier.cutoverWindowClosed(c.openedBy, 'point of no return', `${what} (step "${stepId}" at ${crossing.at}); from here the plan only goes forward.`);
        session.emit({ type: 'cutover', state: 'point-of-no-return', stepId, detail: `point of no return: ${what} (${formatDuration(Date.parse(crossing.at) - Date.parse(c.frozenAt))} after the freeze); from here the plan only goes forward` });
      },
    };
  };

  /** The opener's last check (the fence still holds); a problem fails the calling step before the point of no return. */
  const lastCheck = async (stepId: string, what: string) => {
    const c = present(st.cutover, 'the open cutover window');
    const spec = plan.steps.find((s) => s.id === c.openedBy);
    const module = spec && session.deps.registry[spec.type];
    if (!spec || !module?.lastCheck) return;
    let problems: string[];
    try {
      problems = await module.lastCheck(resolveForRun(session, spec), contextFor(session, spec, st.steps[spec.id], session.controller.signal));
    } catch (err) {
      if (err instanceof Interrupted || session.controller.signal.aborted) throw new Interrupted('interrupted before the point of no return');
      const why = (err as Error).message.replace(/^step "[^"]*" failed: /, '');
      throw new StepFailed(stepId, `step "${stepId}" stopped before the point of no return (${what} was not sent): the last check of the fence could not run: ${why}`, { cause: err });
    }
    log.append({ type: 'cutover-last-check', stepId, ok: problems.length === 0, ...(problems.length ? { problems } : {}) });
    if (problems.length === 0) return;
    throw new StepFailed(
      stepId,
      `step "${stepId}" stopped before the point of no return (${what} was not sent): the fence of step "${c.openedBy}" does not hold: ${problems.join('; ')}. ` +
        'A session like that can write to the source after the target was proven caught up, and those writes would be lost. ' +
        'Stop that client (or, if it connects as the tool\'s own user, give it its own role so the fence can stop it), then run apply again',
    );
  };

  /** How the source is held after the point of no return, as the freeze step describes it. */
  const heldAfter = (): string => {
    const spec = plan.steps.find((s) => s.id === st.cutover?.openedBy);
    const module = spec && session.deps.registry[spec.type];
    if (spec && module?.heldAfter) return module.heldAfter(spec, st.steps[spec.id]?.checkpoint);
    return `the source databases ${frozenDatabases()} stay read-only`;
  };

  const open = async (stepId: string, w: { frozenAt: string; deadline: string }) => {
    const c = st.cutover;
    if (c && c.runId === st.runId && c.openedBy === stepId && c.frozenAt === w.frozenAt && (c.status === 'open' || c.status === 'committed')) {
      arm();
      return;
    }
    const history = [...(c?.history ?? []), ...(c ? [withoutHistory(c)] : [])];
    st.cutover = { openedBy: stepId, runId: st.runId, openedAt: session.iso(), frozenAt: w.frozenAt, deadline: w.deadline, status: 'open', ...(history.length ? { history } : {}) };
    await session.persist();
    log.append({ type: 'cutover-window-opened', stepId, frozenAt: w.frozenAt, deadline: w.deadline });
    await session.notifier.cutoverWindowOpened(stepId, w);
    session.emit({ type: 'cutover', state: 'opened', stepId, deadline: w.deadline, detail: `cutover window open: writes are being frozen; deadline ${w.deadline}` });
    arm();
  };

  /**
   * Takes back what the window's steps after the freeze did, newest first, for those whose module has
   * an `undo` (logical-switchover: the reverse slot dropped, the subscription enabled again). Every
   * one is tried; the failures are returned (the freeze is undone anyway: writes back come first).
   */
  const undoWindowSteps = async (): Promise<Array<{ stepId: string; error: StepError }>> => {
    const c = present(st.cutover, 'the open cutover window');
    const inside = cutoverSteps(plan)?.inside ?? [];
    const errors: Array<{ stepId: string; error: StepError }> = [];
    for (const spec of plan.steps.filter((x) => inside.includes(x.id) && x.id !== c.openedBy).reverse()) {
      const module = session.deps.registry[spec.type];
      const s = st.steps[spec.id];
      if (!module?.undo || !s || s.status === 'pending') continue;
      try {
        await withUndoTimeout(async (signal) => module.undo?.(resolveForRun(session, spec), contextFor(session, spec, s, signal)));
        log.append({ type: 'cutover-step-undone', stepId: spec.id });
      } catch (err) {
        errors.push({ stepId: spec.id, error: toStepError(spec.id, err) });
      }
    }
    return errors;
  };

  /** Undoes the window's steps and the freeze; ok when both are back (freezeUndone: writes are back even though a step's undo failed). */
  const rollBack = async (reason: string, failedStep?: string): Promise<{ ok: true } | { ok: false; error: StepError; freezeUndone?: boolean; undoStepId?: string }> => {
    const c = present(st.cutover, 'the open cutover window');
    disarm();
    c.status = 'rolling-back';
    c.reason = reason;
    log.append({ type: 'cutover-rollback', stepId: c.openedBy, reason });
    session.emit({ type: 'cutover', state: 'rolling-back', stepId: c.openedBy, detail: `rolling back the cutover: ${reason}` });
    await session.persist();
    const spec = plan.steps.find((s) => s.id === c.openedBy);
    const module = spec && session.deps.registry[spec.type];
    let freezeUndone = false;
    try {
      const stepErrors = await undoWindowSteps();
      if (!spec || !module?.undo) throw new Error(`step "${c.openedBy}" cannot be undone by this build of aurora-migrate`);
      const s = st.steps[spec.id];
      await withUndoTimeout(async (signal) => module.undo?.(resolveForRun(session, spec), contextFor(session, spec, s, signal)));
      if (stepErrors.length) {
        freezeUndone = true;
        throw new StepFailed(stepErrors[0].stepId, `taking back ${stepErrors.map((e) => `step "${e.stepId}" failed: ${e.error.message.replace(/^step "[^"]*" failed: /, '')}`).join('; ')}`);
      }
      c.status = 'rolled-back';
      c.rolledBackAt = session.iso();
      s.finishedAt = c.rolledBackAt;
      session.setStatus(spec.id, s, 'rolled-back', { reason });
      resetWindowSteps(spec.id, failedStep);
      log.append({ type: 'cutover-rolled-back', stepId: spec.id, reason, at: c.rolledBackAt });
      await session.notifier.cutoverWindowClosed(spec.id, 'rolled back', `${reason}. Writes are back on the source and nothing was promoted.`);
      session.emit({ type: 'cutover', state: 'rolled-back', stepId: spec.id, detail: `rolled back: writes are back on the source (${reason})` });
      await session.persist();
      return { ok: true };
    } catch (err) {
      const error = toStepError(c.openedBy, err);
      log.append({ type: 'cutover-rollback-failed', stepId: c.openedBy, ...error });
      await session.notifier.cutoverWindowClosed(c.openedBy, 'rollback failed', `${error.message} The source may still be read-only: run apply again to retry the rollback.`);
      session.emit({ type: 'cutover', state: 'rollback-failed', stepId: c.openedBy, detail: error.message });
      await session.persist().catch(() => undefined);
      return { ok: false, error, ...(freezeUndone && err instanceof StepFailed ? { freezeUndone, undoStepId: err.stepId } : {}) };
    }
  };

  /** After a rollback the window's steps start over: their checkpoints describe a cutover that did not happen. */
  const resetWindowSteps = (freezeId: string, failedStep?: string) => {
    const ids = plan.steps.map((s) => s.id);
    for (const id of ids.slice(ids.indexOf(freezeId) + 1)) {
      const s = st.steps[id];
      if (s.status === 'pending') continue;
      if (s.type === 'snapshot-migrate') staleRestores.push(id);
      delete s.checkpoint;
      delete s.outputs;
      if (id === failedStep && s.status === 'failed') continue; // keeps its error for status
      session.setStatus(id, s, 'pending', { reason: 'cutover rolled back' });
    }
  };

  /** snapshot-migrate steps inside a rolled-back window: what they restored misses the writes made since. */
  const staleRestores: string[] = [];

  const rolledBackEnding = async (reason: string, interrupted: boolean, failedStep?: string, failure?: StepError): Promise<RunEnding> => {
    const r = await rollBack(reason, failedStep);
    const { openedBy } = present(st.cutover, 'the cutover window being rolled back');
    const databases = frozenDatabases();
    if (!r.ok && r.freezeUndone) {
      const message =
        `the cutover stopped before the point of no return (${reason}) and was rolled back on the source (${databases} have their previous settings), ` +
        `but ${r.error.message}. Run apply again to retry the rollback (it is convergent).`;
      return { outcome: interrupted ? 'interrupted' : 'failed', failed: { stepId: r.undoStepId ?? openedBy, error: { code: 'ROLLBACK_FAILED', message } } };
    }
    if (!r.ok) {
      const message =
        `the cutover stopped before the point of no return (${reason}), and undoing the freeze failed: ${r.error.message} ` +
        `The source databases ${databases} may still be read-only. Run apply again to retry the rollback, or restore them by hand ` +
        `(ALTER DATABASE <name> RESET default_transaction_read_only, or SET it back to the value in the state's "${openedBy}" checkpoint).`;
      return { outcome: interrupted ? 'interrupted' : 'failed', failed: { stepId: openedBy, error: { code: 'ROLLBACK_FAILED', message } } };
    }
    const untouched = cutoverSteps(plan)?.pointOfNoReturn?.type === 'switch-endpoint' ? 'the application\'s DNS record was not changed' : 'nothing was promoted';
    const message =
      `rolled back: ${reason}. Writes are back on the source (${databases} have their previous settings) and ${untouched}. ` +
      (staleRestores.length
        ? `The cluster restored by ${staleRestores.map((id) => `"${id}"`).join(', ')} holds the data of the frozen snapshot only: delete it (and its snapshot) before the next attempt, or that step adopts it again and verify-data will find the difference. `
        : '') +
      `Fix the cause, then run apply again to start the cutover afresh.`;
    return {
      outcome: interrupted ? 'interrupted' : 'rolled-back',
      failed: { stepId: failedStep ?? openedBy, error: { code: failure?.code ?? 'ROLLED_BACK', message: failure ? `${failure.message} — ${message}` : message } },
    };
  };

  /** The users of the plan's connections from the freeze on, resolved where they can be now. */
  const windowUsers = (): string[] => {
    const scope = { vars: plan.vars, env: session.options.env, outputs: session.outputsScope() };
    const users = new Set<string>();
    for (const u of windowConnectionUsers(plan)) {
      const r = resolveDeep(u.user, scope, 'preflight');
      if (r.unresolved.length === 0 && typeof r.value === 'string' && r.value) users.add(r.value);
      else session.emit({ type: 'warning', message: `the user of step "${u.stepId}" ${u.field} (${u.user}) is not known at the freeze: it does not keep CONNECT through the fence unless it is the tool's own user or in allowRoles` });
    }
    return [...users];
  };

  const frozenDatabases = () => {
    const spec = plan.steps.find((s) => s.id === st.cutover?.openedBy) as { databases?: string[] } | undefined;
    return spec?.databases?.length ? spec.databases.join(', ') : 'the frozen databases';
  };

  return {
    hooks: {
      decorate(ctx: StepContext, spec: StepSpec) {
        const module = session.deps.registry[spec.type];
        if (module?.opensCutoverWindow) {
          ctx.openCutoverWindow = (w) => open(spec.id, w);
          ctx.windowUsers = windowUsers();
          return;
        }
        const handle = handleFor(spec.id);
        if (handle) ctx.cutover = handle;
      },
    },

    async onResume() {
      const c = st.cutover;
      if (!c || c.runId !== st.runId) return undefined;
      if (c.status === 'rolling-back') {
        return rolledBackEnding(`${c.reason ?? 'an earlier run'} (the rollback was interrupted and is finished now)`, false);
      }
      if (c.status !== 'open') return undefined;
      if (expired(c)) {
        return rolledBackEnding(`the cutover window's deadline ${c.deadline} passed while no run was active`, false);
      }
      session.emit({ type: 'warning', message: `resuming inside the cutover window: ${formatDuration(Date.parse(c.deadline) - now())} left before the deadline ${c.deadline}` });
      arm();
      return undefined;
    },

    async beforeStep(spec) {
      const c = st.cutover;
      if (!isOpen() || !c || spec.id === c.openedBy) return undefined;
      if (!expired(c)) return undefined;
      return rolledBackEnding(`the cutover window's deadline ${c.deadline} passed before step "${spec.id}" could start`, false);
    },

    async afterStep(spec, _index, outcome) {
      const c = st.cutover;
      if (outcome.status === 'succeeded' || !c || c.runId !== st.runId) return undefined;
      if (session.controller.signal.reason instanceof Locked) return undefined; // another run owns the state now
      if (c.status === 'committed' && outcome.status === 'failed') {
        const pnr = present(c.pointOfNoReturn, 'the point of no return of a committed cutover');
        const note =
          ` The cutover passed its point of no return at ${pnr.at} (${pnr.what}): nothing is rolled back, ` +
          `${heldAfter()}, and the target is where "${pnr.stepId}" left it. Fix the cause, then run apply again to go forward.`;
        const s = st.steps[spec.id];
        if (s.error && !s.error.message.includes('point of no return at')) s.error.message += note;
        await session.persist();
        return { outcome: 'failed', failed: { stepId: spec.id, error: s.error ?? { ...outcome.error, message: outcome.error.message + note } } };
      }
      if (c.status !== 'open') return undefined;
      const reason = session.controller.signal.reason;
      if (outcome.status === 'interrupted') {
        if (reason instanceof WindowExpired) return rolledBackEnding(reason.message, false, spec.id);
        return rolledBackEnding(`the run was interrupted in step "${spec.id}"`, true, spec.id);
      }
      if (outcome.status === 'awaiting-approval') {
        return rolledBackEnding(`approval step "${spec.id}" inside the cutover window was not approved`, false, spec.id);
      }
      if (outcome.cause instanceof WindowExpired) return rolledBackEnding(outcome.cause.message, false, spec.id, outcome.error);
      return rolledBackEnding(`step "${spec.id}" failed`, false, spec.id, outcome.error);
    },

    summary() {
      return st.cutover && st.cutover.runId === st.runId ? withoutHistory(st.cutover) : undefined;
    },

    dispose: disarm,
  };
}

function withoutHistory(c: CutoverRecord): Omit<CutoverRecord, 'history'> {
  const { history: _h, ...rest } = c;
  return rest;
}

/** The source's state before the freeze, from the freeze step's checkpoint (FreezeCheckpoint). */
function frozenBefore(checkpoint: Record<string, unknown> | undefined): FrozenBefore {
  const cp = (checkpoint ?? {}) as { previous?: Record<string, string | null>; previousAcl?: Record<string, string[] | null>; recordDatabase?: string };
  return {
    settings: { ...(cp.previous ?? {}) },
    ...(cp.previousAcl ? { acl: structuredClone(cp.previousAcl) } : {}),
    ...(cp.recordDatabase ? { recordDatabase: cp.recordDatabase } : {}),
  };
}
