// The stand-in's DB parameter groups, DB cluster parameter groups, ModifyDBInstance and
// RebootDBInstance through the real SDK: AWS's rules and errors, and the instance's status and
// ParameterApplyStatus as the clock moves (applying → pending-reboot → in-sync, rebooting → available).
import { afterEach, describe, expect, it } from 'vitest';
import { MINUTE, SECOND } from '../../../rehearsal/aws/index.js';
import { SOURCE, standinFixture, type Fixture } from './standin-fixture.js';

let f: Fixture;
afterEach(async () => f?.close());

const applyStatus = async () => {
  const i = (await f.rds('DescribeDBInstances', { DBInstanceIdentifier: SOURCE })).DBInstances[0];
  return {
    status: i.DBInstanceStatus,
    group: i.DBParameterGroups[0].DBParameterGroupName,
    apply: i.DBParameterGroups[0].ParameterApplyStatus,
  };
};

describe('stand-in: DB parameter groups', () => {
  it('a default group exists for the family, lists engine defaults, and cannot be modified', async () => {
    f = await standinFixture();
    expect(await applyStatus()).toEqual({ status: 'available', group: 'default.postgres16', apply: 'in-sync' });
    const groups = (await f.rds('DescribeDBParameterGroups', { DBParameterGroupName: 'default.postgres16' }))
      .DBParameterGroups;
    expect(groups).toEqual([
      expect.objectContaining({ DBParameterGroupName: 'default.postgres16', DBParameterGroupFamily: 'postgres16' }),
    ]);
    const params = (await f.rds('DescribeDBParameters', { DBParameterGroupName: 'default.postgres16' }))
      .Parameters as any[];
    expect(params.find((p) => p.ParameterName === 'rds.logical_replication')).toMatchObject({
      ParameterValue: '0',
      Source: 'engine-default',
      ApplyType: 'static',
      AllowedValues: '0,1',
    });
    const err = await f.rdsError('ModifyDBParameterGroup', {
      DBParameterGroupName: 'default.postgres16',
      Parameters: [{ ParameterName: 'rds.logical_replication', ParameterValue: '1', ApplyMethod: 'pending-reboot' }],
    });
    expect(err.code).toBe('InvalidParameterValue');
    expect(err.message).toMatch(/Cannot modify a default parameter group/);
  });

  it('create, modify (static needs pending-reboot), associate, reboot: the apply status follows', async () => {
    f = await standinFixture();
    await f.rds('CreateDBParameterGroup', {
      DBParameterGroupName: 'orders-pg-logical',
      DBParameterGroupFamily: 'postgres16',
      Description: 'logical',
    });
    expect(
      (
        await f.rdsError('CreateDBParameterGroup', {
          DBParameterGroupName: 'orders-pg-logical',
          DBParameterGroupFamily: 'postgres16',
          Description: 'again',
        })
      ).code,
    ).toBe('DBParameterGroupAlreadyExistsFault');
    const immediate = await f.rdsError('ModifyDBParameterGroup', {
      DBParameterGroupName: 'orders-pg-logical',
      Parameters: [{ ParameterName: 'rds.logical_replication', ParameterValue: '1', ApplyMethod: 'immediate' }],
    });
    expect(immediate.message).toMatch(/cannot use immediate apply method for static parameter rds.logical_replication/);
    expect(
      (
        await f.rdsError('ModifyDBParameterGroup', {
          DBParameterGroupName: 'orders-pg-logical',
          Parameters: [
            { ParameterName: 'rds.logical_replication', ParameterValue: '2', ApplyMethod: 'pending-reboot' },
          ],
        })
      ).message,
    ).toMatch(/outside of range: 0,1/);
    await f.rds('ModifyDBParameterGroup', {
      DBParameterGroupName: 'orders-pg-logical',
      Parameters: [{ ParameterName: 'rds.logical_replication', ParameterValue: '1', ApplyMethod: 'pending-reboot' }],
    });
    const user = (await f.rds('DescribeDBParameters', { DBParameterGroupName: 'orders-pg-logical', Source: 'user' }))
      .Parameters;
    expect(user).toEqual([
      expect.objectContaining({
        ParameterName: 'rds.logical_replication',
        ParameterValue: '1',
        Source: 'user',
        ApplyMethod: 'pending-reboot',
      }),
    ]);

    await f.rds('CreateDBParameterGroup', {
      DBParameterGroupName: 'pg15-group',
      DBParameterGroupFamily: 'postgres15',
      Description: 'x',
    });
    expect(
      (
        await f.rdsError('ModifyDBInstance', {
          DBInstanceIdentifier: SOURCE,
          DBParameterGroupName: 'pg15-group',
          ApplyImmediately: true,
        })
      ).message,
    ).toMatch(/Use a parameter group with DBParameterGroupFamily postgres16/);

    await f.rds('ModifyDBInstance', {
      DBInstanceIdentifier: SOURCE,
      DBParameterGroupName: 'orders-pg-logical',
      ApplyImmediately: true,
    });
    expect(await applyStatus()).toEqual({ status: 'modifying', group: 'orders-pg-logical', apply: 'applying' });
    expect((await f.rdsError('RebootDBInstance', { DBInstanceIdentifier: SOURCE })).code).toBe(
      'InvalidDBInstanceStateFault',
    );
    f.aws.clock.advance(MINUTE + SECOND);
    expect(await applyStatus()).toEqual({ status: 'available', group: 'orders-pg-logical', apply: 'pending-reboot' });

    await f.rds('RebootDBInstance', { DBInstanceIdentifier: SOURCE });
    expect(await applyStatus()).toEqual({ status: 'rebooting', group: 'orders-pg-logical', apply: 'applying' });
    f.aws.clock.advance(2 * MINUTE + SECOND);
    expect(await applyStatus()).toEqual({ status: 'available', group: 'orders-pg-logical', apply: 'in-sync' });
  });

  it('cluster parameter groups: aurora-postgresql families, CreateDBCluster checks the family and shows the group', async () => {
    f = await standinFixture();
    await f.rds('CreateDBClusterParameterGroup', {
      DBClusterParameterGroupName: 'aurora17-logical',
      DBParameterGroupFamily: 'aurora-postgresql17',
      Description: 'x',
      Tags: [{ Key: 'team', Value: 'orders' }],
    });
    expect(
      (
        await f.rdsError('CreateDBClusterParameterGroup', {
          DBClusterParameterGroupName: 'bad',
          DBParameterGroupFamily: 'postgres17',
          Description: 'x',
        })
      ).code,
    ).toBe('InvalidParameterValue');
    await f.rds('ModifyDBClusterParameterGroup', {
      DBClusterParameterGroupName: 'aurora17-logical',
      Parameters: [{ ParameterName: 'rds.logical_replication', ParameterValue: '1', ApplyMethod: 'pending-reboot' }],
    });
    const p = (
      await f.rds('DescribeDBClusterParameters', { DBClusterParameterGroupName: 'aurora17-logical' })
    ).Parameters.find((x: any) => x.ParameterName === 'rds.logical_replication');
    expect(p).toMatchObject({ ParameterValue: '1', Source: 'user' });
    const group = (await f.rds('DescribeDBClusterParameterGroups', { DBClusterParameterGroupName: 'aurora17-logical' }))
      .DBClusterParameterGroups[0];
    expect((await f.rds('ListTagsForResource', { ResourceName: group.DBClusterParameterGroupArn })).TagList).toEqual([
      { Key: 'team', Value: 'orders' },
    ]);

    const base = { Engine: 'aurora-postgresql', MasterUsername: 'migrator', MasterUserPassword: 'long-enough-pw' };
    const mismatch = await f.rdsError('CreateDBCluster', {
      ...base,
      DBClusterIdentifier: 'a16',
      EngineVersion: '16.4',
      DBClusterParameterGroupName: 'aurora17-logical',
    });
    expect(mismatch.message).toMatch(/Please use a Parameter Group with DBParameterGroupFamily aurora-postgresql16/);
    expect(
      (
        await f.rdsError('CreateDBCluster', {
          ...base,
          DBClusterIdentifier: 'a17',
          EngineVersion: '17.4',
          DBClusterParameterGroupName: 'missing',
        })
      ).code,
    ).toBe('DBClusterParameterGroupNotFoundFault');
    expect(
      (
        await f.rdsError('CreateDBCluster', {
          ...base,
          DBClusterIdentifier: 'a17',
          EngineVersion: '17.4',
          MasterUserPassword: 'short',
        })
      ).message,
    ).toMatch(/MasterUserPassword is not a valid password/);
    await f.rds('CreateDBCluster', {
      ...base,
      DBClusterIdentifier: 'a17',
      EngineVersion: '17.4',
      DBClusterParameterGroupName: 'aurora17-logical',
    });
    const c = (await f.rds('DescribeDBClusters', { DBClusterIdentifier: 'a17' })).DBClusters[0];
    expect(c).toMatchObject({ DBClusterParameterGroup: 'aurora17-logical', MasterUsername: 'migrator' });
    expect(JSON.stringify(c)).not.toContain('long-enough-pw');
  });
});
