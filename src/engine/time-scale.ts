// AURORA_MIGRATE_TIME_SCALE (docs/design.md "Rehearsal time scale"): every wait is divided by it. Meant
// for a local AWS stand-in; against real AWS it would cut waits and timeouts short, so apply warns
// loudly when it is set and no AWS_ENDPOINT_URL* points elsewhere.
import { UsageError } from '../errors.js';

export interface TimeScale {
  scale: number;
  /** Set when the scale is on while no AWS endpoint override is (that means real AWS). */
  warning?: string;
}

export function timeScaleFromEnv(env: Readonly<Record<string, string | undefined>>): TimeScale {
  const raw = env.AURORA_MIGRATE_TIME_SCALE;
  if (raw === undefined || raw.trim() === '') return { scale: 1 };
  const scale = Number(raw);
  if (!Number.isFinite(scale) || scale <= 0) {
    throw new UsageError(
      `AURORA_MIGRATE_TIME_SCALE must be a positive number, got ${JSON.stringify(raw)}. Unset it for real runs.`,
    );
  }
  if (scale === 1) return { scale };
  const endpoint = Object.keys(env).some((k) => k.startsWith('AWS_ENDPOINT_URL') && env[k]);
  if (endpoint) return { scale };
  return {
    scale,
    warning:
      `AURORA_MIGRATE_TIME_SCALE=${raw} is set but no AWS_ENDPOINT_URL* is: this run talks to REAL AWS with every wait, ` +
      `poll interval and timeout divided by ${scale}. Unset AURORA_MIGRATE_TIME_SCALE unless this is a rehearsal against a local stand-in.`,
  };
}
