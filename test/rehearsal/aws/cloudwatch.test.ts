// GetMetricData through the real CloudWatch client (AWS JSON 1.0): the replica lag series falls to 0
// after the replica instance is available and stops at promotion; source byte metrics; newest
// minutes missing (publishing delay); newest first; gaps and falling storage as faults.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MINUTE } from '../../../rehearsal/aws/index.js';
import { standinFixture, SOURCE, type Fixture } from './standin-fixture.js';

let f: Fixture;
beforeEach(async () => {
  f = await standinFixture({
    startTime: Date.parse('2026-11-01T00:00:00Z'),
    durations: {
      clusterCreating: 10 * MINUTE,
      clusterBackingUp: 2 * MINUTE,
      instanceCreate: 8 * MINUTE,
      lagCatchUp: 30 * MINUTE,
      promote: 5 * MINUTE,
    },
    metrics: { lag: { initialSeconds: 1800, steadySeconds: 0 }, publishDelayMs: MINUTE },
    seed: {
      instances: [
        {
          id: SOURCE,
          allocatedStorageGiB: 100,
          metrics: { FreeStorageSpace: 50 * 2 ** 30, OldestReplicationSlotLag: { start: 0, perMinute: 1_000_000 } },
        },
      ],
    },
  });
});
afterEach(() => f.close());

const query = (id: string, metric: string, instance: string, stat = 'Maximum') => ({
  Id: id,
  MetricStat: {
    Metric: {
      Namespace: 'AWS/RDS',
      MetricName: metric,
      Dimensions: [{ Name: 'DBInstanceIdentifier', Value: instance }],
    },
    Period: 60,
    Stat: stat,
  },
});

async function metrics(minutesBack: number, ...queries: ReturnType<typeof query>[]) {
  const now = f.aws.clock.now();
  const out = await f.api.send('cloudwatch', 'GetMetricData', {
    StartTime: new Date(now - minutesBack * MINUTE),
    EndTime: new Date(now),
    MetricDataQueries: queries,
  });
  return Object.fromEntries(out.MetricDataResults.map((r: any) => [r.Id, r])) as Record<
    string,
    { Timestamps: Date[]; Values: number[]; StatusCode: string }
  >;
}

async function replicaWithInstance() {
  await f.rds('CreateDBCluster', {
    DBClusterIdentifier: 'orders-aurora',
    Engine: 'aurora-postgresql',
    ReplicationSourceIdentifier: f.aws.arn('db', SOURCE),
  });
  await f.rds('CreateDBInstance', {
    DBInstanceIdentifier: 'orders-aurora-1',
    DBClusterIdentifier: 'orders-aurora',
    DBInstanceClass: 'db.r6g.large',
    Engine: 'aurora-postgresql',
  });
  f.aws.clock.advance(12 * MINUTE); // cluster and instance available now
}

