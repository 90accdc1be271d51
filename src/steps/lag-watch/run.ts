// Step type "lag-watch": waits until RDSToAuroraPostgreSQLReplicaLag on the replica instance has been
// at or under maxLag for stableFor consecutive 1-minute datapoints, with guards on source/replica
// metrics. Exactly one GetMetricData per poll; each answer judged alone (docs/design.md "Rehearsal time scale").
import { StepFailed } from '../../errors.js';
import type { LagWatchSpec } from '../../plan/types.js';
import { durationMs, formatDuration } from '../../plan/units.js';
import type { DescribeEnv, PlannedAction, StepContext, StepModule } from '../step.js';
import { describeGuard, guardsOf, lagWatchQueries, trippedGuard } from '../../rds/guards.js';
import {
  fmtSeconds,
  judgeLag,
  LAG_METRIC,
  metricDataParams,
  MINUTE,
  seriesById,
  WINDOW_MARGIN_MS,
} from '../../rds/metrics.js';
import { lagWatchPreflight } from './preflight.js';
import { lagWindowText } from './window-text.js';
import { recordLagSample } from '../progress-samples.js';

/** Never poll CloudWatch faster than this against real AWS (1-minute metrics). */
export const MIN_METRIC_POLL_MS = 30_000;

export interface LagWatchSettings {
  maxLagSeconds: number;
  stableForMs: number;
  needed: number;
  pollEveryMs: number;
  timeoutMs: number;
  windowMs: number;
}

export function lagWatchSettings(spec: LagWatchSpec): LagWatchSettings {
  const stableForMs = durationMs(spec.stableFor, '5m');
  return {
    maxLagSeconds: durationMs(spec.maxLag, '0s') / 1000,
    stableForMs,
    needed: Math.max(1, Math.ceil(stableForMs / MINUTE)),
    pollEveryMs: Math.max(MIN_METRIC_POLL_MS, durationMs(spec.pollEvery, '60s')),
    timeoutMs: durationMs(spec.timeout, '24h'),
    windowMs: Math.max(1, Math.ceil(stableForMs / MINUTE)) * MINUTE + WINDOW_MARGIN_MS,
  };
}

export const lagWatch: StepModule<LagWatchSpec> = {
  type: 'lag-watch',
  outputs: [],

  describe(spec: LagWatchSpec, env: DescribeEnv): PlannedAction[] {
    const s = lagWatchSettings(spec);
    const guards = guardsOf(spec, env.stepId);
    const params = metricDataParams(lagWatchQueries(spec.replica, guards), 0, 0);
    return [
      {
        kind: 'aws',
        service: 'cloudwatch',
        operation: 'GetMetricData',
        params: { ...params, StartTime: `<now - ${formatDuration(s.windowMs)}>`, EndTime: '<now>' },
        note: `once per poll, every ${formatDuration(s.pollEveryMs)}`,
      },
      {
        kind: 'wait',
        for:
          `replica ${spec.replica} lag at or under ${fmtSeconds(s.maxLagSeconds)} for ${s.needed} consecutive minute(s)` +
          (guards.length ? `; fail if ${guards.map(describeGuard).join('; ')}` : ''),
        timeoutMs: s.timeoutMs,
        pollEveryMs: s.pollEveryMs,
      },
    ];
  },

  preflight: lagWatchPreflight,

  async run(spec: LagWatchSpec, ctx: StepContext): Promise<Record<string, unknown>> {
    const s = lagWatchSettings(spec);
    const guards = guardsOf(spec, ctx.stepId);
    const queries = lagWatchQueries(spec.replica, guards);
    const verdict = await ctx.poll({
      what: `replica ${spec.replica} lag to stay at or under ${fmtSeconds(s.maxLagSeconds)} for ${formatDuration(s.needed * MINUTE)}`,
      everyMs: s.pollEveryMs,
      timeoutMs: s.timeoutMs,
      check: async () => {
        const now = ctx.clock.now();
        const out = await ctx.aws.send('cloudwatch', 'GetMetricData', metricDataParams(queries, now - s.windowMs, now));
        const series = seriesById(out);
        const points = series.get('lag') ?? [];
        // Every poll's value, for the run report (null: no datapoint, unknown).
        recordLagSample(ctx, {
          at: new Date(now).toISOString(),
          value: points[0]?.v ?? null,
          unit: 'seconds',
          metric: LAG_METRIC,
          of: spec.replica,
          ...(points[0] ? { measuredAt: new Date(points[0].t).toISOString() } : {}),
        });
        const trip = trippedGuard(guards, series);
        if (trip)
          throw new StepFailed(ctx.stepId, trip.what, {
            remedy: `${trip.remedy} Then run aurora-migrate apply again to resume watching.`,
          });
        const v = judgeLag(points, s.maxLagSeconds, s.needed);
        if (v.satisfied) return { done: true, value: v };
        return { done: false, detail: lagWindowText(spec.replica, points, v, s.maxLagSeconds) };
      },
    });
    ctx.progress(
      `replica ${spec.replica} lag ${fmtSeconds(verdict.current ?? 0)} for ${verdict.needed} consecutive minute(s)`,
    );
    ctx.event('lag-stable', { replica: spec.replica, lagSeconds: verdict.current, minutes: verdict.needed });
    return {};
  },
};
