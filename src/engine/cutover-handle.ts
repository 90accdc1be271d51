// What the cutover window hands to the steps (docs/design.md "Cutover"). The step that opens it
// (freeze-writes) gets openCutoverWindow, which records the window and arms its deadline, and the
// users a fence must keep. Every step after it, while the window is open or committed, gets the
// CutoverHandle: the freeze's facts, and crossPointOfNoReturn, which runs the opener's last check,
// records the crossing and disarms the deadline.
import type { ConnectionSpec, StepSpec } from '../plan/types.js';
import { windowConnectionUsers } from '../plan/cutover-steps.js';
import { resolveDeep } from '../plan/values.js';
import { formatDuration } from '../plan/units.js';
import type { CutoverHandle } from '../steps/step.js';
import { failureText, Interrupted, StepFailed, WindowExpired } from '../errors.js';
import type { CutoverRecord } from './state-file.js';
import type { RunSession } from './run-session.js';
import type { CutoverDeadline } from './cutover-deadline.js';
import { frozenBefore, heldAfter, windowOpener } from './cutover-source.js';
import { contextFor, resolveForRun } from './run-step.js';
import type { WindowPart } from './step-context.js';
import { present } from '../invariant.js';

export function windowPartFor(session: RunSession, deadline: CutoverDeadline, spec: StepSpec): WindowPart {
  if (session.deps.registry[spec.type]?.opensCutoverWindow) {
    return { openCutoverWindow: (w) => openWindow(session, deadline, spec.id, w), windowUsers: windowUsers(session) };
  }
  const handle = handleFor(session, deadline, spec.id);
  return handle ? { cutover: handle } : {};
}

/** Records the window in the state (persisted) and arms its deadline; a repeat for the same freeze only re-arms. */
async function openWindow(
  session: RunSession,
  deadline: CutoverDeadline,
  stepId: string,
  w: { frozenAt: string; deadline: string },
): Promise<void> {
  const { st } = session;
  const c = st.cutover;
  if (
    c &&
    c.runId === st.runId &&
    c.openedBy === stepId &&
    c.frozenAt === w.frozenAt &&
    (c.status === 'open' || c.status === 'committed')
  ) {
    deadline.arm();
    return;
  }
  const history = [...(c?.history ?? []), ...(c ? [withoutHistory(c)] : [])];
  st.cutover = {
    openedBy: stepId,
    runId: st.runId,
    openedAt: session.iso(),
    frozenAt: w.frozenAt,
    deadline: w.deadline,
    status: 'open',
    ...(history.length ? { history } : {}),
  };
  await session.persist();
  session.log.append({ type: 'cutover-window-opened', stepId, frozenAt: w.frozenAt, deadline: w.deadline });
  await session.notifier.cutoverWindowOpened(stepId, w);
  session.emit({
    type: 'cutover',
    state: 'opened',
    stepId,
    deadline: w.deadline,
    detail: `cutover window open: writes are being frozen; deadline ${w.deadline}`,
  });
  deadline.arm();
}

/** The users of the plan's connections from the freeze on, resolved where they can be now. */
function windowUsers(session: RunSession): string[] {
  const { plan } = session;
  const scope = { vars: plan.vars, env: session.options.env, outputs: session.outputsScope() };
  const users = new Set<string>();
  for (const u of windowConnectionUsers(plan)) {
    const r = resolveDeep(u.user, scope, 'preflight');
    if (r.unresolved.length === 0 && typeof r.value === 'string' && r.value) users.add(r.value);
    else
      session.emit({
        type: 'warning',
        message: `the user of step "${u.stepId}" ${u.field} (${u.user}) is not known at the freeze: it does not keep CONNECT through the fence unless it is the tool's own user or in allowRoles`,
      });
  }
  return [...users];
}

function handleFor(session: RunSession, deadline: CutoverDeadline, stepId: string): CutoverHandle | undefined {
  const { st, plan } = session;
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
    frozenBefore: () => frozenBefore(st.steps[c.openedBy]?.checkpoint),
    describeFence: () => heldAfter(session),
    sourceConnection() {
      const spec = present(
        plan.steps.find((s) => s.id === c.openedBy),
        `step "${c.openedBy}" that opened the window`,
      );
      return (resolveForRun(session, spec) as { connection: ConnectionSpec }).connection;
    },
    crossPointOfNoReturn: (what) => crossPointOfNoReturn(session, deadline, c, stepId, what),
  };
}

async function crossPointOfNoReturn(
  session: RunSession,
  deadline: CutoverDeadline,
  c: CutoverRecord,
  stepId: string,
  what: string,
): Promise<void> {
  if (c.status === 'committed') return;
  if (session.controller.signal.aborted) throw new Interrupted('interrupted before the point of no return');
  if (deadline.passed(c)) {
    const err = new WindowExpired(`the cutover window's deadline ${c.deadline} passed before ${what}`);
    session.controller.abort(err);
    throw err;
  }
  await lastCheck(session, stepId, what);
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
  deadline.disarm();
  session.log.append({ type: 'cutover-point-of-no-return', ...crossing, frozenAt: c.frozenAt, deadline: c.deadline });
  await session.notifier.cutoverWindowClosed(
    c.openedBy,
    'point of no return',
    `${what} (step "${stepId}" at ${crossing.at}); from here the plan only goes forward.`,
  );
  session.emit({
    type: 'cutover',
    state: 'point-of-no-return',
    stepId,
    detail: `point of no return: ${what} (${formatDuration(Date.parse(crossing.at) - Date.parse(c.frozenAt))} after the freeze); from here the plan only goes forward`,
  });
}

/** The opener's last check (the fence still holds); a problem fails the calling step before the point of no return. */
async function lastCheck(session: RunSession, stepId: string, what: string): Promise<void> {
  const { st } = session;
  const opener = windowOpener(session);
  if (!opener) return;
  const { spec, module } = opener;
  if (!module?.lastCheck) return;
  let problems: string[];
  try {
    problems = await module.lastCheck(
      resolveForRun(session, spec),
      contextFor(session, spec, st.steps[spec.id], session.controller.signal),
    );
  } catch (err) {
    if (err instanceof Interrupted || session.controller.signal.aborted)
      throw new Interrupted('interrupted before the point of no return');
    const outcome = `stopped before the point of no return (${what} was not sent):`;
    throw new StepFailed(stepId, `the last check of the fence could not run: ${failureText(err)}`, {
      outcome,
      cause: err,
    });
  }
  session.log.append({
    type: 'cutover-last-check',
    stepId,
    ok: problems.length === 0,
    ...(problems.length ? { problems } : {}),
  });
  if (problems.length === 0) return;
  throw new StepFailed(stepId, `the fence of step "${spec.id}" does not hold: ${problems.join('; ')}`, {
    outcome: `stopped before the point of no return (${what} was not sent):`,
    remedy:
      'A session like that can write to the source after the target was proven caught up, and those writes would be lost. ' +
      "Stop that client (or, if it connects as the tool's own user, give it its own role so the fence can stop it), then run apply again",
  });
}

/** The window as a record without its earlier attempts (the result's `cutover`, an entry of `history`). */
export function withoutHistory(c: CutoverRecord): Omit<CutoverRecord, 'history'> {
  const { history: _h, ...rest } = c;
  return rest;
}
