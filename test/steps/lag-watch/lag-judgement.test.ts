// The lag verdict is judged from one GetMetricData answer alone: the newest N datapoints must be N
// consecutive minutes, all present and at or under maxLag. Missing is unknown, never zero.
import { describe, expect, it } from 'vitest';
import { judgeLag, metricDataParams, seriesById, MINUTE } from '../../../src/rds/metrics.js';
import { guardsOf, lagWatchQueries, trippedGuard } from '../../../src/rds/guards.js';
import { lagWatchSettings } from '../../../src/steps/lag-watch/run.js';

const T0 = Date.parse('2026-11-22T10:00:00Z');
const pts = (values: Array<number | null>) => values.flatMap((v, i) => (v === null ? [] : [{ t: T0 - i * MINUTE, v }])); // newest first

describe('judgeLag', () => {
  it('is satisfied with N consecutive present datapoints at or under maxLag', () => {
    const v = judgeLag(pts([0, 0, 0, 0, 0, 30]), 0, 5);
    expect(v).toMatchObject({ satisfied: true, current: 0, goodMinutes: 5 });
  });
  it('treats a missing minute inside the run as unknown, not zero', () => {
    const v = judgeLag(pts([0, 0, null, 0, 0, 0]), 0, 5);
    expect(v.satisfied).toBe(false);
    expect(v.goodMinutes).toBe(2);
    expect(v.reason).toMatch(/missing \(unknown\)/);
  });
  it('is not satisfied when a point in the run is over maxLag', () => {
    const v = judgeLag(pts([0, 0, 0, 2, 0]), 1, 5);
    expect(v.satisfied).toBe(false);
    expect(v.goodMinutes).toBe(3);
    expect(v.reason).toMatch(/lag 2s .* over maxLag 1s/);
  });
  it('is unknown without datapoints', () => {
    expect(judgeLag([], 0, 1)).toMatchObject({
      satisfied: false,
      goodMinutes: 0,
      reason: expect.stringMatching(/unknown/),
    });
  });
  it('reports the trend', () => {
    expect(judgeLag(pts([5, 20, 40]), 0, 3).trend).toBe('falling 40s→5s over 2m');
  });
});

describe('seriesById', () => {
  it('reads Date, ISO string and epoch-second timestamps, newest first', () => {
    const s = seriesById({
      MetricDataResults: [
        {
          Id: 'lag',
          Timestamps: [new Date(T0 - MINUTE), (T0 - 2 * MINUTE) / 1000, new Date(T0).toISOString()],
          Values: [1, 2, 0],
        },
      ],
    });
    expect(s.get('lag')).toEqual([
      { t: T0, v: 0 },
      { t: T0 - MINUTE, v: 1 },
      { t: T0 - 2 * MINUTE, v: 2 },
    ]);
  });
});

describe('lag-watch queries', () => {
  const spec = {
    id: 'catch-up',
    type: 'lag-watch' as const,
    replica: 'orders-aurora-1',
    source: 'orders-pg',
    stableFor: '5m',
    guards: [
      { metric: 'FreeStorageSpace', on: 'source' as const, below: '20GiB' },
      { metric: 'OldestReplicationSlotLag', on: 'source' as const, above: '50GiB' },
    ],
  };
  it('asks for the lag and every guard in one request, 1-minute periods, over stableFor + 5m', () => {
    const s = lagWatchSettings(spec);
    expect(s).toMatchObject({
      needed: 5,
      windowMs: 10 * MINUTE,
      pollEveryMs: 60_000,
      timeoutMs: 24 * 3600_000,
      maxLagSeconds: 0,
    });
    const p = metricDataParams(lagWatchQueries(spec.replica, guardsOf(spec, 'catch-up')), T0 - s.windowMs, T0) as any;
    expect(
      p.MetricDataQueries.map((q: any) => [
        q.Id,
        q.MetricStat.Metric.MetricName,
        q.MetricStat.Metric.Dimensions[0].Value,
        q.MetricStat.Stat,
        q.MetricStat.Period,
      ]),
    ).toEqual([
      ['lag', 'RDSToAuroraPostgreSQLReplicaLag', 'orders-aurora-1', 'Maximum', 60],
      ['g0', 'FreeStorageSpace', 'orders-pg', 'Minimum', 60],
      ['g1', 'OldestReplicationSlotLag', 'orders-pg', 'Maximum', 60],
    ]);
    expect(p.StartTime).toEqual(new Date(T0 - 10 * MINUTE));
  });
  it('a tripped guard names metric, value and threshold in human sizes', () => {
    const guards = guardsOf(spec, 'catch-up');
    const series = new Map([
      ['g0', [{ t: T0, v: 19 * 1024 ** 3 }]],
      ['g1', [{ t: T0, v: 1 }]],
    ]);
    expect(trippedGuard(guards, series)?.what).toMatch(
      /FreeStorageSpace on source orders-pg is 19GiB \(below the threshold 20GiB\)/,
    );
    expect(trippedGuard(guards, new Map([['g0', []]]))).toBeUndefined();
  });
  it('never polls faster than 30s', () => {
    expect(lagWatchSettings({ ...spec, pollEvery: '5s' }).pollEveryMs).toBe(30_000);
  });
});
