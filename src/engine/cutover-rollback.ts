// The cutover's rollback (docs/design.md "Cutover"), taken before the point of no return on a failure,
// an interrupt, an unapproved gate or the deadline: the window's steps that have an `undo` are undone
// (newest first; logical-switchover), then the freeze (the opener's undo) even when one of those
// failed — writes back come first. Recorded as `rolled-back` (or `rollback-failed`, retried by the
// next apply); the window's steps start over on the next apply. The result says where source and
// target stand and what to do.
import type { StepSpec } from '../plan/types.js';
import { cutoverSteps } from '../plan/cutover-steps.js';
import type { AnyStepModule } from '../steps/step.js';
import { StepFailed } from '../errors.js';
import type { StepError } from './state-file.js';
import type { RunEnding, RunSession } from './run-session.js';
import type { CutoverDeadline } from './cutover-deadline.js';
import { frozenDatabases, windowOpener } from './cutover-source.js';
import { contextFor, resolveForRun, toStepError } from './run-step.js';
import { present } from '../invariant.js';

/** How long the undo of a freeze may take before the rollback is reported as failed. */
const UNDO_TIMEOUT_MS = 120_000;

type RollBackResult =
  | { ok: true; staleRestores: string[] }
  | { ok: false; error: StepError; freezeUndone?: boolean; undoStepId?: string };

/**
 * Rolls the open window back and says how the run ends: `rolled-back` (`interrupted` when the run was
 * stopped), or `failed` with ROLLBACK_FAILED when the source may still be frozen. `failedStep` keeps
 * its error for status; `failure` is what made the window roll back.
 */
export async function rollBackWindow(
  session: RunSession,
  deadline: CutoverDeadline,
  reason: string,
  interrupted: boolean,
  failedStep?: string,
  failure?: StepError,
): Promise<RunEnding> {
  const { st, plan } = session;
  const r = await rollBack(session, deadline, reason, failedStep);
  const { openedBy } = present(st.cutover, 'the cutover window being rolled back');
  const databases = frozenDatabases(session);
  if (!r.ok && r.freezeUndone) {
    const message =
      `the cutover stopped before the point of no return (${reason}) and was rolled back on the source (${databases} have their previous settings), ` +
      `but ${r.error.message}. Run apply again to retry the rollback (it is convergent).`;
    return {
      outcome: interrupted ? 'interrupted' : 'failed',
      failed: { stepId: r.undoStepId ?? openedBy, error: { code: 'ROLLBACK_FAILED', message } },
    };
  }
  if (!r.ok) {
    const message =
      `the cutover stopped before the point of no return (${reason}), and undoing the freeze failed: ${r.error.message} ` +
      `The source databases ${databases} may still be read-only. Run apply again to retry the rollback, or restore them by hand ` +
      `(ALTER DATABASE <name> RESET default_transaction_read_only, or SET it back to the value in the state's "${openedBy}" checkpoint).`;
    return {
      outcome: interrupted ? 'interrupted' : 'failed',
      failed: { stepId: openedBy, error: { code: 'ROLLBACK_FAILED', message } },
    };
  }
  const untouched =
    cutoverSteps(plan)?.pointOfNoReturn?.type === 'switch-endpoint'
      ? "the application's DNS record was not changed"
      : 'nothing was promoted';
  const message =
    `rolled back: ${reason}. Writes are back on the source (${databases} have their previous settings) and ${untouched}. ` +
    (r.staleRestores.length
      ? `The cluster restored by ${r.staleRestores.map((id) => `"${id}"`).join(', ')} holds the data of the frozen snapshot only: delete it (and its snapshot) before the next attempt, or that step adopts it again and verify-data will find the difference. `
      : '') +
    `Fix the cause, then run apply again to start the cutover afresh.`;
  return {
    outcome: interrupted ? 'interrupted' : 'rolled-back',
    failed: {
      stepId: failedStep ?? openedBy,
      error: { code: failure?.code ?? 'ROLLED_BACK', message: failure ? `${failure.message} — ${message}` : message },
    },
  };
}

