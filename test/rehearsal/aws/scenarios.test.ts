// The AWS procedures the steps automate, end to end on the stand-in through the real clients, with a
// poll loop on the manual clock the way the steps poll (no wall-time sleeping).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MINUTE } from '../../../rehearsal/aws/index.js';
import { standinFixture, SOURCE, type Fixture } from './standin-fixture.js';

let f: Fixture;
beforeEach(async () => {
  f = await standinFixture({
    startTime: Date.parse('2026-11-02T08:00:00Z'),
    durations: { lagCatchUp: 45 * MINUTE },
    seed: { instances: [{ id: SOURCE, engineVersion: '16.4', allocatedStorageGiB: 500 }] },
  });
});
afterEach(() => f.close());

/** Advances the clock a minute at a time until `check` holds; returns the minutes it took. */
async function pollUntil(check: () => Promise<boolean>, limitMinutes = 600): Promise<number> {
  for (let m = 0; m <= limitMinutes; m++) {
    if (await check()) return m;
    f.aws.clock.advance(MINUTE);
  }
  throw new Error(`not done after ${limitMinutes} stand-in minutes`);
}

const lagQuery = (instance: string) => ({
  Id: 'lag',
  MetricStat: {
    Metric: {
      Namespace: 'AWS/RDS',
      MetricName: 'RDSToAuroraPostgreSQLReplicaLag',
      Dimensions: [{ Name: 'DBInstanceIdentifier', Value: instance }],
    },
    Period: 60,
    Stat: 'Maximum',
  },
});

describe('replica route', () => {
  it('replica created, lag falls to 0 for 5 consecutive minutes, promote, standalone', async () => {
    const sourceArn = (await f.rds('DescribeDBInstances', { DBInstanceIdentifier: SOURCE })).DBInstances[0]
      .DBInstanceArn;
    await f.rds('CreateDBCluster', {
      DBClusterIdentifier: 'orders-aurora',
      Engine: 'aurora-postgresql',
      ReplicationSourceIdentifier: sourceArn,
    });
    await f.rds('CreateDBInstance', {
      DBClusterIdentifier: 'orders-aurora',
      DBInstanceIdentifier: 'orders-aurora-1',
      DBInstanceClass: 'db.r6g.large',
      Engine: 'aurora-postgresql',
    });
    const tookToAvailable = await pollUntil(async () => {
      const c = (await f.rds('DescribeDBClusters', { DBClusterIdentifier: 'orders-aurora' })).DBClusters[0];
      const i = (await f.rds('DescribeDBInstances', { DBInstanceIdentifier: 'orders-aurora-1' })).DBInstances[0];
      return c.Status === 'available' && i.DBInstanceStatus === 'available';
    });
    expect(tookToAvailable).toBeGreaterThanOrEqual(12);

    const seen: number[] = [];
    const tookToCatchUp = await pollUntil(async () => {
      const now = f.aws.clock.now();
      const out = await f.api.send('cloudwatch', 'GetMetricData', {
        StartTime: new Date(now - 10 * MINUTE),
        EndTime: new Date(now),
        MetricDataQueries: [lagQuery('orders-aurora-1')],
      });
      const values: number[] = out.MetricDataResults[0].Values;
      if (values.length) seen.push(values[0]!);
      return values.length >= 5 && values.slice(0, 5).every((v) => v <= 0);
    });
    expect(seen[0]).toBeGreaterThan(1000);
    expect(tookToCatchUp).toBeGreaterThanOrEqual(45);
    expect(seen.every((v, i) => i === 0 || v <= seen[i - 1]!)).toBe(true);

    await f.rds('PromoteReadReplicaDBCluster', { DBClusterIdentifier: 'orders-aurora' });
    await pollUntil(async () => {
      const c = (await f.rds('DescribeDBClusters', { DBClusterIdentifier: 'orders-aurora' })).DBClusters[0];
      return c.Status === 'available' && c.ReplicationSourceIdentifier === undefined;
    });
    const events = await f.rds('DescribeEvents', { SourceIdentifier: 'orders-aurora', SourceType: 'db-cluster' });
    expect(
      events.Events.some((e: any) => /promoted read replica cluster to stand-alone database cluster/i.test(e.Message)),
    ).toBe(true);
    expect(f.aws.calls.count('PromoteReadReplicaDBCluster')).toBe(1);
    expect(f.aws.calls.count('CreateDBCluster')).toBe(1);
  });
});

