// A running step's last progress line ("lag 3s, stable 2 of 5 minutes", "files 120/400") kept in its
// state, so `status` — and the fleet table over many plans — shows what a run is doing right now
// without reading its event log. Saved with the state at most once a minute (divided by the time
// scale, like every wait) while nothing else is saved: a lag-watch that waits a day costs one small
// state write a minute, not one per poll.
import type { RunSession } from './run-session.js';
import type { StepState } from './state-file.js';

const SAVE_EVERY_MS = 60_000;
const lastSaved = new WeakMap<RunSession, number>();

export function recordProgress(session: RunSession, s: StepState, detail: string): void {
  s.progress = { detail, at: session.iso() };
  const now = session.clock.now();
  const every = SAVE_EVERY_MS / (session.deps.timeScale && session.deps.timeScale > 0 ? session.deps.timeScale : 1);
  const last = lastSaved.get(session);
  if (last === undefined) {
    lastSaved.set(session, now); // the step's start was just saved
    return;
  }
  if (now - last < every) return;
  lastSaved.set(session, now);
  // A write that fails here fails again at the step's next save, which stops the run and says why.
  session.persist().catch(() => undefined);
}