/** Undoes the window's steps and the freeze; ok when both are back (freezeUndone: writes are back even though a step's undo failed). */
async function rollBack(
  session: RunSession,
  deadline: CutoverDeadline,
  reason: string,
  failedStep: string | undefined,
): Promise<RollBackResult> {
  const { st, log } = session;
  const c = present(st.cutover, 'the open cutover window');
  deadline.disarm();
  c.status = 'rolling-back';
  c.reason = reason;
  log.append({ type: 'cutover-rollback', stepId: c.openedBy, reason });
  session.emit({
    type: 'cutover',
    state: 'rolling-back',
    stepId: c.openedBy,
    detail: `rolling back the cutover: ${reason}`,
  });
  await session.persist();
  const opener = windowOpener(session);
  let freezeUndone = false;
  try {
    const stepErrors = await undoWindowSteps(session);
    if (!opener?.module?.undo) throw new Error(`step "${c.openedBy}" cannot be undone by this build of aurora-migrate`);
    const { spec } = opener;
    const s = st.steps[spec.id];
    await undoOne(session, spec, opener.module);
    if (stepErrors.length) {
      freezeUndone = true;
      // A StepError is stored text: its "step … failed:" head is dropped so the step is named once.
      const [first, ...more] = stepErrors.map((e) => ({
        id: e.stepId,
        why: e.error.message.replace(/^step "[^"]*" failed: /, ''),
      }));
      const why = [first.why, ...more.map((m) => `step "${m.id}" could not be taken back either: ${m.why}`)].join('; ');
      throw new StepFailed(first.id, why, { outcome: 'could not be taken back:' });
    }
    c.status = 'rolled-back';
    c.rolledBackAt = session.iso();
    s.finishedAt = c.rolledBackAt;
    session.setStatus(spec.id, s, 'rolled-back', { reason });
    const staleRestores = resetWindowSteps(session, spec.id, failedStep);
    log.append({ type: 'cutover-rolled-back', stepId: spec.id, reason, at: c.rolledBackAt });
    await session.notifier.cutoverWindowClosed(
      spec.id,
      'rolled back',
      `${reason}. Writes are back on the source and nothing was promoted.`,
    );
    session.emit({
      type: 'cutover',
      state: 'rolled-back',
      stepId: spec.id,
      detail: `rolled back: writes are back on the source (${reason})`,
    });
    await session.persist();
    return { ok: true, staleRestores };
  } catch (err) {
    const error = toStepError(c.openedBy, err);
    log.append({ type: 'cutover-rollback-failed', stepId: c.openedBy, ...error });
    await session.notifier.cutoverWindowClosed(
      c.openedBy,
      'rollback failed',
      `${error.message} The source may still be read-only: run apply again to retry the rollback.`,
    );
    session.emit({ type: 'cutover', state: 'rollback-failed', stepId: c.openedBy, detail: error.message });
    await session.persist().catch(() => undefined);
    return {
      ok: false,
      error,
      ...(freezeUndone && err instanceof StepFailed ? { freezeUndone, undoStepId: err.stepId } : {}),
    };
  }
}

/**
 * Takes back what the window's steps after the freeze did, newest first, for those whose module has
 * an `undo` (logical-switchover: the reverse slot dropped, the subscription enabled again). Every
 * one is tried; the failures are returned (the freeze is undone anyway: writes back come first).
 */
async function undoWindowSteps(session: RunSession): Promise<Array<{ stepId: string; error: StepError }>> {
  const { st, plan } = session;
  const c = present(st.cutover, 'the open cutover window');
  const inside = cutoverSteps(plan)?.inside ?? [];
  const errors: Array<{ stepId: string; error: StepError }> = [];
  for (const spec of plan.steps.filter((x) => inside.includes(x.id) && x.id !== c.openedBy).reverse()) {
    const module = session.deps.registry[spec.type];
    const s = st.steps[spec.id];
    if (!module?.undo || !s || s.status === 'pending') continue;
    try {
      await undoOne(session, spec, module);
      session.log.append({ type: 'cutover-step-undone', stepId: spec.id });
    } catch (err) {
      errors.push({ stepId: spec.id, error: toStepError(spec.id, err) });
    }
  }
  return errors;
}

/** One step's undo (the caller checked it has one), with its own abort signal (the run's may have fired), given up after UNDO_TIMEOUT_MS. */
async function undoOne(session: RunSession, spec: StepSpec, module: AnyStepModule): Promise<void> {
  const undoAbort = new AbortController();
  const undoTimer = setTimeout(() => undoAbort.abort(new Error('undo timed out')), UNDO_TIMEOUT_MS);
  try {
    await module.undo?.(
      resolveForRun(session, spec),
      contextFor(session, spec, session.st.steps[spec.id], undoAbort.signal),
    );
  } finally {
    clearTimeout(undoTimer);
  }
}

/**
 * After a rollback the window's steps start over: their checkpoints describe a cutover that did not
 * happen. Returns the snapshot-migrate steps among them: what they restored misses the writes made since.
 */
function resetWindowSteps(session: RunSession, freezeId: string, failedStep: string | undefined): string[] {
  const { st, plan } = session;
  const staleRestores: string[] = [];
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
  return staleRestores;
}
