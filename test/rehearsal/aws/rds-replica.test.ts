// The replica route through the real RDS client: CreateDBCluster with ReplicationSourceIdentifier,
// CreateDBInstance, statuses over stand-in time, PromoteReadReplicaDBCluster, standalone cluster,
// the promotion event — and the rules AWS enforces on the way.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MINUTE } from '../../../rehearsal/aws/index.js';
import { standinFixture, SOURCE, type Fixture } from './standin-fixture.js';

let f: Fixture;
beforeEach(async () => {
  f = await standinFixture({
    durations: {
      clusterCreating: 10 * MINUTE,
      clusterBackingUp: 2 * MINUTE,
      instanceCreate: 8 * MINUTE,
      promote: 5 * MINUTE,
    },
  });
});
afterEach(() => f.close());

const createReplica = (id = 'orders-aurora', extra: Record<string, unknown> = {}) =>
  f.rds('CreateDBCluster', {
    DBClusterIdentifier: id,
    Engine: 'aurora-postgresql',
    ReplicationSourceIdentifier: f.aws.arn('db', SOURCE),
    DBSubnetGroupName: 'app-private',
    VpcSecurityGroupIds: ['sg-0abc1234'],
    Tags: [
      { Key: 'aurora-migrate:plan', Value: 'orders' },
      { Key: 'aurora-migrate:step', Value: 'replica' },
    ],
    ...extra,
  });

const cluster = async (id = 'orders-aurora') =>
  (await f.rds('DescribeDBClusters', { DBClusterIdentifier: id })).DBClusters[0];
const instance = async (id: string) =>
  (await f.rds('DescribeDBInstances', { DBInstanceIdentifier: id })).DBInstances[0];

