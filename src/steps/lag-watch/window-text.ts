// The verdict of one GetMetricData answer on the lag window, as one progress line a person reads at a
// glance: the newest lag, how many of the needed minutes are good, and which minute spoils the window
// (missing, or over maxLag), then the trend.
//   replica orders-aurora-1 lag 0s, 4/5 minutes at or under 0s (06:04 UTC missing); falling 40s→0s over 9m
//   replica orders-aurora-1 lag 0s, 1/5 minutes at or under 0s (06:04 UTC was 19.0s, over 0s); …
//   replica orders-aurora-1 lag 19.0s, 0/5 minutes at or under 0s; falling 40s→19.0s over 3m
import { fmtSeconds, MINUTE, type LagVerdict, type Point } from '../../rds/metrics.js';

const hhmm = (t: number) => `${new Date(t).toISOString().slice(11, 16)} UTC`;

/** `points` newest first (as judgeLag got them), `v` judgeLag's verdict on them. */
export function lagWindowText(replica: string, points: readonly Point[], v: LagVerdict, maxLagSeconds: number): string {
  const current = v.current === undefined ? 'unknown' : fmtSeconds(v.current);
  const head = `replica ${replica} lag ${current}, ${v.goodMinutes}/${v.needed} minute${v.needed === 1 ? '' : 's'} at or under ${fmtSeconds(maxLagSeconds)}`;
  const trend = points.length >= 2 ? `; ${v.trend}` : '';
  if (points.length === 0) return `${head} (no datapoints yet: unknown, never zero)`;
  if (v.satisfied) return `${head}${trend}`;
  // judgeLag counts good minutes from the newest down and stops at the first bad one: that is this one.
  const expected = points[0].t - v.goodMinutes * MINUTE;
  const p = points[v.goodMinutes];
  if (!p || p.t !== expected) return `${head} (${hhmm(expected)} missing)${trend}`;
  // The newest minute itself is over: the head already says so.
  if (v.goodMinutes === 0) return `${head}${trend}`;
  return `${head} (${hhmm(expected)} was ${fmtSeconds(p.v)}, over ${fmtSeconds(maxLagSeconds)})${trend}`;
}
