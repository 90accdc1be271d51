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
//
// This file holds those rules, at the engine's seams (resume, before and after each step). Their
// parts: the deadline's timer (cutover-deadline.ts), what steps get of the window
// (cutover-handle.ts), the rollback (cutover-rollback.ts), the frozen source (cutover-source.ts).
import type { StepSpec } from '../plan/types.js';
import { cutoverSteps } from '../plan/cutover-steps.js';
import { Locked, UsageError, WindowExpired } from '../errors.js';
import { formatDuration } from '../plan/units.js';
import type { CutoverRecord, StepError } from './state-file.js';
import type { RunEnding, RunSession } from './run-session.js';
import type { StepOutcome } from './run-step.js';
import { cutoverDeadline, openInThisRun } from './cutover-deadline.js';
import { windowPartFor, withoutHistory } from './cutover-handle.js';
import type { WindowPart } from './step-context.js';
import { heldAfter } from './cutover-source.js';
import { rollBackWindow } from './cutover-rollback.js';
import { present } from '../invariant.js';

/** `--until` inside the window would leave the source frozen with no run watching the deadline. */
export function checkUntilOutsideWindow(
  plan: { name: string; steps: readonly Pick<StepSpec, 'id' | 'type'>[] },
  until: string | undefined,
): void {
  if (until === undefined) return;
  const inside = cutoverSteps(plan)?.inside ?? [];
  if (!inside.includes(until)) return;
  throw new UsageError(
    `--until "${until}" would stop the run inside the cutover window (steps ${inside.join(', ')}), with writes frozen on the source and no run watching the deadline. ` +
      `Stop before the freeze (--until a step before "${inside[0]}") or run through the point of no return.`,
  );
}

export interface CutoverControl {
  /** What the window hands to a step about to run: see cutover-handle.ts. */
  windowPart(spec: StepSpec): WindowPart;
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
  const { st } = session;
  const deadline = cutoverDeadline(session);
  const rollBack = (reason: string, interrupted: boolean, failedStep?: string, failure?: StepError) =>
    rollBackWindow(session, deadline, reason, interrupted, failedStep, failure);

  return {
    windowPart: (spec) => windowPartFor(session, deadline, spec),

    async onResume() {
      const c = st.cutover;
      if (!c || c.runId !== st.runId) return undefined;
      if (c.status === 'rolling-back') {
        return rollBack(`${c.reason ?? 'an earlier run'} (the rollback was interrupted and is finished now)`, false);
      }
      if (c.status !== 'open') return undefined;
      if (deadline.passed(c)) {
        return rollBack(`the cutover window's deadline ${c.deadline} passed while no run was active`, false);
      }
      session.emit({
        type: 'warning',
        message: `resuming inside the cutover window: ${formatDuration(Date.parse(c.deadline) - session.clock.now())} left before the deadline ${c.deadline}`,
      });
      deadline.arm();
      return undefined;
    },

    async beforeStep(spec) {
      const c = st.cutover;
      if (!openInThisRun(st) || !c || spec.id === c.openedBy) return undefined;
      if (!deadline.passed(c)) return undefined;
      return rollBack(`the cutover window's deadline ${c.deadline} passed before step "${spec.id}" could start`, false);
    },

    async afterStep(spec, _index, outcome) {
      const c = st.cutover;
      if (outcome.status === 'succeeded' || !c || c.runId !== st.runId) return undefined;
      if (session.controller.signal.reason instanceof Locked) return undefined; // another run owns the state now
      if (c.status === 'committed' && outcome.status === 'failed') {
        const pnr = present(c.pointOfNoReturn, 'the point of no return of a committed cutover');
        const note =
          ` The cutover passed its point of no return at ${pnr.at} (${pnr.what}): nothing is rolled back, ` +
          `${heldAfter(session)}, and the target is where "${pnr.stepId}" left it. Fix the cause, then run apply again to go forward.`;
        const s = st.steps[spec.id];
        if (s.error && !s.error.message.includes('point of no return at')) s.error.message += note;
        await session.persist();
        return {
          outcome: 'failed',
          failed: { stepId: spec.id, error: s.error ?? { ...outcome.error, message: outcome.error.message + note } },
        };
      }
      if (c.status !== 'open') return undefined;
      const reason = session.controller.signal.reason;
      if (outcome.status === 'interrupted') {
        if (reason instanceof WindowExpired) return rollBack(reason.message, false, spec.id);
        return rollBack(`the run was interrupted in step "${spec.id}"`, true, spec.id);
      }
      if (outcome.status === 'awaiting-approval') {
        return rollBack(`approval step "${spec.id}" inside the cutover window was not approved`, false, spec.id);
      }
      if (outcome.cause instanceof WindowExpired) return rollBack(outcome.cause.message, false, spec.id, outcome.error);
      return rollBack(`step "${spec.id}" failed`, false, spec.id, outcome.error);
    },

    summary() {
      return st.cutover && st.cutover.runId === st.runId ? withoutHistory(st.cutover) : undefined;
    },

    dispose: deadline.disarm,
  };
}