describe('snapshot route', () => {
  it('fresh snapshot → restore by ARN → instance → available', async () => {
    await f.rds('CreateDBSnapshot', { DBInstanceIdentifier: SOURCE, DBSnapshotIdentifier: 'orders-pre-aurora' });
    let snapshotArn = '';
    await pollUntil(async () => {
      const s = (await f.rds('DescribeDBSnapshots', { DBSnapshotIdentifier: 'orders-pre-aurora' })).DBSnapshots[0];
      snapshotArn = s.DBSnapshotArn;
      return s.Status === 'available';
    });
    await f.rds('RestoreDBClusterFromSnapshot', {
      DBClusterIdentifier: 'orders-aurora',
      SnapshotIdentifier: snapshotArn,
      Engine: 'aurora-postgresql',
      EngineVersion: '16.4',
    });
    await f.rds('CreateDBInstance', {
      DBClusterIdentifier: 'orders-aurora',
      DBInstanceIdentifier: 'orders-aurora-1',
      DBInstanceClass: 'db.r6g.large',
      Engine: 'aurora-postgresql',
    });
    await pollUntil(
      async () =>
        (await f.rds('DescribeDBInstances', { DBInstanceIdentifier: 'orders-aurora-1' })).DBInstances[0]
          .DBInstanceStatus === 'available',
    );
    const c = (await f.rds('DescribeDBClusters', { DBClusterIdentifier: 'orders-aurora' })).DBClusters[0];
    expect(c).toMatchObject({
      Status: 'available',
      DBClusterMembers: [expect.objectContaining({ DBInstanceIdentifier: 'orders-aurora-1', IsClusterWriter: true })],
    });
    expect(c.ReplicationSourceIdentifier).toBeUndefined();
  });
});

describe('cluster export', () => {
  it('completes with a warning that lists skipped tables', async () => {
    await f.rds('CreateDBCluster', {
      DBClusterIdentifier: 'orders-aurora',
      Engine: 'aurora-postgresql',
      MasterUsername: 'postgres',
      ManageMasterUserPassword: true,
    });
    await pollUntil(
      async () =>
        (await f.rds('DescribeDBClusters', { DBClusterIdentifier: 'orders-aurora' })).DBClusters[0].Status ===
        'available',
    );
    f.aws.setExportOutcome({
      kind: 'complete',
      totalExtractedDataInGB: 7,
      warningMessage: 'Skipped tables: public.sessions_tmp (temporary), public."odd/name" (name contains /).',
    });
    await f.rds('StartExportTask', {
      ExportTaskIdentifier: 'orders-nightly-1',
      SourceArn: f.aws.arn('cluster', 'orders-aurora'),
      S3BucketName: 'orders-exports',
      IamRoleArn: 'arn:aws:iam::111122223333:role/rds-export',
      KmsKeyId: 'arn:aws:kms:us-east-1:111122223333:key/k',
      ExportOnly: ['orders'],
    });
    const statuses = new Set<string>();
    await pollUntil(async () => {
      const t = (await f.rds('DescribeExportTasks', { ExportTaskIdentifier: 'orders-nightly-1' })).ExportTasks[0];
      statuses.add(t.Status);
      return t.Status === 'COMPLETE' || t.Status === 'FAILED';
    });
    expect([...statuses]).toEqual(['STARTING', 'IN_PROGRESS', 'COMPLETE']);
    const t = (await f.rds('DescribeExportTasks', { ExportTaskIdentifier: 'orders-nightly-1' })).ExportTasks[0];
    expect(t).toMatchObject({ TotalExtractedDataInGB: 7, PercentProgress: 100 });
    expect(t.WarningMessage).toMatch(/sessions_tmp.*odd\/name/);
  });
});
