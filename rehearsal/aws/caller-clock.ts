// Callers on the wall clock. Against real AWS a client's clock and AWS's agree, so "the last 8
// minutes of lag" sent as StartTime = now - 8m, EndTime = now means the last 8 minutes in AWS too.
// A time-scaled stand-in runs N times faster than the CLI, which keeps its own wall clock
// (docs/design.md "Rehearsal time scale"), so after a few real seconds every window the CLI asks for would
// lie in the stand-in's past. With callerClock 'wall' (the default when the clock is time-scaled),
// the stand-in restores the agreement a real client has, touching only the timestamps a client sends
// and reads, shifted by (stand-in now − wall-clock now) measured once per request:
//   - GetMetricData: StartTime/EndTime in, Timestamps out (the same shift both ways, so 1-minute
//     datapoints stay 1 minute apart);
//   - DescribeEvents: StartTime/EndTime in; each event's Date out maps to the wall-clock instant at
//     which the stand-in's clock showed it (so promotedAt reads as when it happened).
// Resource statuses, call counts and errors are unaffected.
import type { StandinClock } from './clock.js';

export interface CallerClock {
  /** Stand-in now minus the caller's now, in milliseconds. */
  offsetMs(): number;
  /** The caller's instant at which the stand-in's clock showed `standinMs`. */
  toCaller(standinMs: number): number;
}

/** Callers on Date.now() facing a stand-in clock that runs `timeScale` times faster. */
export function wallCallerClock(
  clock: Pick<StandinClock, 'now' | 'timeScale'>,
  wallNow: () => number = Date.now,
): CallerClock {
  return {
    offsetMs: () => clock.now() - wallNow(),
    toCaller: (t) => wallNow() - (clock.now() - t) / clock.timeScale,
  };
}

/** Epoch seconds (CloudWatch JSON) or an ISO string (RDS query), shifted by `offsetMs`. */
export function shiftTime(value: unknown, offsetMs: number): unknown {
  if (typeof value === 'number') return value + offsetMs / 1000;
  if (typeof value === 'string') {
    const t = /^\d+(\.\d+)?$/.test(value) ? Number(value) * 1000 : Date.parse(value);
    return Number.isNaN(t) ? value : new Date(t + offsetMs).toISOString();
  }
  return value;
}

export function shiftWindow<T extends Record<string, unknown>>(params: T, offsetMs: number): T {
  const out: Record<string, unknown> = { ...params };
  for (const k of ['StartTime', 'EndTime']) if (k in out) out[k] = shiftTime(out[k], offsetMs);
  return out as T;
}

export function shiftMetricResult<R extends { MetricDataResults?: Array<{ Timestamps?: unknown[] }> }>(
  result: R,
  offsetMs: number,
): R {
  return {
    ...result,
    MetricDataResults: result.MetricDataResults?.map((r) => ({
      ...r,
      Timestamps: (r.Timestamps ?? []).map((t) => shiftTime(t, -offsetMs)),
    })),
  };
}

export function shiftEventDates<R extends { Events?: Array<Record<string, unknown>> }>(
  result: R,
  toCaller: (standinMs: number) => number,
): R {
  return {
    ...result,
    Events: result.Events?.map((e) => {
      const t = typeof e.Date === 'string' ? Date.parse(e.Date) : NaN;
      return Number.isNaN(t) ? e : { ...e, Date: new Date(Math.round(toCaller(t))).toISOString() };
    }),
  };
}
