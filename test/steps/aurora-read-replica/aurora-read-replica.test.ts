// aurora-read-replica against the stand-in through the real SDK: what it sends, that it converges
// after a crash at any point, and that it never adopts what is not its own.
import { afterEach, describe, expect, it } from 'vitest';
import { auroraReadReplica } from '../../../src/steps/aurora-read-replica/run.js';
import { count, mutating } from '../support/run-step.js';
import { CLUSTER, INSTANCE, replicaSpec, SOURCE, stepStandin, type StepStandin } from '../support/standin.js';

let s: StepStandin;
afterEach(async () => s?.close());

describe('aurora-read-replica', () => {
  it('creates the replica cluster by source ARN, then its instance, and waits until both are available', async () => {
    s = await stepStandin();
    const r = await s.run(auroraReadReplica, replicaSpec());
    expect(r.error).toBeUndefined();
    expect(mutating(r.calls)).toEqual(['CreateDBCluster', 'CreateDBInstance']);
    const create = r.calls.find((c) => c.operation === 'CreateDBCluster')!.input;
    expect(create).toEqual({
      DBClusterIdentifier: CLUSTER,
      Engine: 'aurora-postgresql',
      EngineVersion: '16.4',
      ReplicationSourceIdentifier: s.aws.arn('db', SOURCE),
      DBSubnetGroupName: 'app-private',
      VpcSecurityGroupIds: ['sg-0abc1234'],
      Tags: [
        { Key: 'team', Value: 'orders' },
        { Key: 'aurora-migrate:plan', Value: 'orders' },
        { Key: 'aurora-migrate:step', Value: 'replica' },
      ],
    });
    expect(r.calls.find((c) => c.operation === 'CreateDBInstance')!.input).toMatchObject({
      DBInstanceIdentifier: INSTANCE,
      DBClusterIdentifier: CLUSTER,
      Engine: 'aurora-postgresql',
      PubliclyAccessible: false,
    });
    expect(r.outputs).toEqual({
      clusterId: CLUSTER,
      clusterArn: s.aws.arn('cluster', CLUSTER),
      instanceId: INSTANCE,
      endpoint: expect.stringContaining(CLUSTER),
      readerEndpoint: expect.stringContaining(CLUSTER),
      port: 5432,
    });
    expect(r.progress.some((p) => /cluster orders-aurora: creating/.test(p))).toBe(true);
    // Polls are 30 s apart: the stand-in takes 12 minutes, so ~24 polls of 2 describes, no storm.
    expect(count(r.calls, 'DescribeDBClusters')).toBeLessThanOrEqual(30);
  });

  it('describe() shows exactly the parameters run() sends', async () => {
    s = await stepStandin();
    const spec = replicaSpec({ engineVersion: '16.4', source: s.aws.arn('db', SOURCE) });
    const planned = auroraReadReplica.describe(spec as any, { planName: 'orders', stepId: 'replica' });
    const r = await s.run(auroraReadReplica, spec);
    const sent = r.calls
      .filter((c) => c.operation.startsWith('Create'))
      .map((c) => ({ operation: c.operation, params: c.input }));
    expect(
      planned.filter((a) => a.kind === 'aws').map((a: any) => ({ operation: a.operation, params: a.params })),
    ).toEqual(sent);
    expect(planned.at(-1)).toMatchObject({ kind: 'wait', timeoutMs: 8 * 3600_000 });
  });

  it('sends StorageEncrypted and the source key for an encrypted source', async () => {
    s = await stepStandin({
      seed: {
        instances: [
          {
            id: SOURCE,
            engineVersion: '16.4',
            storageEncrypted: true,
            kmsKeyId: 'arn:aws:kms:us-east-1:111122223333:key/src',
          },
        ],
      },
    });
    const r = await s.run(auroraReadReplica, replicaSpec());
    expect(r.error).toBeUndefined();
    expect(r.calls.find((c) => c.operation === 'CreateDBCluster')!.input).toMatchObject({
      StorageEncrypted: true,
      KmsKeyId: 'arn:aws:kms:us-east-1:111122223333:key/src',
    });
  });

  // Checkpoints: 1 "CreateDBCluster sent", 2 "CreateDBInstance sent", 3 "available".
  for (const crash of [
    { crashAfterCheckpoint: 1 },
    { crashAfterSend: 'CreateDBCluster' },
    { crashAfterCheckpoint: 2 },
    { crashAfterSend: 'CreateDBInstance' },
    { crashAfterCheckpoint: 3 },
  ]) {
    it(`converges after a crash ${JSON.stringify(crash)}: nothing created twice`, async () => {
      s = await stepStandin();
      const first = await s.run(auroraReadReplica, replicaSpec(), crash);
      expect(first.error?.message).toMatch(/simulated crash/);
      s.aws.clock.advance(3 * 60_000);
      const second = await s.run(auroraReadReplica, replicaSpec(), { checkpoint: first.checkpoint, attempt: 2 });
      expect(second.error).toBeUndefined();
      expect(second.outputs).toMatchObject({ clusterId: CLUSTER, instanceId: INSTANCE });
      expect(s.aws.calls.succeeded('CreateDBCluster')).toBe(1);
      expect(s.aws.calls.succeeded('CreateDBInstance')).toBe(1);
      expect(s.aws.calls.count('CreateDBCluster')).toBe(1);
      expect(s.aws.calls.count('CreateDBInstance')).toBe(1);
    });
  }

  it('refuses a same-named cluster that is not its own, and creates nothing', async () => {
    s = await stepStandin();
    await s.api.send('rds', 'CreateDBCluster', {
      DBClusterIdentifier: CLUSTER,
      Engine: 'aurora-postgresql',
      EngineVersion: '16.4',
      Tags: [{ Key: 'owner', Value: 'someone' }],
    });
    const r = await s.run(auroraReadReplica, replicaSpec());
    expect(r.error?.message).toMatch(
      /DB cluster orders-aurora already exists and was not created by this step \(it has no aurora-migrate:plan\/step tags\)/,
    );
    expect(r.error?.message).toMatch(/aurora-migrate apply/);
    expect(mutating(r.calls)).toEqual([]);
  });

  it('refuses a cluster created by another step of the same plan', async () => {
    s = await stepStandin();
    await s.run(auroraReadReplica, replicaSpec());
    const r = await s.run(auroraReadReplica, replicaSpec({ id: 'replica-2', source: SOURCE }));
    expect(r.error?.message).toMatch(/belongs to plan "orders" step "replica"/);
  });

  it('refuses a source that already has an Aurora read replica', async () => {
    s = await stepStandin();
    await s.run(auroraReadReplica, replicaSpec());
    const r = await s.run(auroraReadReplica, replicaSpec({ cluster: 'orders-aurora-b' }));
    expect(r.error?.message).toMatch(
      /source orders-pg already has an Aurora read replica \(orders-aurora\); RDS allows only one/,
    );
    expect(mutating(r.calls)).toEqual([]);
  });

  it('refuses a lower Aurora version or a non-PostgreSQL source before creating anything', async () => {
    s = await stepStandin({
      seed: {
        instances: [
          { id: SOURCE, engineVersion: '16.4' },
          { id: 'shop-mysql', engine: 'mysql', engineVersion: '8.0.35' },
        ],
      },
    });
    const low = await s.run(auroraReadReplica, replicaSpec({ engineVersion: '16.2' }));
    expect(low.error?.message).toMatch(/16.2 is lower than the source's 16.4/);
    const mysql = await s.run(auroraReadReplica, replicaSpec({ source: 'shop-mysql' }));
    expect(mysql.error?.message).toMatch(/runs engine "mysql", not "postgres"/);
    const missing = await s.run(auroraReadReplica, replicaSpec({ source: 'nope-pg' }));
    expect(missing.error?.message).toMatch(/source DB instance nope-pg was not found/);
    expect(s.aws.calls.count('CreateDBCluster')).toBe(0);
  });

  it('fails with the step timeout named when the cluster does not become available in time', async () => {
    s = await stepStandin({ durations: { clusterCreating: 10 * 3600_000 } });
    const r = await s.run(auroraReadReplica, replicaSpec({ timeout: '1h' }));
    expect(r.error?.message).toMatch(
      /timed out after 1h waiting for cluster orders-aurora and instance orders-aurora-1 to be available \(last seen: cluster orders-aurora: creating/,
    );
  });
});

describe('aurora-read-replica: ownership without TagList in the answer', () => {
  it('asks ListTagsForResource when DescribeDBClusters leaves tags out, and still adopts its own cluster', async () => {
    const { runStep } = await import('../support/run-step.js');
    s = await stepStandin();
    const first = await s.run(auroraReadReplica, replicaSpec(), { crashAfterSend: 'CreateDBCluster' });
    // The run stopped where the test killed it, right after AWS accepted the call (not on some other error).
    expect(first.error?.message).toContain('simulated crash after CreateDBCluster returned');
    // An AwsApi that strips TagList from every Describe answer, as some AWS look-alikes do.
    const stripping = {
      async send(service: any, operation: string, input: any, options?: any) {
        const out: any = await s.api.send(service, operation, input, options);
        for (const key of ['DBClusters', 'DBInstances']) for (const r of out?.[key] ?? []) delete r.TagList;
        return out;
      },
    };
    const second = await runStep(auroraReadReplica, replicaSpec(), {
      aws: stripping,
      clock: s.aws.clock,
      checkpoint: first.checkpoint,
      attempt: 2,
    });
    expect(second.error).toBeUndefined();
    expect(second.calls.filter((c) => c.operation === 'ListTagsForResource').map((c) => c.input.ResourceName)).toEqual([
      s.aws.arn('cluster', CLUSTER),
    ]);
    expect(s.aws.calls.count('CreateDBCluster')).toBe(1);
  });
});
