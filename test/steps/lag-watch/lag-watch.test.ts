// lag-watch against the stand-in's CloudWatch: one GetMetricData per poll, stability judged from
// each answer alone, missing datapoints are unknown, guards fail the step, the timeout is honoured.
import { afterEach, describe, expect, it } from 'vitest';
import { auroraReadReplica } from '../../../src/steps/aurora-read-replica/run.js';
import { lagWatch } from '../../../src/steps/lag-watch/run.js';
import { INSTANCE, replicaSpec, SOURCE, stepStandin, type StepStandin } from '../support/standin.js';
import type { StandinOptions } from '../../../rehearsal/aws/index.js';

const MINUTE = 60_000;
let s: StepStandin;
afterEach(async () => s?.close());

const watch = (extra: Record<string, unknown> = {}) => ({
  id: 'catch-up',
  type: 'lag-watch',
  replica: INSTANCE,
  source: SOURCE,
  maxLag: '0s',
  stableFor: '5m',
  timeout: '24h',
  ...extra,
});

/** A stand-in with the replica created and available; the call log starts empty. */
async function withReplica(options: StandinOptions = {}): Promise<number> {
  s = await stepStandin(options);
  const r = await s.run(auroraReadReplica, replicaSpec());
  expect(r.error).toBeUndefined();
  s.aws.calls.reset();
  return s.aws.rds.instanceAvailableAt(s.aws.rds.instances.get(INSTANCE)!);
}

const polls = (progress: string[]) =>
  progress.filter((p) => /^replica orders-aurora-1 lag /.test(p) && /minutes at or under/.test(p)).length;

describe('lag-watch', () => {
  it('waits until 5 consecutive 1-minute datapoints are at or under maxLag, one GetMetricData per poll', async () => {
    const availableAt = await withReplica();
    const r = await s.run(lagWatch, watch());
    expect(r.error).toBeUndefined();
    const gmd = s.aws.calls.filter('GetMetricData');
    expect(gmd.length).toBe(polls(r.progress) + 1);
    expect(s.aws.calls.records.every((c) => c.operation === 'GetMetricData')).toBe(true);
    for (let i = 1; i < gmd.length; i++) expect(gmd[i].at - gmd[i - 1].at).toBeGreaterThanOrEqual(60_000);
    // Every poll asks for the lag and both guards in the same request, for the last 10 minutes.
    const q = gmd[0].params as any;
    expect(q.MetricDataQueries.length).toBe(1);
    expect((Number(q.EndTime) - Number(q.StartTime)) * 1000).toBeGreaterThanOrEqual(10 * MINUTE);
    // The lag reaches 0 at availableAt + 30m; five whole zero minutes must then be published.
    const doneAt = gmd.at(-1)!.at;
    expect(doneAt).toBeGreaterThanOrEqual(availableAt + 35 * MINUTE);
    expect(doneAt).toBeLessThanOrEqual(availableAt + 40 * MINUTE);
    expect(
      r.progress.some((p) =>
        /lag \d+(\.\d)?s, 0\/5 minutes at or under 0s; falling \d+(\.\d)?s→\d+(\.\d)?s over \d+m/.test(p),
      ),
    ).toBe(true);
    expect(
      r.progress.some((p) =>
        /lag 0s, [1-4]\/5 minutes at or under 0s \(\d\d:\d\d UTC was \d+(\.\d)?s, over 0s\)/.test(p),
      ),
    ).toBe(true);
  });

  it('treats a missing datapoint as unknown: a gap restarts the count', async () => {
    const availableAt = await withReplica();
    const gapStart = Math.floor((availableAt + 33 * MINUTE) / MINUTE) * MINUTE;
    s.aws.faults.metricGaps({
      ranges: [{ start: gapStart, end: gapStart + MINUTE }],
      metrics: ['RDSToAuroraPostgreSQLReplicaLag'],
    });
    const r = await s.run(lagWatch, watch());
    expect(r.error).toBeUndefined();
    // Five present zero minutes are only available after the gap minute.
    expect(s.aws.calls.filter('GetMetricData').at(-1)!.at).toBeGreaterThanOrEqual(gapStart + 6 * MINUTE + MINUTE);
    expect(r.progress.some((p) => /lag 0s, [0-4]\/5 minutes at or under 0s \(\d\d:\d\d UTC missing\)/.test(p))).toBe(
      true,
    );
  });

  it('says the lag is unknown when there are no datapoints at all', async () => {
    await withReplica();
    s.aws.faults.metricGaps({ fraction: 1, metrics: ['RDSToAuroraPostgreSQLReplicaLag'] });
    const r = await s.run(lagWatch, watch({ timeout: '10m' }));
    expect(r.error?.message).toMatch(
      /timed out after 10m .*last seen: replica orders-aurora-1 lag unknown, 0\/5 minutes at or under 0s \(no datapoints yet: unknown, never zero\)/,
    );
  });

  it('fails when a guard trips, naming metric, value and threshold in human sizes', async () => {
    await withReplica();
    s.aws.faults.fallingFreeStorage(2 * 1024 ** 3, { instanceId: SOURCE });
    const r = await s.run(lagWatch, watch({ guards: [{ metric: 'FreeStorageSpace', on: 'source', below: '100GiB' }] }));
    expect(r.error?.name).toBe('StepFailed');
    expect(r.error?.message).toMatch(
      /guard tripped: FreeStorageSpace on source orders-pg is \d+(\.\d)?GiB \(below the threshold 100GiB\)/,
    );
    expect(r.error?.message).toMatch(/add storage to the source/);
    // Each poll still made exactly one call for lag + guard.
    expect(s.aws.calls.filter('GetMetricData').every((c) => (c.params as any).MetricDataQueries.length === 2)).toBe(
      true,
    );
  });

  it('fails on an "above" guard over a byte threshold', async () => {
    await withReplica();
    const r = await s.run(
      lagWatch,
      watch({ guards: [{ metric: 'OldestReplicationSlotLag', on: 'source', above: '32MiB' }] }),
    );
    expect(r.error?.message).toMatch(
      /OldestReplicationSlotLag on source orders-pg is 64MiB \(above the threshold 32MiB\)/,
    );
    expect(s.aws.calls.count('GetMetricData')).toBe(1);
  });

  it('honours the timeout with the last lag seen when the lag never converges', async () => {
    await withReplica();
    s.aws.faults.lagNeverConverges(300);
    const r = await s.run(lagWatch, watch({ timeout: '2h' }));
    expect(r.error?.message).toMatch(
      /step "catch-up" timed out after 2h waiting for replica orders-aurora-1 lag to stay at or under 0s for 5m \(last seen: replica orders-aurora-1 lag 300s/,
    );
    expect(r.error?.message).toMatch(/raise the step's timeout/);
    // 2 h at one poll per minute: about 120 calls, never more.
    expect(s.aws.calls.count('GetMetricData')).toBeLessThanOrEqual(122);
  });

  it('describe() shows the single GetMetricData and the wait', () => {
    const actions = lagWatch.describe(
      watch({ guards: [{ metric: 'FreeStorageSpace', on: 'source', below: '20GiB' }] }) as any,
      { planName: 'orders', stepId: 'catch-up' },
    );
    expect(actions.map((a) => a.kind)).toEqual(['aws', 'wait']);
    expect((actions[0] as any).params.MetricDataQueries).toHaveLength(2);
    expect((actions[1] as any).for).toBe(
      'replica orders-aurora-1 lag at or under 0s for 5 consecutive minute(s); fail if FreeStorageSpace on source orders-pg below 20GiB',
    );
  });
});
