// The stand-in's clock. Resource statuses and metric series are computed lazily from it, so moving
// the clock is all it takes to move the world. Two modes, combinable:
// - time scale: stand-in time = start + real elapsed × scale (matches AURORA_MIGRATE_TIME_SCALE=N
//   in the CLI, for rehearsals and child-process tests);
// - manual: time moves only with advance()/set() (in-process tests, no wall-time sleeping).

export interface ClockOptions {
  /** Stand-in time at start, ms since the epoch (default: the real time now). */
  start?: number | Date;
  /** Stand-in time runs this many times faster than real time (default 1). Ignored when manual. */
  timeScale?: number;
  /** Time stands still except for advance()/set() (default false). */
  manual?: boolean;
}

export interface StandinClock {
  /** Stand-in time, ms since the epoch. */
  now(): number;
  /** Moves stand-in time forward by `ms` (in either mode). */
  advance(ms: number): void;
  /** Jumps to an absolute stand-in time (never backwards). */
  set(time: number | Date): void;
  readonly timeScale: number;
  readonly manual: boolean;
}

export function createClock(options: ClockOptions = {}, realNow: () => number = Date.now): StandinClock {
  const start = options.start === undefined ? realNow() : +options.start;
  const manual = options.manual ?? false;
  const timeScale = options.timeScale && options.timeScale > 0 ? options.timeScale : 1;
  const realStart = realNow();
  let offset = 0;
  const base = () => (manual ? start : start + (realNow() - realStart) * timeScale);
  const clock: StandinClock = {
    now: () => Math.floor(base() + offset),
    advance(ms) {
      if (!(ms >= 0)) throw new Error(`stand-in clock: advance(${ms}) must be a non-negative number of milliseconds`);
      offset += ms;
    },
    set(time) {
      const target = +time;
      const current = clock.now();
      if (target < current)
        throw new Error(
          `stand-in clock: cannot go back from ${new Date(current).toISOString()} to ${new Date(target).toISOString()}`,
        );
      offset += target - current;
    },
    timeScale,
    manual,
  };
  return clock;
}

export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
