// Faults a test can switch on: account-wide rate limits (token buckets, rate-limit.ts), throttling
// on a fraction of calls (seeded, so repeatable), an
// operation that fails N times with a given error, lag that never converges, free storage that
// falls, and gaps in metric series. The router asks `beforeCall` for every request; the metric
// generator reads the metric faults.
import type { StandinService } from './calls.js';
import { AccountRateLimit, type RateLimitOptions } from './rate-limit.js';

export interface FailureFault {
  /** Operation name as AWS spells it (CreateDBCluster, GetMetricData, PutObject, ...). */
  operation: string;
  /** How many calls fail before the operation works again (default 1; Infinity = always). */
  times?: number;
  /** Error name: an SDK name (DBClusterNotFoundFault) or AWS's wire code (DBInstanceNotFound). */
  code: string;
  message?: string;
  /** HTTP status (default: the model's status for known RDS errors, else 400). */
  status?: number;
  /** Only calls about this resource id. */
  resourceId?: string;
}

export interface ThrottleFault {
  /** Fraction of calls answered with Throttling / "Rate exceeded" (0..1). */
  rate: number;
  services?: StandinService[];
  operations?: string[];
}

export interface MetricGapFault {
  /** Fraction of 1-minute datapoints missing, chosen by a hash of (series, minute): stable across queries. */
  fraction?: number;
  /** Stand-in time ranges [start, end) with no datapoints at all. */
  ranges?: Array<{ start: number; end: number }>;
  /** Only these metric names (default all). */
  metrics?: string[];
}

export interface FaultOptions {
  /** Seed of the RNG that picks throttled calls (default 1). */
  seed?: number;
  throttle?: ThrottleFault;
  failures?: FailureFault[];
  /** RDSToAuroraPostgreSQLReplicaLag never falls below this many seconds. */
  lagNeverConverges?: boolean | { floorSeconds: number };
  /** FreeStorageSpace of an instance falls by this much per minute from `from` (default: when set). */
  fallingFreeStorage?: { instanceId?: string; bytesPerMinute: number; from?: number };
  metricGaps?: MetricGapFault;
  /** Account-wide token buckets per service (rate-limit.ts); off when absent. */
  rateLimit?: RateLimitOptions;
}

export type FaultDecision =
  | { kind: 'none' }
  | { kind: 'throttle' }
  | { kind: 'fail'; code: string; message?: string; status?: number };

/** mulberry32: a tiny seeded PRNG, enough for repeatable fault picking. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A stable pseudo-random number in [0,1) for a string key (for metric gaps). */
export function hashUnit(key: string): number {
  let h = 2166136261;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 16777619);
  return seededRandom(h >>> 0)();
}

export class Faults {
  private random: () => number;
  private throttleFault?: ThrottleFault;
  private limiter?: AccountRateLimit;
  private failures: Array<FailureFault & { remaining: number }> = [];
  lag?: { floorSeconds: number };
  fallingStorage?: { instanceId?: string; bytesPerMinute: number; from: number };
  gaps?: MetricGapFault;

  constructor(
    options: FaultOptions = {},
    private readonly now: () => number,
  ) {
    this.random = seededRandom(options.seed ?? 1);
    if (options.throttle) this.throttle(options.throttle.rate, options.throttle);
    for (const f of options.failures ?? []) this.fail(f);
    if (options.lagNeverConverges)
      this.lagNeverConverges(options.lagNeverConverges === true ? undefined : options.lagNeverConverges.floorSeconds);
    if (options.fallingFreeStorage)
      this.fallingFreeStorage(options.fallingFreeStorage.bytesPerMinute, options.fallingFreeStorage);
    if (options.metricGaps) this.metricGaps(options.metricGaps);
    if (options.rateLimit) this.rateLimit(options.rateLimit);
  }

  /** Account-wide rate limits (undefined: off). */
  rateLimit(limits: RateLimitOptions | undefined, now?: () => number): this {
    this.limiter = limits ? new AccountRateLimit(limits, now) : undefined;
    return this;
  }

  /** The rate limits in force, if any. */
  get rateLimits(): RateLimitOptions | undefined {
    return this.limiter?.limits;
  }

  /** Re-seeds the throttling RNG. */
  seed(seed: number): this {
    this.random = seededRandom(seed);
    return this;
  }

  throttle(rate: number, scope: Omit<ThrottleFault, 'rate'> = {}): this {
    if (!(rate >= 0 && rate <= 1)) throw new Error(`stand-in faults: throttle rate ${rate} must be between 0 and 1`);
    this.throttleFault = rate > 0 ? { rate, services: scope.services, operations: scope.operations } : undefined;
    return this;
  }

  fail(fault: FailureFault): this {
    this.failures.push({ ...fault, remaining: fault.times ?? 1 });
    return this;
  }

  lagNeverConverges(floorSeconds = 300): this {
    this.lag = { floorSeconds };
    return this;
  }

  fallingFreeStorage(bytesPerMinute: number, options: { instanceId?: string; from?: number } = {}): this {
    this.fallingStorage = { instanceId: options.instanceId, bytesPerMinute, from: options.from ?? this.now() };
    return this;
  }

  metricGaps(gaps: MetricGapFault): this {
    this.gaps = gaps;
    return this;
  }

  clear(): this {
    this.throttleFault = undefined;
    this.limiter = undefined;
    this.failures = [];
    this.lag = undefined;
    this.fallingStorage = undefined;
    this.gaps = undefined;
    return this;
  }

  /** Decides, for one incoming call, whether it is throttled or fails. Consumes RNG and failure counts. */
  beforeCall(service: StandinService, operation: string, resourceId: string | undefined): FaultDecision {
    if (this.limiter && !this.limiter.take(service)) return { kind: 'throttle' };
    const t = this.throttleFault;
    if (t && (!t.services || t.services.includes(service)) && (!t.operations || t.operations.includes(operation))) {
      if (this.random() < t.rate) return { kind: 'throttle' };
    }
    const failure = this.failures.find(
      (f) => f.operation === operation && f.remaining > 0 && (!f.resourceId || f.resourceId === resourceId),
    );
    if (failure) {
      failure.remaining -= 1;
      return { kind: 'fail', code: failure.code, message: failure.message, status: failure.status };
    }
    return { kind: 'none' };
  }

  /** True when the datapoint of `series` for the minute starting at `minute` is missing. */
  isGap(metricName: string, series: string, minute: number): boolean {
    const g = this.gaps;
    if (!g || (g.metrics && !g.metrics.includes(metricName))) return false;
    if (g.ranges?.some((r) => minute >= r.start && minute < r.end)) return true;
    return g.fraction !== undefined && hashUnit(`${series}|${minute}`) < g.fraction;
  }
}
