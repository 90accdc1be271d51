// Account-wide API rate limits, as AWS applies them: one token bucket per service for the whole
// account and region, shared by every caller (20 CI runners migrating 20 databases draw from the
// same bucket). A call takes a token or is answered Throttling / "Rate exceeded" (HTTP 400, each
// service's own error shape, see server.ts). Off unless switched on: StandinOptions.faults.rateLimit,
// POST /_standin/faults { "rateLimit": … }, or AWS_STANDIN_RATE_LIMIT for serve.ts.
//
// AWS's published defaults (AWS_RATE_LIMITS) are for real time. The buckets here refill on real time
// too, whatever the stand-in's time scale: the SDK's retry backoff and its adaptive rate limiter run
// on real time, and so do N processes polling. At AURORA_MIGRATE_TIME_SCALE=600 the tool polls 600
// times as often, so a rehearsal that wants to finish picks its own limits (e.g. 40 a second) rather
// than AWS's 12.
import type { StandinService } from './calls.js';

export interface BucketLimit {
  /** Tokens the bucket holds: calls that may come at once after a quiet spell. */
  burst: number;
  /** Tokens added per real second: the sustained rate. */
  perSecond: number;
}

export type RateLimitOptions = Partial<Record<StandinService, BucketLimit>>;

/**
 * AWS's defaults per account and region: RDS 300 in a burst, 12 a second sustained (RDS user guide,
 * "Request throttling for the Amazon RDS API"); CloudWatch GetMetricData 50 a second; Route 53 five
 * requests a second per account. S3 and SNS limits are far above what this tool sends: not limited.
 */
export const AWS_RATE_LIMITS: RateLimitOptions = {
  rds: { burst: 300, perSecond: 12 },
  cloudwatch: { burst: 50, perSecond: 50 },
  route53: { burst: 5, perSecond: 5 },
};

export class AccountRateLimit {
  private readonly buckets = new Map<StandinService, { limit: BucketLimit; tokens: number; at: number }>();

  constructor(
    readonly limits: RateLimitOptions,
    private readonly now: () => number = () => performance.now(),
  ) {
    for (const [service, limit] of Object.entries(limits) as Array<[StandinService, BucketLimit]>) {
      if (!(limit.burst >= 1 && limit.perSecond > 0))
        throw new Error(`stand-in rate limit for ${service}: burst must be >= 1 and perSecond > 0`);
      this.buckets.set(service, { limit, tokens: limit.burst, at: this.now() });
    }
  }

  /** Takes a token for one call; false: throttle it. Services without a bucket are never limited. */
  take(service: StandinService): boolean {
    const b = this.buckets.get(service);
    if (!b) return true;
    const t = this.now();
    b.tokens = Math.min(b.limit.burst, b.tokens + ((t - b.at) / 1000) * b.limit.perSecond);
    b.at = t;
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }
}

/**
 * AWS_STANDIN_RATE_LIMIT / the control API's value: "aws" (AWS_RATE_LIMITS), a JSON object of
 * per-service limits ({"rds":{"burst":40,"perSecond":20}}), or "off".
 */
export function parseRateLimit(value: unknown): RateLimitOptions | undefined {
  if (value === undefined || value === false || value === 'off' || value === '') return undefined;
  if (value === true || value === 'aws' || value === 'on') return AWS_RATE_LIMITS;
  const parsed = typeof value === 'string' ? (JSON.parse(value) as unknown) : value;
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
    throw new Error(`stand-in rate limit: expected "aws", "off" or {"rds": {"burst": N, "perSecond": N}, ...}`);
  return parsed as RateLimitOptions;
}
