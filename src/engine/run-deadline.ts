// `apply --max-runtime DURATION` (DESIGN.md "Long runs in CI, fleets, and the run report"): a CI job
// has a time limit, a lag-watch or a long import may not. Once DURATION has passed (divided by
// AURORA_MIGRATE_TIME_SCALE, like every wait), the run stops at its next safe point — a sleep or poll
// of a step (waiting on AWS or on replication), between s3-import files, between two steps — with the
// step left `running`, so the next apply observes, adopts and goes on. Never inside a cutover: from
// the freeze until the step that ends the write downtime (or a rollback) the window runs to its end.
import type { Plan } from '../plan/types.js';
import { Interrupted, MaxRuntimeReached } from '../errors.js';
import type { StateFile } from './state-file.js';

export interface RunDeadline {
  /** The limit as given, e.g. "5h". */
  readonly limit: string;
  /** Real milliseconds until the run may be stopped; Infinity while a cutover is in progress. */
  roomMs(): number;
  /** True when the time is up and nothing forbids stopping here. */
  due(): boolean;
  /**
   * At a safe point: when due, stops the run (its abort signal fires with MaxRuntimeReached, the stop
   * is recorded) and returns the reason; otherwise undefined.
   */
  check(where: string): MaxRuntimeReached | undefined;
  /** check(), throwing Interrupted when the run stops here (steps: the run-step loop keeps the step `running`). */
  stopIfDue(where: string): void;
  /** Where the run stopped, once it did. */
  stoppedAt(): string | undefined;
}

export interface RunDeadlineOptions {
  /** DURATION in real-AWS milliseconds (divided by timeScale here). */
  maxRuntimeMs: number;
  limit: string;
  timeScale: number;
  monotonic(): number;
  /** True while a cutover window is in progress (see cutoverInProgress). */
  inCutover(): boolean;
  /** Stops the run: abort its signal with this reason, record it. Called once. */
  stop(reason: MaxRuntimeReached, where: string): void;
}

export function runDeadline(options: RunDeadlineOptions): RunDeadline {
  const scale = options.timeScale > 0 ? options.timeScale : 1;
  const end = options.monotonic() + options.maxRuntimeMs / scale;
  let stopped: string | undefined;
  const due = () => options.monotonic() >= end && !options.inCutover();
  const deadline: RunDeadline = {
    limit: options.limit,
    roomMs: () => (options.inCutover() ? Infinity : Math.max(0, end - options.monotonic())),
    due,
    check(where) {
      if (!due()) return undefined;
      const reason = new MaxRuntimeReached(`--max-runtime ${options.limit} reached ${where}`);
      if (stopped === undefined) {
        stopped = where;
        options.stop(reason, where);
      }
      return reason;
    },
    stopIfDue(where) {
      const reason = deadline.check(where);
      if (reason) throw new Interrupted(reason.message, { cause: reason });
    },
    stoppedAt: () => stopped,
  };
  return deadline;
}

/**
 * A cutover is in progress from the moment its window opened until it was rolled back, or until the
 * step that ends the write downtime succeeded: the first switch-endpoint after the freeze, else the
 * step that crossed the point of no return. Stopping in between would leave writes frozen for hours.
 */
export function cutoverInProgress(plan: Pick<Plan, 'steps'>, st: StateFile): boolean {
  const c = st.cutover;
  if (!c || c.runId !== st.runId) return false;
  if (c.status === 'open' || c.status === 'rolling-back') return true;
  if (c.status !== 'committed') return false;
  const freeze = plan.steps.findIndex((s) => s.id === c.openedBy);
  const end = plan.steps.slice(freeze + 1).find((s) => s.type === 'switch-endpoint')?.id ?? c.pointOfNoReturn?.stepId;
  return end !== undefined && st.steps[end]?.status !== 'succeeded';
}
