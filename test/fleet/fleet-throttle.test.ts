// 20 plans at once as 20 CLI processes (as 20 CI runners would) against one stand-in that throttles
// RDS and CloudWatch per account with a token bucket: thanks to the SDK's adaptive retry mode no plan
// fails because of throttling, although many calls were throttled; nothing is created twice; and the
// fleet's `status` shows every plan finished. Prints the peak calls per second and the throttled
// answers per plan (the same lines as `npm run bench:fleet`).
import type { ChildProcess } from 'node:child_process';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../../rehearsal/world/ensure-built.js';
import { formatFleetSummary, runFleet } from '../../rehearsal/world/fleet-run.js';

const children: ChildProcess[] = [];
beforeAll(() => ensureBuilt(), 180_000);
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

describe('a fleet under the account API rate limit', () => {
  it('20 plans as 20 processes: all succeed, calls were throttled, nothing created twice, status shows 20 finished', async () => {
    const summary = await runFleet({
      plans: 20,
      timeScale: 600,
      rateLimit: { rds: { burst: 40, perSecond: 40 }, cloudwatch: { burst: 40, perSecond: 40 } },
      onSpawn: (c) => children.push(c),
    });
    console.log(formatFleetSummary(summary));
    expect(summary.perPlan.filter((p) => p.exitCode !== 0)).toEqual([]);
    expect(summary.totalThrottled).toBeGreaterThan(0); // the limit really bit
    expect(summary.perPlan.filter((p) => p.throttled > 0).length).toBeGreaterThanOrEqual(5);
    expect(summary.createdTwice).toEqual([]);
    expect(summary.clusters).toBe(20);
    expect(summary.instances).toBe(20);
    expect(summary.peakServedPerSecond).toBeLessThanOrEqual(40 + 40 + 40 + 40); // two buckets: burst + one second of refill each
    expect(summary.status.exitCode).toBe(0);
    expect(Object.values(summary.status.phases)).toEqual(Array(20).fill('finished'));
  }, 120_000);
});