describe('GetMetricData', () => {
  it('publishes RDSToAuroraPostgreSQLReplicaLag for the replica instance only once it is available, falling to 0', async () => {
    await f.rds('CreateDBCluster', {
      DBClusterIdentifier: 'orders-aurora',
      Engine: 'aurora-postgresql',
      ReplicationSourceIdentifier: f.aws.arn('db', SOURCE),
    });
    await f.rds('CreateDBInstance', {
      DBInstanceIdentifier: 'orders-aurora-1',
      DBClusterIdentifier: 'orders-aurora',
      DBInstanceClass: 'db.r6g.large',
      Engine: 'aurora-postgresql',
    });
    f.aws.clock.advance(11 * MINUTE);
    expect((await metrics(15, query('lag', 'RDSToAuroraPostgreSQLReplicaLag', 'orders-aurora-1'))).lag.Values).toEqual(
      [],
    );
    f.aws.clock.advance(10 * MINUTE);
    const early = (await metrics(10, query('lag', 'RDSToAuroraPostgreSQLReplicaLag', 'orders-aurora-1'))).lag;
    expect(early.Values.length).toBeGreaterThan(0);
    expect(early.Values[0]).toBeGreaterThan(600);
    // newest first
    expect(early.Timestamps[0]!.getTime()).toBeGreaterThan(early.Timestamps[early.Timestamps.length - 1]!.getTime());
    expect(early.Values[0]).toBeLessThan(early.Values[early.Values.length - 1]!);
    f.aws.clock.advance(40 * MINUTE);
    const late = (await metrics(10, query('lag', 'RDSToAuroraPostgreSQLReplicaLag', 'orders-aurora-1'))).lag;
    expect(late.Values.length).toBeGreaterThanOrEqual(5);
    expect(late.Values.every((v) => v === 0)).toBe(true);
    // not for the source, not for the cluster id
    const other = await metrics(
      10,
      query('src', 'RDSToAuroraPostgreSQLReplicaLag', SOURCE),
      query('cl', 'RDSToAuroraPostgreSQLReplicaLag', 'orders-aurora'),
    );
    expect(other.src!.Values).toEqual([]);
    expect(other.cl!.Values).toEqual([]);
  });

  it('leaves out the newest minutes (publishing delay) and honours StartTime/EndTime', async () => {
    await replicaWithInstance();
    f.aws.clock.advance(60 * MINUTE + 30_000); // mid-minute
    const now = f.aws.clock.now();
    const r = (await metrics(10, query('free', 'FreeStorageSpace', SOURCE))).free;
    const newest = r.Timestamps[0]!.getTime();
    expect(now - newest).toBeGreaterThanOrEqual(2 * MINUTE);
    expect(now - newest).toBeLessThan(3 * MINUTE);
    expect(r.Timestamps.every((t) => t.getTime() >= now - 10 * MINUTE - MINUTE && t.getTime() < now)).toBe(true);
    expect(r.Timestamps.every((t) => t.getTime() % MINUTE === 0)).toBe(true);
    expect(r.Values.every((v) => v === 50 * 2 ** 30)).toBe(true);
    const asc = await f.api.send('cloudwatch', 'GetMetricData', {
      StartTime: new Date(now - 10 * MINUTE),
      EndTime: new Date(now),
      ScanBy: 'TimestampAscending',
      MetricDataQueries: [query('free', 'FreeStorageSpace', SOURCE)],
    });
    expect(asc.MetricDataResults[0].Timestamps[0].getTime()).toBeLessThan(newest);
  });

  it('answers several metrics in one call; source byte series follow the seed', async () => {
    f.aws.clock.advance(30 * MINUTE);
    const r = await metrics(
      10,
      query('free', 'FreeStorageSpace', SOURCE, 'Average'),
      query('slot', 'OldestReplicationSlotLag', SOURCE, 'Maximum'),
      query('wal', 'TransactionLogsDiskUsage', SOURCE, 'Average'),
    );
    expect(r.slot!.Values[0]).toBeGreaterThan(r.slot!.Values[r.slot!.Values.length - 1]!); // growing over time
    expect(r.wal!.Values.length).toBeGreaterThan(0);
    expect(f.aws.calls.count('GetMetricData')).toBe(1);
  });

  it('stops lag datapoints at promotion', async () => {
    await replicaWithInstance();
    f.aws.clock.advance(40 * MINUTE);
    await f.rds('PromoteReadReplicaDBCluster', { DBClusterIdentifier: 'orders-aurora' });
    const promotedAt = f.aws.clock.now();
    f.aws.clock.advance(20 * MINUTE);
    const r = (await metrics(30, query('lag', 'RDSToAuroraPostgreSQLReplicaLag', 'orders-aurora-1'))).lag;
    expect(r.Timestamps.length).toBeGreaterThan(0);
    expect(r.Timestamps.every((t) => t.getTime() < promotedAt)).toBe(true);
  });

  it('fault: lag that never converges stays above its floor', async () => {
    f.aws.faults.lagNeverConverges(120);
    await replicaWithInstance();
    f.aws.clock.advance(120 * MINUTE);
    const r = (await metrics(10, query('lag', 'RDSToAuroraPostgreSQLReplicaLag', 'orders-aurora-1'))).lag;
    expect(r.Values.length).toBeGreaterThan(0);
    expect(Math.min(...r.Values)).toBeGreaterThanOrEqual(120);
  });

  it('fault: free storage that falls', async () => {
    f.aws.faults.fallingFreeStorage(2 ** 30, { instanceId: SOURCE });
    f.aws.clock.advance(30 * MINUTE);
    const r = (await metrics(20, query('free', 'FreeStorageSpace', SOURCE, 'Minimum'))).free;
    const [newest, oldest] = [r.Values[0]!, r.Values[r.Values.length - 1]!];
    expect(oldest - newest).toBeGreaterThan(10 * 2 ** 30);
    expect(newest).toBeLessThan(50 * 2 ** 30 - 20 * 2 ** 30);
  });

  it('fault: gaps leave minutes out, the same ones on every query', async () => {
    f.aws.faults.metricGaps({ fraction: 0.5 });
    f.aws.clock.advance(60 * MINUTE);
    const a = (await metrics(30, query('free', 'FreeStorageSpace', SOURCE))).free;
    const b = (await metrics(30, query('free', 'FreeStorageSpace', SOURCE))).free;
    expect(a.Timestamps.length).toBeLessThan(25);
    expect(a.Timestamps.length).toBeGreaterThan(3);
    expect(b.Timestamps).toEqual(a.Timestamps);
  });

  it('rejects StartTime after EndTime with InvalidParameterValue (the SDK names it InvalidParameterValueException)', async () => {
    const now = f.aws.clock.now();
    const err = await f.api
      .send('cloudwatch', 'GetMetricData', {
        StartTime: new Date(now),
        EndTime: new Date(now - MINUTE),
        MetricDataQueries: [query('free', 'FreeStorageSpace', SOURCE)],
      })
      .catch((e) => e);
    expect(err.code).toBe('InvalidParameterValueException');
    expect(err.message).toMatch(/StartTime must be less than/);
  });
});

describe('GetMetricData paging', () => {
  it('caps datapoints with MaxDatapoints, marks PartialData and continues with NextToken', async () => {
    f.aws.clock.advance(60 * MINUTE);
    const now = f.aws.clock.now();
    const input = {
      StartTime: new Date(now - 30 * MINUTE),
      EndTime: new Date(now),
      MaxDatapoints: 20,
      MetricDataQueries: [query('free', 'FreeStorageSpace', SOURCE), query('wal', 'TransactionLogsDiskUsage', SOURCE)],
    };
    const first = await f.api.send('cloudwatch', 'GetMetricData', input);
    expect(first.NextToken).toBeTruthy();
    const count = (o: any) => o.MetricDataResults.reduce((n: number, r: any) => n + r.Values.length, 0);
    expect(count(first)).toBe(20);
    expect(first.MetricDataResults.map((r: any) => r.StatusCode)).toContain('PartialData');
    const second = await f.api.send('cloudwatch', 'GetMetricData', { ...input, NextToken: first.NextToken });
    expect(second.NextToken).toBeTruthy();
    const third = await f.api.send('cloudwatch', 'GetMetricData', { ...input, NextToken: second.NextToken });
    expect(third.NextToken).toBeUndefined();
    expect(count(first) + count(second) + count(third)).toBe(2 * 29); // 30 minutes back, the newest 2 unpublished, start minute included
  });
});