describe('Aurora read replica of an RDS PostgreSQL instance', () => {
  it('goes creating → backing-up → available, replicating from the source ARN', async () => {
    const out = await createReplica();
    expect(out.DBCluster).toMatchObject({
      DBClusterIdentifier: 'orders-aurora',
      Status: 'creating',
      Engine: 'aurora-postgresql',
      EngineVersion: '16.4',
    });
    expect((await cluster()).ReplicationSourceIdentifier).toBe(f.aws.arn('db', SOURCE));
    f.aws.clock.advance(10 * MINUTE);
    expect((await cluster()).Status).toBe('backing-up');
    f.aws.clock.advance(2 * MINUTE);
    const c = await cluster();
    expect(c.Status).toBe('available');
    expect(c.ReplicationSourceIdentifier).toBe(f.aws.arn('db', SOURCE));
    expect(c.TagList).toEqual([
      { Key: 'aurora-migrate:plan', Value: 'orders' },
      { Key: 'aurora-migrate:step', Value: 'replica' },
    ]);
    expect(c.VpcSecurityGroups).toEqual([{ VpcSecurityGroupId: 'sg-0abc1234', Status: 'active' }]);
    expect((await instance(SOURCE)).ReadReplicaDBClusterIdentifiers).toEqual(['orders-aurora']);
  });

  it('has no instance until CreateDBInstance; the instance goes creating → available, not before its cluster', async () => {
    await createReplica();
    expect((await cluster()).DBClusterMembers ?? []).toEqual([]);
    await f.rds('CreateDBInstance', {
      DBInstanceIdentifier: 'orders-aurora-1',
      DBClusterIdentifier: 'orders-aurora',
      DBInstanceClass: 'db.r6g.large',
      Engine: 'aurora-postgresql',
    });
    expect((await instance('orders-aurora-1')).DBInstanceStatus).toBe('creating');
    f.aws.clock.advance(8 * MINUTE);
    expect((await instance('orders-aurora-1')).DBInstanceStatus).toBe('creating'); // cluster still backing-up
    f.aws.clock.advance(4 * MINUTE);
    const i = await instance('orders-aurora-1');
    expect(i).toMatchObject({
      DBInstanceStatus: 'available',
      DBClusterIdentifier: 'orders-aurora',
      Engine: 'aurora-postgresql',
    });
    expect(i.Endpoint.Address).toMatch(/^orders-aurora-1\./);
    expect((await cluster()).DBClusterMembers).toEqual([
      expect.objectContaining({ DBInstanceIdentifier: 'orders-aurora-1', IsClusterWriter: true }),
    ]);
    const byCluster = await f.rds('DescribeDBInstances', {
      Filters: [{ Name: 'db-cluster-id', Values: ['orders-aurora'] }],
    });
    expect(byCluster.DBInstances.map((x: any) => x.DBInstanceIdentifier)).toEqual(['orders-aurora-1']);
  });

  it('promotes: promoting → available, ReplicationSourceIdentifier gone, event recorded, source free again', async () => {
    await createReplica();
    f.aws.clock.advance(12 * MINUTE);
    const promoted = await f.rds('PromoteReadReplicaDBCluster', { DBClusterIdentifier: 'orders-aurora' });
    expect(promoted.DBCluster.Status).toBe('promoting');
    expect((await cluster()).ReplicationSourceIdentifier).toBe(f.aws.arn('db', SOURCE));
    const early = await f.rds('DescribeEvents', { SourceIdentifier: 'orders-aurora', SourceType: 'db-cluster' });
    expect(early.Events.map((e: any) => e.Message)).not.toContainEqual(expect.stringMatching(/promoted/i));
    f.aws.clock.advance(5 * MINUTE);
    const c = await cluster();
    expect(c.Status).toBe('available');
    expect(c.ReplicationSourceIdentifier).toBeUndefined();
    const events = await f.rds('DescribeEvents', {
      SourceIdentifier: 'orders-aurora',
      SourceType: 'db-cluster',
      Duration: 60,
    });
    expect(events.Events.map((e: any) => e.Message)).toContain(
      'Promoted Read Replica cluster to stand-alone database cluster.',
    );
    expect((await instance(SOURCE)).ReadReplicaDBClusterIdentifiers).toEqual([]);
    expect(f.aws.calls.count('PromoteReadReplicaDBCluster', 'orders-aurora')).toBe(1);
  });

  it('refuses to promote a replica that is not available yet, or a cluster that is not a replica', async () => {
    await createReplica();
    const early = await f.rdsError('PromoteReadReplicaDBCluster', { DBClusterIdentifier: 'orders-aurora' });
    expect(early.code).toBe('InvalidDBClusterStateFault');
    expect(early.message).toMatch(/creating/);
    f.aws.clock.advance(12 * MINUTE);
    await f.rds('PromoteReadReplicaDBCluster', { DBClusterIdentifier: 'orders-aurora' });
    f.aws.clock.advance(5 * MINUTE);
    const again = await f.rdsError('PromoteReadReplicaDBCluster', { DBClusterIdentifier: 'orders-aurora' });
    expect(again.code).toBe('InvalidDBClusterStateFault');
    expect(again.message).toMatch(/not a read replica/);
  });

  it('allows one Aurora replica per source', async () => {
    await createReplica();
    const err = await f.rdsError('CreateDBCluster', {
      DBClusterIdentifier: 'second',
      Engine: 'aurora-postgresql',
      ReplicationSourceIdentifier: f.aws.arn('db', SOURCE),
    });
    expect(err.code).toBe('InvalidDBInstanceStateFault');
    expect(err.message).toMatch(/only one Aurora read replica/);
  });

  it('needs the source ARN, not its id', async () => {
    const err = await f.rdsError('CreateDBCluster', {
      DBClusterIdentifier: 'orders-aurora',
      Engine: 'aurora-postgresql',
      ReplicationSourceIdentifier: SOURCE,
    });
    expect(err.code).toBe('InvalidParameterValue');
    expect(err.message).toMatch(/ARN/);
  });

  it('needs the same major version and a minor that is not lower', async () => {
    expect(
      (
        await f.rdsError('CreateDBCluster', {
          DBClusterIdentifier: 'a',
          Engine: 'aurora-postgresql',
          ReplicationSourceIdentifier: f.aws.arn('db', SOURCE),
          EngineVersion: '15.8',
        })
      ).code,
    ).toBe('InvalidParameterCombination');
    expect(
      (
        await f.rdsError('CreateDBCluster', {
          DBClusterIdentifier: 'a',
          Engine: 'aurora-postgresql',
          ReplicationSourceIdentifier: f.aws.arn('db', SOURCE),
          EngineVersion: '16.2',
        })
      ).code,
    ).toBe('InvalidParameterCombination');
    const ok = await createReplica('b', { EngineVersion: '16.6' });
    expect(ok.DBCluster.EngineVersion).toBe('16.6');
  });

  it('rejects an unknown source instance ARN with DBInstanceNotFoundFault', async () => {
    const err = await f.rdsError('CreateDBCluster', {
      DBClusterIdentifier: 'a',
      Engine: 'aurora-postgresql',
      ReplicationSourceIdentifier: f.aws.arn('db', 'ghost'),
    });
    expect(err.code).toBe('DBInstanceNotFoundFault');
    expect(err.httpStatus).toBe(404);
  });

  it('reports DBClusterAlreadyExistsFault for a second cluster with the same (case-insensitive) id', async () => {
    await f.rds('CreateDBCluster', {
      DBClusterIdentifier: 'Other',
      Engine: 'aurora-postgresql',
      MasterUsername: 'admin',
      ManageMasterUserPassword: true,
    });
    const err = await f.rdsError('CreateDBCluster', {
      DBClusterIdentifier: 'other',
      Engine: 'aurora-postgresql',
      MasterUsername: 'admin',
      ManageMasterUserPassword: true,
    });
    expect(err.code).toBe('DBClusterAlreadyExistsFault');
    expect(err.message).toMatch(/run apply again to adopt it/);
    expect((await cluster('OTHER')).DBClusterIdentifier).toBe('other');
  });

  it.each([['1abc'], ['abc-'], ['a--b'], ['a_b'], ['x'.repeat(64)]])('enforces identifier rules: %s', async (id) => {
    const err = await f.rdsError('CreateDBCluster', {
      DBClusterIdentifier: id,
      Engine: 'aurora-postgresql',
      ReplicationSourceIdentifier: f.aws.arn('db', SOURCE),
    });
    expect(err.code).toBe('InvalidParameterValue');
    expect(err.message).toMatch(/not a valid identifier/);
  });

  it('CreateDBInstance needs an existing cluster and a unique id', async () => {
    const noCluster = await f.rdsError('CreateDBInstance', {
      DBInstanceIdentifier: 'i-1',
      DBClusterIdentifier: 'ghost',
      DBInstanceClass: 'db.r6g.large',
      Engine: 'aurora-postgresql',
    });
    expect(noCluster.code).toBe('DBClusterNotFoundFault');
    await createReplica();
    const dup = await f.rdsError('CreateDBInstance', {
      DBInstanceIdentifier: SOURCE,
      DBClusterIdentifier: 'orders-aurora',
      DBInstanceClass: 'db.r6g.large',
      Engine: 'aurora-postgresql',
    });
    expect(dup.code).toBe('DBInstanceAlreadyExistsFault');
  });

  it('Describe* with an unknown id raise the NotFound faults', async () => {
    expect((await f.rdsError('DescribeDBClusters', { DBClusterIdentifier: 'ghost' })).code).toBe(
      'DBClusterNotFoundFault',
    );
    expect((await f.rdsError('DescribeDBInstances', { DBInstanceIdentifier: 'ghost' })).code).toBe(
      'DBInstanceNotFoundFault',
    );
    expect((await f.rdsError('DescribeDBSnapshots', { DBSnapshotIdentifier: 'ghost' })).code).toBe(
      'DBSnapshotNotFoundFault',
    );
  });

  it('ListTagsForResource answers the tags given at creation, by ARN', async () => {
    await createReplica();
    const out = await f.rds('ListTagsForResource', { ResourceName: f.aws.arn('cluster', 'orders-aurora') });
    expect(out.TagList).toEqual([
      { Key: 'aurora-migrate:plan', Value: 'orders' },
      { Key: 'aurora-migrate:step', Value: 'replica' },
    ]);
    expect((await f.rdsError('ListTagsForResource', { ResourceName: f.aws.arn('cluster', 'ghost') })).code).toBe(
      'DBClusterNotFoundFault',
    );
  });
});

describe('Describe pagination', () => {
  it('DescribeDBInstances pages with MaxRecords and Marker', async () => {
    f.aws.seed({ instances: Array.from({ length: 44 }, (_, i) => ({ id: `pg-${String(i).padStart(2, '0')}` })) });
    const ids: string[] = [];
    let marker: string | undefined;
    let pages = 0;
    do {
      const out = await f.rds('DescribeDBInstances', { MaxRecords: 20, Marker: marker });
      ids.push(...out.DBInstances.map((i: any) => i.DBInstanceIdentifier));
      marker = out.Marker;
      pages += 1;
    } while (marker);
    expect(pages).toBe(3);
    expect(ids).toHaveLength(45);
    expect(new Set(ids).size).toBe(45);
    expect((await f.rdsError('DescribeDBInstances', { MaxRecords: 5 })).code).toBe('InvalidParameterValue');
  });
});
