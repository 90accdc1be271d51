// The cutover window's deadline (docs/design.md "Cutover"): a timer on the tool's own clock that stops
// the run (its abort signal fires with WindowExpired) when the window is still open at its deadline.
// Armed when the window opens and when a run resumes inside it; disarmed at the point of no return,
// at a rollback and when the run ends. Between steps and at the point of no return the deadline is
// checked directly (passed), since a timer can fire late.
import { WindowExpired } from '../errors.js';
import type { CutoverRecord, StateFile } from './state-file.js';
import type { RunSession } from './run-session.js';

export interface CutoverDeadline {
  /** (Re)starts the timer for the state's window; nothing when it is not open. */
  arm(): void;
  disarm(): void;
  /** The window's deadline has passed on the tool's clock. */
  passed(c: CutoverRecord): boolean;
}

/** The state's window was opened by this run and has not closed (neither committed nor rolled back). */
export function openInThisRun(st: StateFile): boolean {
  return st.cutover?.status === 'open' && st.cutover.runId === st.runId;
}

export function cutoverDeadline(session: RunSession): CutoverDeadline {
  const { st, controller } = session;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const disarm = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
  };
  return {
    arm() {
      disarm();
      const c = st.cutover;
      if (c?.status !== 'open') return;
      // Real milliseconds: the deadline is on the tool's own clock, which the time scale does not touch.
      const ms = Math.max(0, Date.parse(c.deadline) - session.clock.now());
      timer = setTimeout(() => {
        if (openInThisRun(st) && !controller.signal.aborted) {
          controller.abort(
            new WindowExpired(`the cutover window's deadline ${c.deadline} passed before the point of no return`),
          );
        }
      }, ms);
      timer.unref?.();
    },
    disarm,
    passed: (c) => session.clock.now() >= Date.parse(c.deadline),
  };
}
