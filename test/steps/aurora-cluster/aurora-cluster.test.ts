// aurora-cluster against the stand-in through the real SDK (synthetic world, manual clock): the
// cluster parameter group with rds.logical_replication = 1, an empty cluster with a master user, its
// instance; convergence after a crash at any call; adoption on a rerun; never someone else's cluster.
import { afterEach, describe, expect, it } from 'vitest';
import { StepFailed } from '../../../src/errors.js';
import { auroraCluster } from '../../../src/steps/aurora-cluster/run.js';
import { count, mutating } from '../support/run-step.js';
import { stepStandin, type StepStandin } from '../support/standin.js';

let s: StepStandin;
afterEach(async () => s?.close());

const PASSWORD = 'Tgt-pw-0123456789';
const spec = (extra: Record<string, unknown> = {}) => ({
  id: 'target',
  type: 'aurora-cluster',
  cluster: 'orders-aurora-17',
  engineVersion: '17.4',
  instance: { class: 'db.r6g.large' },
  masterUsername: 'postgres',
  masterPassword: PASSWORD,
  clusterParameterGroup: 'orders-aurora-17-logical',
  subnetGroup: 'app-private',
  ...extra,
});

async function clusterParameter(group: string, name: string) {
  const out = await s.api.send('rds', 'DescribeDBClusterParameters', { DBClusterParameterGroupName: group });
  return (out.Parameters as any[]).find((p) => p.ParameterName === name);
}

describe('aurora-cluster', () => {
  it('creates the cluster parameter group (publishing allowed), an empty cluster with its master user, then its instance', async () => {
    s = await stepStandin();
    const r = await s.run(auroraCluster, spec());
    expect(r.error).toBeUndefined();
    expect(mutating(r.calls)).toEqual([
      'CreateDBClusterParameterGroup',
      'ModifyDBClusterParameterGroup',
      'CreateDBCluster',
      'CreateDBInstance',
    ]);
    expect(r.calls.find((c) => c.operation === 'CreateDBClusterParameterGroup')!.input).toMatchObject({
      DBParameterGroupFamily: 'aurora-postgresql17',
    });
    expect(await clusterParameter('orders-aurora-17-logical', 'rds.logical_replication')).toMatchObject({
      ParameterValue: '1',
      Source: 'user',
    });
    const create = r.calls.find((c) => c.operation === 'CreateDBCluster')!.input;
    expect(create).toEqual({
      DBClusterIdentifier: 'orders-aurora-17',
      Engine: 'aurora-postgresql',
      EngineVersion: '17.4',
      MasterUsername: 'postgres',
      MasterUserPassword: PASSWORD,
      DBClusterParameterGroupName: 'orders-aurora-17-logical',
      DBSubnetGroupName: 'app-private',
      Tags: [
        { Key: 'aurora-migrate:plan', Value: 'orders' },
        { Key: 'aurora-migrate:step', Value: 'target' },
      ],
    });
    expect(r.outputs).toEqual({
      clusterId: 'orders-aurora-17',
      clusterArn: s.aws.arn('cluster', 'orders-aurora-17'),
      instanceId: 'orders-aurora-17-1',
      endpoint: expect.stringContaining('orders-aurora-17.cluster-'),
      readerEndpoint: expect.stringContaining('orders-aurora-17.cluster-ro-'),
      port: 5432,
      engineVersion: '17.4',
    });
    const cluster = (await s.api.send('rds', 'DescribeDBClusters', { DBClusterIdentifier: 'orders-aurora-17' }))
      .DBClusters[0];
    expect(cluster.ReplicationSourceIdentifier).toBeUndefined();
    expect(cluster.DBClusterParameterGroup).toBe('orders-aurora-17-logical');

    // A rerun (e.g. with the state file lost) adopts everything and creates nothing.
    const again = await s.run(auroraCluster, spec());
    expect(again.error).toBeUndefined();
    expect(mutating(again.calls)).toEqual([]);
    const adopted = again.events.flatMap((e) =>
      e.type === 'step-event' && e.name === 'adopted' ? [e.data?.resource] : [],
    );
    expect(adopted).toEqual(['DBClusterParameterGroup', 'DBCluster', 'DBInstance']);
  });

  for (const op of [
    'CreateDBClusterParameterGroup',
    'ModifyDBClusterParameterGroup',
    'CreateDBCluster',
    'CreateDBInstance',
  ]) {
    it(`a crash right after ${op} returned: the resume creates nothing twice`, async () => {
      s = await stepStandin();
      const first = await s.run(auroraCluster, spec(), { crashAfterSend: op });
      expect(first.error?.message).toMatch(/simulated crash/);
      const resumed = await s.run(auroraCluster, spec(), { checkpoint: first.checkpoint, attempt: 2 });
      expect(resumed.error).toBeUndefined();
      for (const create of [
        'CreateDBClusterParameterGroup',
        'ModifyDBClusterParameterGroup',
        'CreateDBCluster',
        'CreateDBInstance',
      ]) {
        expect(s.aws.calls.succeeded(create), create).toBe(1);
      }
      expect(await clusterParameter('orders-aurora-17-logical', 'rds.logical_replication')).toMatchObject({
        ParameterValue: '1',
      });
    });
  }

  it('uses an existing cluster parameter group of someone else as it is, warning when it cannot publish', async () => {
    s = await stepStandin();
    await s.api.send('rds', 'CreateDBClusterParameterGroup', {
      DBClusterParameterGroupName: 'shared-aurora17',
      DBParameterGroupFamily: 'aurora-postgresql17',
      Description: 'team group',
    });
    const r = await s.run(auroraCluster, spec({ clusterParameterGroup: 'shared-aurora17' }));
    expect(r.error).toBeUndefined();
    expect(count(r.calls, 'ModifyDBClusterParameterGroup')).toBe(0);
    expect(r.warnings.join('\n')).toMatch(
      /shared-aurora17 is not this step's and has rds.logical_replication = 0: the cluster cannot publish/,
    );
  });

  it('refuses a same-named cluster that is not its own, and a parameter group of another family', async () => {
    s = await stepStandin();
    await s.api.send('rds', 'CreateDBCluster', {
      DBClusterIdentifier: 'orders-aurora-17',
      Engine: 'aurora-postgresql',
      EngineVersion: '17.4',
      MasterUsername: 'admin',
      ManageMasterUserPassword: true,
    });
    const r = await s.run(auroraCluster, spec());
    expect(r.error).toBeInstanceOf(StepFailed);
    expect(r.error!.message).toMatch(/DB cluster orders-aurora-17 already exists and was not created by this step/);
    expect(count(r.calls, 'CreateDBCluster')).toBe(0);

    await s.api.send('rds', 'CreateDBClusterParameterGroup', {
      DBClusterParameterGroupName: 'old-family',
      DBParameterGroupFamily: 'aurora-postgresql16',
      Description: 'x',
    });
    const wrong = await s.run(auroraCluster, spec({ cluster: 'other-aurora', clusterParameterGroup: 'old-family' }));
    expect(wrong.error!.message).toMatch(
      /old-family is of family aurora-postgresql16, but engineVersion 17.4 needs aurora-postgresql17/,
    );
  });
});
