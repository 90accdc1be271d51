// Snapshot route, role association and cluster exports through the real RDS client.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MINUTE } from '../../../rehearsal/aws/index.js';
import { standinFixture, SOURCE, type Fixture } from './standin-fixture.js';

let f: Fixture;
beforeEach(async () => {
  f = await standinFixture({
    durations: {
      snapshotCreate: 5 * MINUTE,
      clusterCreating: 10 * MINUTE,
      clusterBackingUp: 2 * MINUTE,
      roleActivate: MINUTE,
      exportStarting: 2 * MINUTE,
      exportRun: 20 * MINUTE,
    },
  });
});
afterEach(() => f.close());

const snapshot = async (id: string) =>
  (await f.rds('DescribeDBSnapshots', { DBSnapshotIdentifier: id })).DBSnapshots[0];
const cluster = async (id: string) => (await f.rds('DescribeDBClusters', { DBClusterIdentifier: id })).DBClusters[0];

async function availableCluster(id = 'orders-aurora') {
  await f.rds('CreateDBSnapshot', { DBInstanceIdentifier: SOURCE, DBSnapshotIdentifier: `${id}-snap` });
  f.aws.clock.advance(5 * MINUTE);
  await f.rds('RestoreDBClusterFromSnapshot', {
    DBClusterIdentifier: id,
    SnapshotIdentifier: f.aws.arn('snapshot', `${id}-snap`),
    Engine: 'aurora-postgresql',
  });
  f.aws.clock.advance(12 * MINUTE);
  return f.aws.arn('cluster', id);
}

describe('snapshot route', () => {
  it('CreateDBSnapshot: creating → available with PercentProgress; the same id again is DBSnapshotAlreadyExistsFault', async () => {
    const out = await f.rds('CreateDBSnapshot', {
      DBInstanceIdentifier: SOURCE,
      DBSnapshotIdentifier: 'pre-migration',
      Tags: [{ Key: 'k', Value: 'v' }],
    });
    expect(out.DBSnapshot).toMatchObject({
      DBSnapshotIdentifier: 'pre-migration',
      Status: 'creating',
      DBInstanceIdentifier: SOURCE,
      EngineVersion: '16.4',
    });
    f.aws.clock.advance(2.5 * MINUTE);
    expect(await snapshot('pre-migration')).toMatchObject({ Status: 'creating', PercentProgress: 50 });
    f.aws.clock.advance(2.5 * MINUTE);
    const s = await snapshot('pre-migration');
    expect(s).toMatchObject({
      Status: 'available',
      PercentProgress: 100,
      DBSnapshotArn: f.aws.arn('snapshot', 'pre-migration'),
      TagList: [{ Key: 'k', Value: 'v' }],
    });
    expect(
      (await f.rdsError('CreateDBSnapshot', { DBInstanceIdentifier: SOURCE, DBSnapshotIdentifier: 'pre-migration' }))
        .code,
    ).toBe('DBSnapshotAlreadyExistsFault');
    expect(
      (await f.rdsError('CreateDBSnapshot', { DBInstanceIdentifier: 'ghost', DBSnapshotIdentifier: 'x' })).code,
    ).toBe('DBInstanceNotFoundFault');
  });

  it('RestoreDBClusterFromSnapshot needs the snapshot ARN and an available snapshot, then goes creating → backing-up → available', async () => {
    await f.rds('CreateDBSnapshot', { DBInstanceIdentifier: SOURCE, DBSnapshotIdentifier: 'snap-1' });
    const byName = await f.rdsError('RestoreDBClusterFromSnapshot', {
      DBClusterIdentifier: 'restored',
      SnapshotIdentifier: 'snap-1',
      Engine: 'aurora-postgresql',
    });
    expect(byName.code).toBe('DBClusterSnapshotNotFoundFault');
    const notYet = await f.rdsError('RestoreDBClusterFromSnapshot', {
      DBClusterIdentifier: 'restored',
      SnapshotIdentifier: f.aws.arn('snapshot', 'snap-1'),
      Engine: 'aurora-postgresql',
    });
    expect(notYet.code).toBe('InvalidDBSnapshotStateFault');
    f.aws.clock.advance(5 * MINUTE);
    const older = await f.rdsError('RestoreDBClusterFromSnapshot', {
      DBClusterIdentifier: 'restored',
      SnapshotIdentifier: f.aws.arn('snapshot', 'snap-1'),
      Engine: 'aurora-postgresql',
      EngineVersion: '16.1',
    });
    expect(older.code).toBe('InvalidParameterCombination');
    const out = await f.rds('RestoreDBClusterFromSnapshot', {
      DBClusterIdentifier: 'restored',
      SnapshotIdentifier: f.aws.arn('snapshot', 'snap-1'),
      Engine: 'aurora-postgresql',
      EngineVersion: '16.6',
    });
    expect(out.DBCluster).toMatchObject({ Status: 'creating', EngineVersion: '16.6' });
    expect(out.DBCluster.ReplicationSourceIdentifier).toBeUndefined();
    f.aws.clock.advance(10 * MINUTE);
    expect((await cluster('restored')).Status).toBe('backing-up');
    f.aws.clock.advance(2 * MINUTE);
    expect((await cluster('restored')).Status).toBe('available');
    const missing = await f.rdsError('RestoreDBClusterFromSnapshot', {
      DBClusterIdentifier: 'r2',
      SnapshotIdentifier: f.aws.arn('snapshot', 'ghost'),
      Engine: 'aurora-postgresql',
    });
    expect(missing.code).toBe('DBSnapshotNotFoundFault');
  });

  it('an encrypted source gives an encrypted snapshot and cluster', async () => {
    f.aws.seed({ instances: [{ id: 'secure-pg', storageEncrypted: true }] });
    await f.rds('CreateDBSnapshot', { DBInstanceIdentifier: 'secure-pg', DBSnapshotIdentifier: 'secure-snap' });
    f.aws.clock.advance(5 * MINUTE);
    expect((await snapshot('secure-snap')).Encrypted).toBe(true);
    const out = await f.rds('RestoreDBClusterFromSnapshot', {
      DBClusterIdentifier: 'secure',
      SnapshotIdentifier: f.aws.arn('snapshot', 'secure-snap'),
      Engine: 'aurora-postgresql',
    });
    expect(out.DBCluster.StorageEncrypted).toBe(true);
  });
});

