// snapshot-migrate against the stand-in: fresh snapshot or given snapshot → restore by ARN → instance.
import { afterEach, describe, expect, it } from 'vitest';
import { snapshotMigrate, needsCopy } from '../../../src/steps/snapshot-migrate/run.js';
import { count, mutating, runStep } from '../support/run-step.js';
import { CLUSTER, INSTANCE, SOURCE, stepStandin, type StepStandin } from '../support/standin.js';
import type { AwsApi } from '../../../src/aws/api.js';

let s: StepStandin;
afterEach(async () => s?.close());

const spec = (extra: Record<string, unknown> = {}) => ({
  id: 'migrate',
  type: 'snapshot-migrate',
  source: SOURCE,
  cluster: CLUSTER,
  instance: { class: 'db.r6g.large' },
  tags: { team: 'orders' },
  ...extra,
});
const SNAP_ID = 'orders-migrate-7f3a9c21';

describe('snapshot-migrate', () => {
  it('snapshots the source, restores the cluster from the snapshot ARN, adds an instance, waits for both', async () => {
    s = await stepStandin();
    const r = await s.run(snapshotMigrate, spec());
    expect(r.error).toBeUndefined();
    expect(mutating(r.calls)).toEqual(['CreateDBSnapshot', 'RestoreDBClusterFromSnapshot', 'CreateDBInstance']);
    expect(r.calls.find((c) => c.operation === 'CreateDBSnapshot')!.input).toMatchObject({
      DBInstanceIdentifier: SOURCE,
      DBSnapshotIdentifier: SNAP_ID,
    });
    expect(r.calls.find((c) => c.operation === 'RestoreDBClusterFromSnapshot')!.input).toMatchObject({
      DBClusterIdentifier: CLUSTER,
      SnapshotIdentifier: s.aws.arn('snapshot', SNAP_ID),
      Engine: 'aurora-postgresql',
      EngineVersion: '16.4',
      Tags: expect.arrayContaining([
        { Key: 'aurora-migrate:step', Value: 'migrate' },
        { Key: 'team', Value: 'orders' },
      ]),
    });
    expect(r.outputs).toMatchObject({
      snapshotArn: s.aws.arn('snapshot', SNAP_ID),
      clusterId: CLUSTER,
      instanceId: INSTANCE,
      clusterArn: s.aws.arn('cluster', CLUSTER),
    });
    expect(r.progress.some((p) => /snapshot orders-migrate-7f3a9c21: creating \d+%/.test(p))).toBe(true);
  });

  it('restores a given snapshot id by its ARN, with the instance id given', async () => {
    s = await stepStandin({
      seed: {
        instances: [{ id: SOURCE, engineVersion: '15.6' }],
        snapshots: [{ id: 'orders-final', instanceId: SOURCE }],
      },
    });
    const r = await s.run(
      snapshotMigrate,
      spec({
        source: undefined,
        snapshot: 'orders-final',
        engineVersion: '15.8',
        instance: { class: 'db.r6g.large', id: 'orders-w1' },
      }),
    );
    expect(r.error).toBeUndefined();
    expect(mutating(r.calls)).toEqual(['RestoreDBClusterFromSnapshot', 'CreateDBInstance']);
    expect(r.calls.find((c) => c.operation === 'RestoreDBClusterFromSnapshot')!.input).toMatchObject({
      SnapshotIdentifier: s.aws.arn('snapshot', 'orders-final'),
      EngineVersion: '15.8',
    });
    expect(r.outputs).toMatchObject({ instanceId: 'orders-w1', snapshotArn: s.aws.arn('snapshot', 'orders-final') });
  });

  it('refuses an Aurora version lower than the snapshot before restoring', async () => {
    s = await stepStandin({
      seed: {
        instances: [{ id: SOURCE, engineVersion: '16.4' }],
        snapshots: [{ id: 'orders-final', instanceId: SOURCE }],
      },
    });
    const r = await s.run(
      snapshotMigrate,
      spec({ source: undefined, snapshot: 'orders-final', engineVersion: '16.1' }),
    );
    expect(r.error?.message).toMatch(/16.1 is lower than the source's 16.4; .* \(snapshot orders-final\)/);
    expect(mutating(r.calls)).toEqual([]);
  });

  // Checkpoints: 1 CreateDBSnapshot sent, 2 snapshot available, 3 Restore sent, 4 CreateDBInstance sent, 5 available.
  for (const crash of [
    { crashAfterCheckpoint: 1 },
    { crashAfterSend: 'CreateDBSnapshot' },
    { crashAfterCheckpoint: 2 },
    { crashAfterCheckpoint: 3 },
    { crashAfterSend: 'RestoreDBClusterFromSnapshot' },
    { crashAfterCheckpoint: 4 },
    { crashAfterSend: 'CreateDBInstance' },
    { crashAfterCheckpoint: 5 },
  ]) {
    it(`converges after a crash ${JSON.stringify(crash)}`, async () => {
      s = await stepStandin();
      const first = await s.run(snapshotMigrate, spec(), crash);
      expect(first.error?.message).toMatch(/simulated crash/);
      const second = await s.run(snapshotMigrate, spec(), { checkpoint: first.checkpoint, attempt: 2 });
      expect(second.error).toBeUndefined();
      expect(second.outputs).toMatchObject({ snapshotArn: s.aws.arn('snapshot', SNAP_ID), clusterId: CLUSTER });
      for (const op of ['CreateDBSnapshot', 'RestoreDBClusterFromSnapshot', 'CreateDBInstance'])
        expect(s.aws.calls.count(op)).toBe(1);
    });
  }

  it('does not adopt a same-named snapshot that is not its own', async () => {
    s = await stepStandin({ seed: { instances: [{ id: SOURCE }], snapshots: [{ id: SNAP_ID, instanceId: SOURCE }] } });
    const r = await s.run(snapshotMigrate, spec());
    expect(r.error?.message).toMatch(
      /DB snapshot orders-migrate-7f3a9c21 already exists and was not created by this step/,
    );
    expect(mutating(r.calls)).toEqual([]);
  });
});

describe('snapshot-migrate: a snapshot from another region', () => {
  const foreign = 'arn:aws:rds:eu-west-1:111122223333:snapshot:orders-eu';
  it('is copied only when its region differs from the plan region', () => {
    expect(needsCopy(foreign, 'us-east-1')).toEqual({ arn: foreign, region: 'eu-west-1' });
    expect(needsCopy(foreign, 'eu-west-1')).toBeUndefined();
    expect(needsCopy('orders-eu', 'us-east-1')).toBeUndefined();
  });

  // The stand-in has one region, so the copy path uses a command-level double that answers by region.
  function regionalDouble(encrypted: boolean) {
    const sent: Array<{ op: string; input: any; region?: string }> = [];
    let copied = false;
    const aws: AwsApi = {
      async send(_service: string, op: string, input: any, options?: { region?: string }): Promise<any> {
        sent.push({ op, input, region: options?.region });
        const snap = (id: string, arn: string) => ({
          DBSnapshots: [
            {
              DBSnapshotIdentifier: id,
              DBSnapshotArn: arn,
              Status: 'available',
              Engine: 'postgres',
              EngineVersion: '16.4',
              Encrypted: encrypted,
              TagList: [
                { Key: 'aurora-migrate:plan', Value: 'orders' },
                { Key: 'aurora-migrate:step', Value: 'migrate' },
              ],
            },
          ],
        });
        if (op === 'DescribeDBSnapshots' && input.DBSnapshotIdentifier === foreign) return snap('orders-eu', foreign);
        if (op === 'DescribeDBSnapshots') {
          if (!copied) throw Object.assign(new Error('not found'), { code: 'DBSnapshotNotFoundFault' });
          return snap(
            input.DBSnapshotIdentifier,
            `arn:aws:rds:us-east-1:111122223333:snapshot:${input.DBSnapshotIdentifier}`,
          );
        }
        if (op === 'DescribeDBClusters')
          throw Object.assign(new Error('not found'), { code: 'DBClusterNotFoundFault' });
        if (op === 'CopyDBSnapshot') {
          copied = true;
          return {};
        }
        throw Object.assign(new Error('stop here'), { code: 'StopHere' });
      },
    };
    return { aws, sent };
  }

  it('refuses an encrypted one without kmsKeyId, naming the fix', async () => {
    const d = regionalDouble(true);
    const r = await runStep(snapshotMigrate, spec({ source: undefined, snapshot: foreign }), {
      aws: d.aws,
      clock: { now: () => 0, advance: () => {} },
      region: 'us-east-1',
    });
    expect(r.error?.message).toMatch(
      /encrypted and lives in eu-west-1; copying it into us-east-1 needs a KMS key of us-east-1. Set "kmsKeyId"/,
    );
    expect(d.sent.map((x) => x.op)).toEqual(['DescribeDBSnapshots']);
    expect(d.sent[0].region).toBe('eu-west-1');
  });

  it('copies it into the plan region with the KMS key, then restores from the copy', async () => {
    const d = regionalDouble(true);
    const r = await runStep(
      snapshotMigrate,
      spec({ source: undefined, snapshot: foreign, kmsKeyId: 'alias/orders-us' }),
      { aws: d.aws, clock: { now: () => 0, advance: () => {} }, region: 'us-east-1' },
    );
    const copy = d.sent.find((x) => x.op === 'CopyDBSnapshot')!;
    expect(copy.input).toMatchObject({
      SourceDBSnapshotIdentifier: foreign,
      TargetDBSnapshotIdentifier: 'orders-migrate-copy-7f3a9c21',
      SourceRegion: 'eu-west-1',
      KmsKeyId: 'alias/orders-us',
    });
    expect(copy.region).toBeUndefined();
    const restore = d.sent.find((x) => x.op === 'RestoreDBClusterFromSnapshot')!;
    expect(restore.input.SnapshotIdentifier).toBe(
      'arn:aws:rds:us-east-1:111122223333:snapshot:orders-migrate-copy-7f3a9c21',
    );
    expect(r.error?.message).toMatch(/StopHere/);
    expect(
      count(
        d.sent.map((x) => ({ service: 'rds', operation: x.op, input: x.input })),
        'CopyDBSnapshot',
      ),
    ).toBe(1);
  });
});
