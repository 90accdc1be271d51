// Benchmark: a fleet of plans applied at once under the account's API rate limit.
//
//   npm run bench:fleet                                  # 20 plans, time scale 600, RDS 40/s (burst 40)
//   npm run bench:fleet -- --plans 40 --rds-rate 20 --rds-burst 20 --json
//
// N CLI processes (as N CI runners), each applying a small plan (an Aurora read replica of its own
// source, then a lag-watch) against one stand-in that throttles RDS and CloudWatch per account with a
// token bucket. Prints how every process ended, the peak calls per real second the stand-in saw, and
// the throttled answers per plan. Against real AWS the limit is 12 RDS calls a second; a rehearsal at
// time scale 600 polls 600 times as often, so its limit is set higher here (see rehearsal/aws/rate-limit.ts).
import { parseArgs } from 'node:util';
import { formatFleetSummary, runFleet } from '../rehearsal/world/fleet-run.js';
import { ensureBuilt } from '../rehearsal/world/ensure-built.js';

const { values } = parseArgs({
  options: {
    plans: { type: 'string', default: '20' },
    'time-scale': { type: 'string', default: '600' },
    'rds-rate': { type: 'string', default: '40' },
    'rds-burst': { type: 'string', default: '40' },
    'cloudwatch-rate': { type: 'string', default: '40' },
    json: { type: 'boolean', default: false },
  },
});
const num = (v: string | undefined) => Number(v);
await ensureBuilt();
const summary = await runFleet({
  plans: num(values.plans),
  timeScale: num(values['time-scale']),
  rateLimit: {
    rds: { burst: num(values['rds-burst']), perSecond: num(values['rds-rate']) },
    cloudwatch: { burst: num(values['cloudwatch-rate']), perSecond: num(values['cloudwatch-rate']) },
  },
});
process.stdout.write(values.json ? JSON.stringify(summary, null, 2) + '\n' : formatFleetSummary(summary) + '\n');
process.exitCode = summary.succeeded === summary.plans && summary.createdTwice.length === 0 ? 0 : 1;