describe('AddRoleToDBCluster', () => {
  it('associates a role PENDING → ACTIVE; the same role again is DBClusterRoleAlreadyExistsFault', async () => {
    await availableCluster();
    const role = 'arn:aws:iam::111122223333:role/rds-s3-import';
    await f.rds('AddRoleToDBCluster', { DBClusterIdentifier: 'orders-aurora', RoleArn: role, FeatureName: 's3Import' });
    expect((await cluster('orders-aurora')).AssociatedRoles).toEqual([
      { RoleArn: role, Status: 'PENDING', FeatureName: 's3Import' },
    ]);
    f.aws.clock.advance(MINUTE);
    expect((await cluster('orders-aurora')).AssociatedRoles[0].Status).toBe('ACTIVE');
    expect(
      (
        await f.rdsError('AddRoleToDBCluster', {
          DBClusterIdentifier: 'orders-aurora',
          RoleArn: role,
          FeatureName: 's3Import',
        })
      ).code,
    ).toBe('DBClusterRoleAlreadyExistsFault');
    expect(
      (await f.rdsError('AddRoleToDBCluster', { DBClusterIdentifier: 'ghost', RoleArn: role, FeatureName: 's3Import' }))
        .code,
    ).toBe('DBClusterNotFoundFault');
  });
});

describe('StartExportTask / DescribeExportTasks', () => {
  const exportInput = (id: string, sourceArn: string, extra: Record<string, unknown> = {}) => ({
    ExportTaskIdentifier: id,
    SourceArn: sourceArn,
    S3BucketName: 'orders-exports',
    S3Prefix: 'nightly',
    IamRoleArn: 'arn:aws:iam::111122223333:role/rds-export',
    KmsKeyId: 'arn:aws:kms:us-east-1:111122223333:key/abc',
    ...extra,
  });
  const task = async (id: string) => (await f.rds('DescribeExportTasks', { ExportTaskIdentifier: id })).ExportTasks[0];

  it('STARTING → IN_PROGRESS (rising PercentProgress) → COMPLETE with size and a warning about skipped tables', async () => {
    const arn = await availableCluster();
    f.aws.setExportOutcome({
      kind: 'complete',
      totalExtractedDataInGB: 42,
      warningMessage: 'The following tables were skipped: public.tmp_sessions (unlogged table).',
    });
    const started = await f.rds(
      'StartExportTask',
      exportInput('orders-export-1', arn, { ExportOnly: ['orders.public.events', 'orders'] }),
    );
    expect(started).toMatchObject({
      ExportTaskIdentifier: 'orders-export-1',
      Status: 'STARTING',
      SourceArn: arn,
      S3Bucket: 'orders-exports',
      ExportOnly: ['orders.public.events', 'orders'],
      SourceType: 'CLUSTER',
    });
    f.aws.clock.advance(2 * MINUTE + 5 * MINUTE);
    const p1 = await task('orders-export-1');
    f.aws.clock.advance(10 * MINUTE);
    const p2 = await task('orders-export-1');
    expect(p1.Status).toBe('IN_PROGRESS');
    expect(p2.Status).toBe('IN_PROGRESS');
    expect(p2.PercentProgress).toBeGreaterThan(p1.PercentProgress);
    f.aws.clock.advance(5 * MINUTE);
    const done = await task('orders-export-1');
    expect(done).toMatchObject({ Status: 'COMPLETE', PercentProgress: 100, TotalExtractedDataInGB: 42 });
    expect(done.WarningMessage).toMatch(/skipped: public\.tmp_sessions/);
  });

  it('FAILED with FailureCause', async () => {
    const arn = await availableCluster();
    f.aws.setExportOutcome({ kind: 'failed', failureCause: 'The IAM role does not have access to the S3 bucket.' });
    await f.rds('StartExportTask', exportInput('bad-export', arn));
    f.aws.clock.advance(22 * MINUTE);
    expect(await task('bad-export')).toMatchObject({
      Status: 'FAILED',
      FailureCause: 'The IAM role does not have access to the S3 bucket.',
    });
  });

  it('reusing an id is ExportTaskAlreadyExistsFault; one running export per source; bad ExportOnly is InvalidExportOnlyFault', async () => {
    const arn = await availableCluster();
    await f.rds('StartExportTask', exportInput('exp-a', arn));
    expect((await f.rdsError('StartExportTask', exportInput('exp-a', arn))).code).toBe('ExportTaskAlreadyExistsFault');
    const second = await f.rdsError('StartExportTask', exportInput('exp-b', arn));
    expect(second.code).toBe('InvalidExportSourceStateFault');
    expect(second.message).toMatch(/one export per source/);
    f.aws.clock.advance(22 * MINUTE);
    await f.rds('StartExportTask', exportInput('exp-b', arn));
    expect(
      (await f.rdsError('StartExportTask', exportInput('exp-c', arn, { ExportOnly: ['orders.public.my-table'] }))).code,
    ).toBe('InvalidExportOnlyFault');
    expect((await f.rdsError('DescribeExportTasks', { ExportTaskIdentifier: 'ghost' })).code).toBe(
      'ExportTaskNotFoundFault',
    );
    expect((await f.rdsError('StartExportTask', exportInput('exp-d', f.aws.arn('cluster', 'ghost')))).code).toBe(
      'DBClusterNotFoundFault',
    );
  });
});

