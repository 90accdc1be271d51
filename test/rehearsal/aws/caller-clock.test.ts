// A CLI on the wall clock against a time-scaled stand-in (docs/design.md "Rehearsal time scale"): the
// windows it sends and the timestamps it reads are on its own clock, as they are against real AWS.
import { afterEach, describe, expect, it } from 'vitest';
import { createAwsApi } from '../../../src/aws/sdk-api.js';
import { startAwsStandin, MINUTE, type AwsStandin } from '../../../rehearsal/aws/index.js';
import {
  shiftEventDates,
  shiftMetricResult,
  shiftWindow,
  wallCallerClock,
} from '../../../rehearsal/aws/caller-clock.js';

const HOUR = 60 * MINUTE;

describe('caller clock translation', () => {
  it('moves a window to the stand-in clock and datapoints back, keeping their spacing', () => {
    expect(shiftWindow({ StartTime: 1_000, EndTime: 1_480, X: 1 }, 5 * HOUR)).toEqual({
      StartTime: 19_000,
      EndTime: 19_480,
      X: 1,
    });
    expect(shiftWindow({ StartTime: '2026-11-22T02:00:00.000Z' }, HOUR)).toEqual({
      StartTime: '2026-11-22T03:00:00.000Z',
    });
    const back = shiftMetricResult(
      { MetricDataResults: [{ Id: 'lag', Timestamps: [19_420, 19_360], Values: [0, 0] }] },
      5 * HOUR,
    );
    expect(back.MetricDataResults?.[0]).toEqual({ Id: 'lag', Timestamps: [1_420, 1_360], Values: [0, 0] });
  });

  it('maps event dates to the caller instant at which the stand-in clock showed them', () => {
    const out = shiftEventDates({ Events: [{ Message: 'm', Date: '2026-11-22T10:00:00.000Z' }] }, (t) => t - 2 * HOUR);
    expect(out.Events?.[0]).toEqual({ Message: 'm', Date: '2026-11-22T08:00:00.000Z' });
  });

  it('inverts a scaled clock: an instant n scaled ms ago happened n/scale wall ms ago', () => {
    const wall = 1_000_000_000;
    const clock = wallCallerClock({ now: () => wall + 10 * HOUR, timeScale: 1200 }, () => wall);
    expect(clock.offsetMs()).toBe(10 * HOUR);
    expect(clock.toCaller(wall + 10 * HOUR - 1200 * 1000)).toBe(wall - 1000);
  });
});

describe('a time-scaled stand-in answering a wall-clock caller through the SDK', () => {
  let aws: AwsStandin | undefined;
  afterEach(async () => {
    await aws?.close();
    aws = undefined;
  });

  it('returns the newest lag datapoints inside the window the caller asked for on its own clock', async () => {
    aws = await startAwsStandin({
      timeScale: 600,
      durations: { clusterCreating: MINUTE, clusterBackingUp: MINUTE, instanceCreate: MINUTE, lagCatchUp: 10 * MINUTE },
      metrics: { lag: { initialSeconds: 600, steadySeconds: 0 }, publishDelayMs: MINUTE },
      seed: { instances: [{ id: 'orders-pg', engineVersion: '16.4' }] },
    });
    const api = createAwsApi({ env: aws.env, maxAttempts: 2 });
    await api.send('rds', 'CreateDBCluster', {
      DBClusterIdentifier: 'orders-aurora',
      Engine: 'aurora-postgresql',
      ReplicationSourceIdentifier: aws.arn('db', 'orders-pg'),
    });
    await api.send('rds', 'CreateDBInstance', {
      DBInstanceIdentifier: 'orders-aurora-1',
      DBClusterIdentifier: 'orders-aurora',
      DBInstanceClass: 'db.r6g.large',
      Engine: 'aurora-postgresql',
    });
    aws.clock.advance(30 * MINUTE); // the stand-in is now half an hour ahead of the wall clock

    const end = Date.now();
    const out = await api.send('cloudwatch', 'GetMetricData', {
      StartTime: new Date(end - 10 * MINUTE),
      EndTime: new Date(end),
      MetricDataQueries: [
        {
          Id: 'lag',
          MetricStat: {
            Metric: {
              Namespace: 'AWS/RDS',
              MetricName: 'RDSToAuroraPostgreSQLReplicaLag',
              Dimensions: [{ Name: 'DBInstanceIdentifier', Value: 'orders-aurora-1' }],
            },
            Period: 60,
            Stat: 'Maximum',
          },
        },
      ],
    });
    const times: number[] = out.MetricDataResults[0].Timestamps.map((t: Date) => t.getTime());
    expect(times.length).toBeGreaterThanOrEqual(5);
    for (const t of times) {
      expect(t).toBeGreaterThanOrEqual(end - 11 * MINUTE);
      expect(t).toBeLessThanOrEqual(end);
    }
    for (let i = 1; i < times.length; i++) expect(times[i - 1] - times[i]).toBe(MINUTE);
    expect(out.MetricDataResults[0].Values[0]).toBe(0); // caught up by now on the stand-in's clock
    api.destroy();
  });
});
