// Faults and call counts, seen through the real SDK clients: throttling is retried by the standard
// retry mode (and, when it never stops, ends as AwsCallError with a clear message); injected
// failures carry the named exception; counts pin how often each call was sent.
import { afterEach, describe, expect, it } from 'vitest';
import { standinFixture, SOURCE, type Fixture } from './standin-fixture.js';
import { AwsCallError } from '../../../src/aws/errors.js';

let f: Fixture | undefined;
afterEach(async () => {
  await f?.close();
  f = undefined;
});

describe('throttling', () => {
  it('is retried by the SDK: every call succeeds although ~30% of requests are throttled', async () => {
    f = await standinFixture({ faults: { seed: 7, throttle: { rate: 0.3, services: ['rds'] } } }, 10);
    for (let i = 0; i < 8; i++) {
      const out = await f.rds('DescribeDBInstances', { DBInstanceIdentifier: SOURCE });
      expect(out.DBInstances[0].DBInstanceIdentifier).toBe(SOURCE);
    }
    const records = f.aws.calls.filter('DescribeDBInstances');
    const throttled = records.filter((r) => r.outcome === 'Throttling').length;
    expect(throttled).toBeGreaterThan(0);
    expect(records.length).toBe(8 + throttled);
    expect(f.aws.calls.succeeded('DescribeDBInstances')).toBe(8);
  });

  it('is repeatable: the same seed throttles the same requests', async () => {
    const outcomes = async () => {
      const fx = await standinFixture({ faults: { seed: 42, throttle: { rate: 0.3 } } }, 10);
      for (let i = 0; i < 5; i++) await fx.rds('DescribeDBInstances', { DBInstanceIdentifier: SOURCE });
      const list = fx.aws.calls.records.map((r) => r.outcome);
      await fx.close();
      return list;
    };
    const first = await outcomes();
    expect(first).toContain('Throttling');
    expect(await outcomes()).toEqual(first);
  });

  it('ends as AwsCallError Throttling with the attempt count and a try-later remedy when it never stops', async () => {
    f = await standinFixture({ faults: { throttle: { rate: 1, operations: ['DescribeDBClusters'] } } }, 2);
    const err = await f.rdsError('DescribeDBClusters', { DBClusterIdentifier: 'orders-aurora' });
    expect(err).toBeInstanceOf(AwsCallError);
    expect(err.code).toBe('Throttling');
    expect(err.httpStatus).toBe(400);
    expect(err.attempts).toBe(2);
    expect(err.message).toBe(
      'RDS DescribeDBClusters for orders-aurora (us-east-1) failed after 2 attempts: Throttling: Rate exceeded. ' +
        "AWS kept rate-limiting the call even after the SDK's retries: other tools in this account are probably calling the RDS API heavily. " +
        'Wait a few minutes and run the command again (it resumes where it stopped).',
    );
    expect(f.aws.calls.count('DescribeDBClusters')).toBe(2);
  });

  it('S3 throttling is SlowDown (503), also retried', async () => {
    f = await standinFixture(
      { seed: { buckets: ['b-one'] }, faults: { seed: 3, throttle: { rate: 0.3, services: ['s3'] } } },
      10,
    );
    for (let i = 0; i < 5; i++) await f.api.send('s3', 'PutObject', { Bucket: 'b-one', Key: `k${i}`, Body: 'x' });
    expect(f.aws.calls.filter('PutObject').some((r) => r.outcome === 'SlowDown')).toBe(true);
    expect(f.aws.calls.succeeded('PutObject')).toBe(5);
  });
});

describe('injected failures', () => {
  it('fail an operation N times with a named error, then work again', async () => {
    f = await standinFixture({}, 3);
    f.aws.faults.fail({
      operation: 'CreateDBSnapshot',
      code: 'InvalidDBInstanceStateFault',
      times: 2,
      message: 'DB instance orders-pg is being modified.',
    });
    const first = await f.rdsError('CreateDBSnapshot', { DBInstanceIdentifier: SOURCE, DBSnapshotIdentifier: 's1' });
    expect(first.code).toBe('InvalidDBInstanceStateFault');
    expect(first.message).toMatch(/is being modified/);
    expect(first.message).toMatch(/wait until it is available/);
    expect(
      (await f.rdsError('CreateDBSnapshot', { DBInstanceIdentifier: SOURCE, DBSnapshotIdentifier: 's1' })).code,
    ).toBe('InvalidDBInstanceStateFault');
    const ok = await f.rds('CreateDBSnapshot', { DBInstanceIdentifier: SOURCE, DBSnapshotIdentifier: 's1' });
    expect(ok.DBSnapshot.Status).toBe('creating');
    expect(f.aws.calls.count('CreateDBSnapshot', 's1')).toBe(3);
    expect(f.aws.calls.succeeded('CreateDBSnapshot', 's1')).toBe(1);
  });

  it('AccessDenied names the IAM action to grant', async () => {
    f = await standinFixture({}, 3);
    f.aws.faults.fail({
      operation: 'PromoteReadReplicaDBCluster',
      code: 'AccessDenied',
      message: 'User is not authorized to perform: rds:PromoteReadReplicaDBCluster',
    });
    const err = await f.rdsError('PromoteReadReplicaDBCluster', { DBClusterIdentifier: 'orders-aurora' });
    expect(err.code).toBe('AccessDenied');
    expect(err.httpStatus).toBe(403);
    expect(err.message).toMatch(/grant rds:PromoteReadReplicaDBCluster to the IAM user or role/);
  });

  it('a CloudWatch failure uses the JSON error format and reaches the SDK by name', async () => {
    f = await standinFixture({}, 3);
    f.aws.faults.fail({ operation: 'GetMetricData', code: 'AccessDenied', status: 403 });
    const now = f.aws.clock.now();
    const err = await f.api
      .send('cloudwatch', 'GetMetricData', {
        StartTime: new Date(now - 600_000),
        EndTime: new Date(now),
        MetricDataQueries: [
          {
            Id: 'a',
            MetricStat: {
              Metric: { Namespace: 'AWS/RDS', MetricName: 'FreeStorageSpace' },
              Period: 60,
              Stat: 'Average',
            },
          },
        ],
      })
      .catch((e) => e);
    expect(err.code).toBe('AccessDenied');
    expect(err.message).toMatch(/grant cloudwatch:GetMetricData/);
  });
});

describe('call counts', () => {
  it('count per operation and per resource, across services', async () => {
    f = await standinFixture({ seed: { buckets: ['b-two'] } }, 3);
    await f.rds('DescribeDBInstances', { DBInstanceIdentifier: SOURCE });
    await f.rds('DescribeDBInstances', { DBInstanceIdentifier: 'ORDERS-PG' });
    await f.rdsError('DescribeDBClusters', { DBClusterIdentifier: 'x' });
    await f.api.send('s3', 'ListObjectsV2', { Bucket: 'b-two' });
    expect(f.aws.calls.byOperation()).toEqual({ DescribeDBInstances: 2, DescribeDBClusters: 1, ListObjectsV2: 1 });
    expect(f.aws.calls.byResource()).toEqual({
      [`DescribeDBInstances ${SOURCE}`]: 2,
      'DescribeDBClusters x': 1,
      'ListObjectsV2 b-two': 1,
    });
    expect(f.aws.calls.filter('DescribeDBClusters')[0]!.outcome).toBe('DBClusterNotFoundFault');
  });
});