describe('CopyDBSnapshot', () => {
  it('copies a snapshot from another region (by ARN) into the stand-in region: creating → available', async () => {
    f.aws.seed({ snapshots: [{ id: 'nightly', instanceId: 'far-pg', region: 'eu-west-1', engineVersion: '16.2' }] });
    const source = 'arn:aws:rds:eu-west-1:111122223333:snapshot:nightly';
    const out = await f.rds('CopyDBSnapshot', {
      SourceDBSnapshotIdentifier: source,
      TargetDBSnapshotIdentifier: 'nightly-copy',
      SourceRegion: 'eu-west-1',
    });
    expect(out.DBSnapshot).toMatchObject({
      DBSnapshotIdentifier: 'nightly-copy',
      Status: 'creating',
      EngineVersion: '16.2',
      SourceRegion: 'eu-west-1',
      SourceDBSnapshotIdentifier: source,
    });
    f.aws.clock.advance(5 * MINUTE);
    expect((await snapshot('nightly-copy')).Status).toBe('available');
    expect(
      (
        await f.rdsError('CopyDBSnapshot', {
          SourceDBSnapshotIdentifier: source,
          TargetDBSnapshotIdentifier: 'nightly-copy',
          SourceRegion: 'eu-west-1',
        })
      ).code,
    ).toBe('DBSnapshotAlreadyExistsFault');
    expect(
      (
        await f.rdsError('CopyDBSnapshot', {
          SourceDBSnapshotIdentifier: 'arn:aws:rds:eu-west-1:111122223333:snapshot:ghost',
          TargetDBSnapshotIdentifier: 'x',
          SourceRegion: 'eu-west-1',
        })
      ).code,
    ).toBe('DBSnapshotNotFoundFault');
  });

  it('an encrypted snapshot from another region needs KmsKeyId', async () => {
    f.aws.seed({
      snapshots: [
        {
          id: 'enc',
          instanceId: 'far-pg',
          region: 'eu-west-1',
          storageEncrypted: true,
          kmsKeyId: 'arn:aws:kms:eu-west-1:111122223333:key/eu',
        },
      ],
    });
    const source = 'arn:aws:rds:eu-west-1:111122223333:snapshot:enc';
    const err = await f.rdsError('CopyDBSnapshot', {
      SourceDBSnapshotIdentifier: source,
      TargetDBSnapshotIdentifier: 'enc-copy',
      SourceRegion: 'eu-west-1',
    });
    expect(err.code).toBe('InvalidParameterCombination');
    const ok = await f.rds('CopyDBSnapshot', {
      SourceDBSnapshotIdentifier: source,
      TargetDBSnapshotIdentifier: 'enc-copy',
      SourceRegion: 'eu-west-1',
      KmsKeyId: 'arn:aws:kms:us-east-1:111122223333:key/us',
    });
    expect(ok.DBSnapshot).toMatchObject({ Encrypted: true, KmsKeyId: 'arn:aws:kms:us-east-1:111122223333:key/us' });
  });
});
