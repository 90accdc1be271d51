// Every AWS error mapping, pinned: the whole message a user reads (call, resource, AWS's text, remedy).
// A not-found remedy names the resource that was not found — the snapshot a restore reads, the
// source instance a replica cluster follows, the hosted zone, the topic — not the resource the call
// creates. The first part drives the real SDK clients against the stand-in, so the error names are
// the ones the SDK really produces (SNS NotFound arrives as NotFoundException); the table then pins
// each mapping with SDK-shaped errors.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAwsApi, toAwsCallError } from '../../src/aws/sdk-api.js';
import type { AwsService } from '../../src/aws/api.js';
import type { AwsCallError } from '../../src/aws/errors.js';
import { startAwsStandin, type AwsStandin } from '../../rehearsal/aws/index.js';

const R = 'us-east-1';
const snapArn = 'arn:aws:rds:us-east-1:111122223333:snapshot:orders-snap';
const clusterArn = 'arn:aws:rds:us-east-1:111122223333:cluster:orders-aurora';
const restore = {
  DBClusterIdentifier: 'orders-aurora',
  SnapshotIdentifier: snapArn,
  Engine: 'aurora-postgresql',
  DBSubnetGroupName: 'app-private',
  KmsKeyId: 'alias/orders',
};
const replica = {
  DBClusterIdentifier: 'orders-aurora',
  ReplicationSourceIdentifier: 'arn:aws:rds:us-east-1:111122223333:db:orders-pg',
  Engine: 'aurora-postgresql',
  DBSubnetGroupName: 'app-private',
};
const exportTask = {
  ExportTaskIdentifier: 'orders-export-1',
  SourceArn: clusterArn,
  S3BucketName: 'orders-exports',
  IamRoleArn: 'arn:aws:iam::111122223333:role/rds-export',
  KmsKeyId: 'arn:aws:kms:us-east-1:111122223333:key/k-1',
};
const change = {
  HostedZoneId: 'Z0123456789ABCDEFGHIJ',
  ChangeBatch: {
    Changes: [
      {
        Action: 'UPSERT',
        ResourceRecordSet: {
          Name: 'orders-db.internal.example.com',
          Type: 'CNAME',
          TTL: 5,
          ResourceRecords: [{ Value: 'orders-aurora.cluster-x.us-east-1.rds.amazonaws.com' }],
        },
      },
    ],
  },
};
const publish = {
  TopicArn: 'arn:aws:sns:us-east-1:111122223333:db-migrations',
  Subject: 'plan finished',
  Message: 'secret-free text',
};

describe('through the real SDK clients against the stand-in', () => {
  let aws: AwsStandin;
  let api: ReturnType<typeof createAwsApi>;
  beforeAll(async () => {
    aws = await startAwsStandin({
      manualClock: true,
      seed: {
        instances: [{ id: 'orders-pg' }],
        buckets: ['orders-archive'],
        topics: ['db-migrations'],
        hostedZones: [{ id: 'Z0123456789ABCDEFGHIJ', name: 'internal.example.com' }],
      },
    });
    api = createAwsApi({ env: aws.env, maxAttempts: 1 });
  });
  afterAll(async () => {
    api?.destroy();
    await aws?.close();
  });
  const fail = (service: AwsService, operation: string, input: Record<string, unknown>) =>
    api.send(service, operation, input).then(
      () => undefined,
      (e: AwsCallError) => e,
    );

  it('RestoreDBClusterFromSnapshot of a missing snapshot names the snapshot, not the cluster', async () => {
    const err = await fail('rds', 'RestoreDBClusterFromSnapshot', {
      ...restore,
      SnapshotIdentifier: 'arn:aws:rds:us-east-1:111122223333:snapshot:nope',
      DBSubnetGroupName: undefined,
      KmsKeyId: undefined,
    });
    expect(err?.code).toBe('DBSnapshotNotFoundFault');
    expect(err?.message).toBe(
      'RDS RestoreDBClusterFromSnapshot for orders-aurora (us-east-1) failed: DBSnapshotNotFoundFault: DBSnapshot not found: arn:aws:rds:us-east-1:111122223333:snapshot:nope. ' +
        'The DB snapshot "arn:aws:rds:us-east-1:111122223333:snapshot:nope" was not found: check that it is spelled right and exists in region us-east-1, and that the account of these credentials owns it (or that it is shared with that account).',
    );
  });

  it('CreateDBCluster with a missing replication source names the source instance', async () => {
    const err = await fail('rds', 'CreateDBCluster', {
      ...replica,
      ReplicationSourceIdentifier: 'arn:aws:rds:us-east-1:111122223333:db:nope',
      DBSubnetGroupName: undefined,
    });
    expect(err?.code).toBe('DBInstanceNotFoundFault');
    expect(err?.message).toMatch(
      /^RDS CreateDBCluster for orders-aurora \(us-east-1\) failed: DBInstanceNotFoundFault: .*\. The DB instance "arn:aws:rds:us-east-1:111122223333:db:nope" was not found: /,
    );
  });

  it('S3 HEAD of a missing object: NotFound, without the SDK\'s "UnknownError"', async () => {
    const err = await fail('s3', 'HeadObject', { Bucket: 'orders-archive', Key: 'nope.csv' });
    expect(err?.code).toBe('NotFound');
    expect(err?.message).toBe(
      'S3 HeadObject for s3://orders-archive/nope.csv (us-east-1) failed: NotFound. The S3 object "s3://orders-archive/nope.csv" was not found: check that it is spelled right and exists in region us-east-1, and that the account of these credentials owns it.',
    );
  });

  it("SNS Publish to a missing topic names the topic and the plan's notify list", async () => {
    const err = await fail('sns', 'Publish', { ...publish, TopicArn: 'arn:aws:sns:us-east-1:111122223333:nope' });
    expect(err?.code).toBe('NotFoundException');
    expect(err?.message).toMatch(
      /^SNS Publish for arn:aws:sns:us-east-1:111122223333:nope \(us-east-1\) failed: NotFoundException: .*The SNS topic "arn:aws:sns:us-east-1:111122223333:nope" was not found: .*Fix the plan's notify list if it is wrong/,
    );
  });

  it("SNS AuthorizationError, Throttled and InvalidParameter arrive as the SDK's …Exception names", async () => {
    const codes: string[] = [];
    for (const code of ['AuthorizationError', 'Throttled', 'InvalidParameter']) {
      aws.faults.fail({ operation: 'Publish', code, message: `injected ${code}` });
      codes.push(
        (await fail('sns', 'Publish', { ...publish, TopicArn: 'arn:aws:sns:us-east-1:111122223333:db-migrations' }))!
          .code,
      );
    }
    expect(codes).toEqual(['AuthorizationErrorException', 'ThrottledException', 'InvalidParameterException']);
  });

  it('Route 53: a missing hosted zone is named; the message has no region (Route 53 is global)', async () => {
    const err = await fail('route53', 'ChangeResourceRecordSets', { ...change, HostedZoneId: 'ZNOPE' });
    expect(err?.code).toBe('NoSuchHostedZone');
    expect(err?.message).toBe(
      'Route 53 ChangeResourceRecordSets for orders-db.internal.example.com in ZNOPE failed: NoSuchHostedZone: No hosted zone found with ID: ZNOPE. ' +
        'The Route 53 hosted zone "ZNOPE" was not found: check that it is spelled right and exists, and that the account of these credentials owns it. Fix the step\'s hostedZoneId if it is wrong, then run the command again.',
    );
  });

  it('Route 53 errors keep their names through the SDK', async () => {
    const codes: string[] = [];
    for (const code of ['PriorRequestNotComplete', 'InvalidChangeBatch', 'InvalidInput', 'Throttling']) {
      aws.faults.fail({ operation: 'ChangeResourceRecordSets', code, message: `injected ${code}` });
      codes.push((await fail('route53', 'ChangeResourceRecordSets', change))!.code);
    }
    expect(codes).toEqual(['PriorRequestNotComplete', 'InvalidChangeBatch', 'InvalidInput', 'Throttling']);
    expect((await fail('route53', 'GetChange', { Id: '/change/CNOPE' }))?.code).toBe('NoSuchChange');
  });
});

type Row = [
  name: string,
  service: AwsService,
  operation: string,
  input: Record<string, unknown>,
  code: string,
  awsMessage: string,
  status?: number,
];
const ROWS: Row[] = [
  // not found: the missing resource is named
  [
    'restore: snapshot missing',
    'rds',
    'RestoreDBClusterFromSnapshot',
    restore,
    'DBSnapshotNotFoundFault',
    `DBSnapshot not found: ${snapArn}`,
    404,
  ],
  [
    'restore: cluster snapshot missing',
    'rds',
    'RestoreDBClusterFromSnapshot',
    restore,
    'DBClusterSnapshotNotFoundFault',
    `DBClusterSnapshot not found: ${snapArn}`,
    404,
  ],
  [
    'restore: subnet group missing',
    'rds',
    'RestoreDBClusterFromSnapshot',
    restore,
    'DBSubnetGroupNotFoundFault',
    'DB subnet group app-private does not exist',
    404,
  ],
  [
    'copy: source snapshot missing',
    'rds',
    'CopyDBSnapshot',
    {
      SourceDBSnapshotIdentifier: 'arn:aws:rds:eu-west-1:111122223333:snapshot:orders-snap',
      TargetDBSnapshotIdentifier: 'orders-snap-copy',
    },
    'DBSnapshotNotFoundFault',
    'DBSnapshot not found',
    404,
  ],
  [
    'describe snapshot missing',
    'rds',
    'DescribeDBSnapshots',
    { DBSnapshotIdentifier: 'orders-snap' },
    'DBSnapshotNotFoundFault',
    'DBSnapshot orders-snap not found.',
    404,
  ],
  [
    'replica: source instance missing',
    'rds',
    'CreateDBCluster',
    replica,
    'DBInstanceNotFoundFault',
    'DBInstance orders-pg not found.',
    404,
  ],
  [
    'replica: subnet group missing',
    'rds',
    'CreateDBCluster',
    replica,
    'DBSubnetGroupNotFoundFault',
    'DBSubnetGroup app-private not found',
    404,
  ],
  [
    'instance: cluster missing',
    'rds',
    'CreateDBInstance',
    {
      DBInstanceIdentifier: 'orders-aurora-1',
      DBClusterIdentifier: 'orders-aurora',
      DBInstanceClass: 'db.r6g.large',
      Engine: 'aurora-postgresql',
    },
    'DBClusterNotFoundFault',
    'DBCluster orders-aurora not found.',
    404,
  ],
  [
    'describe instance missing',
    'rds',
    'DescribeDBInstances',
    { DBInstanceIdentifier: 'orders-pg' },
    'DBInstanceNotFoundFault',
    'DBInstance orders-pg not found.',
    404,
  ],
  [
    'snapshot of a missing instance',
    'rds',
    'CreateDBSnapshot',
    { DBInstanceIdentifier: 'orders-pg', DBSnapshotIdentifier: 'orders-snap' },
    'DBInstanceNotFoundFault',
    'DBInstance orders-pg not found.',
    404,
  ],
  [
    'promote: cluster missing',
    'rds',
    'PromoteReadReplicaDBCluster',
    { DBClusterIdentifier: 'orders-aurora' },
    'DBClusterNotFoundFault',
    'DBCluster orders-aurora not found.',
    404,
  ],
  [
    'add role: role missing',
    'rds',
    'AddRoleToDBCluster',
    {
      DBClusterIdentifier: 'orders-aurora',
      RoleArn: 'arn:aws:iam::111122223333:role/rds-s3-import',
      FeatureName: 's3Import',
    },
    'IamRoleNotFoundFault',
    'Role not found',
    404,
  ],
  [
    'remove role: not associated',
    'rds',
    'RemoveRoleFromDBCluster',
    { DBClusterIdentifier: 'orders-aurora', RoleArn: 'arn:aws:iam::111122223333:role/rds-s3-import' },
    'DBClusterRoleNotFoundFault',
    'Role not associated',
    404,
  ],
  [
    'export: cluster missing',
    'rds',
    'StartExportTask',
    exportTask,
    'DBClusterNotFoundFault',
    `DBCluster ${clusterArn} not found.`,
    404,
  ],
  [
    'export: role missing',
    'rds',
    'StartExportTask',
    exportTask,
    'IamRoleNotFoundFault',
    'The IAM role was not found',
    404,
  ],
  [
    'export task missing',
    'rds',
    'DescribeExportTasks',
    { ExportTaskIdentifier: 'orders-export-1' },
    'ExportTaskNotFoundFault',
    'Cannot find export task with identifier orders-export-1.',
    404,
  ],
  [
    'events: source missing',
    'rds',
    'DescribeEvents',
    { SourceIdentifier: 'orders-aurora', SourceType: 'db-cluster' },
    'SourceNotFoundFault',
    'Source not found',
    404,
  ],
  [
    'an unknown NotFound code',
    'rds',
    'DescribeDBClusters',
    { DBClusterIdentifier: 'orders-aurora' },
    'DBShardGroupNotFoundFault',
    'Shard group not found',
    404,
  ],
  [
    's3: object missing (GET)',
    's3',
    'GetObject',
    { Bucket: 'orders-archive', Key: 'events/1.csv' },
    'NoSuchKey',
    'The specified key does not exist.',
    404,
  ],
  [
    's3: object missing (HEAD)',
    's3',
    'HeadObject',
    { Bucket: 'orders-archive', Key: 'events/1.csv' },
    'NotFound',
    'UnknownError',
    404,
  ],
  [
    's3: bucket missing',
    's3',
    'ListObjectsV2',
    { Bucket: 'orders-archive', Prefix: 'events/' },
    'NoSuchBucket',
    'The specified bucket does not exist',
    404,
  ],
  [
    'route53: zone missing',
    'route53',
    'ChangeResourceRecordSets',
    change,
    'NoSuchHostedZone',
    'No hosted zone found with ID: Z0123456789ABCDEFGHIJ',
    404,
  ],
  [
    'route53: zone missing (list)',
    'route53',
    'ListResourceRecordSets',
    {
      HostedZoneId: 'Z0123456789ABCDEFGHIJ',
      StartRecordName: 'orders-db.internal.example.com',
      StartRecordType: 'CNAME',
    },
    'NoSuchHostedZone',
    'No hosted zone found with ID: Z0123456789ABCDEFGHIJ',
    404,
  ],
  [
    'route53: change missing',
    'route53',
    'GetChange',
    { Id: '/change/C2682N5HXP0BZ4' },
    'NoSuchChange',
    'A change with the specified change ID does not exist: C2682N5HXP0BZ4',
    404,
  ],
  ['sns: topic missing', 'sns', 'Publish', publish, 'NotFoundException', 'Topic does not exist', 404],
  // route53 / sns specifics
  [
    'route53: invalid change batch',
    'route53',
    'ChangeResourceRecordSets',
    change,
    'InvalidChangeBatch',
    'RRSet of type CNAME with DNS name orders-db.internal.example.com. is not permitted because a conflicting RRSet of type A with the same DNS name already exists in zone internal.example.com.',
    400,
  ],
  [
    'route53: invalid input',
    'route53',
    'ChangeResourceRecordSets',
    change,
    'InvalidInput',
    'Invalid request: Expected exactly one of [AliasTarget, all of [TTL, and ResourceRecords], or TrafficPolicyInstanceId]',
    400,
  ],
  [
    'route53: prior request not complete',
    'route53',
    'ChangeResourceRecordSets',
    change,
    'PriorRequestNotComplete',
    'The request was rejected because Route 53 was still processing a prior request.',
    400,
  ],
  ['route53: throttling', 'route53', 'ChangeResourceRecordSets', change, 'ThrottlingException', 'Rate exceeded', 400],
  [
    'route53: not authorized',
    'route53',
    'ChangeResourceRecordSets',
    change,
    'AccessDenied',
    'User: arn:aws:iam::111122223333:user/ci is not authorized to perform: route53:ChangeResourceRecordSets',
    403,
  ],
  [
    'sns: authorization error',
    'sns',
    'Publish',
    publish,
    'AuthorizationErrorException',
    'User: arn:aws:iam::111122223333:user/ci is not authorized to perform: SNS:Publish',
    403,
  ],
  [
    'sns: invalid parameter',
    'sns',
    'Publish',
    publish,
    'InvalidParameterException',
    'Invalid parameter: TopicArn',
    400,
  ],
  ['sns: throttled', 'sns', 'Publish', publish, 'ThrottledException', 'Rate exceeded', 429],
  ['sns: kms key disabled', 'sns', 'Publish', publish, 'KMSDisabledException', 'The key is disabled', 400],
  // other groups
  [
    'access denied (rds, names the IAM actions)',
    'rds',
    'RestoreDBClusterFromSnapshot',
    restore,
    'AccessDenied',
    'User: arn:aws:iam::111122223333:user/ci is not authorized to perform: rds:RestoreDBClusterFromSnapshot',
    403,
  ],
  [
    'access denied (s3 listing is s3:ListBucket)',
    's3',
    'ListObjectsV2',
    { Bucket: 'orders-archive', Prefix: 'events/' },
    'AccessDenied',
    'Access Denied',
    403,
  ],
  [
    'missing credentials',
    'rds',
    'DescribeDBInstances',
    { DBInstanceIdentifier: 'orders-pg' },
    'CredentialsProviderError',
    'Could not load credentials from any providers',
  ],
  [
    'bad credentials',
    'cloudwatch',
    'GetMetricData',
    {},
    'InvalidClientTokenId',
    'The security token included in the request is invalid.',
    403,
  ],
  [
    'expired credentials',
    'rds',
    'DescribeDBInstances',
    { DBInstanceIdentifier: 'orders-pg' },
    'ExpiredToken',
    'The security token included in the request is expired',
    403,
  ],
  [
    'rds throttling',
    'rds',
    'DescribeDBClusters',
    { DBClusterIdentifier: 'orders-aurora' },
    'Throttling',
    'Rate exceeded',
    400,
  ],
  [
    'kms key not accessible (restore)',
    'rds',
    'RestoreDBClusterFromSnapshot',
    restore,
    'KMSKeyNotAccessibleFault',
    'The specified KMS key is not accessible',
    400,
  ],
  [
    'already exists',
    'rds',
    'CreateDBCluster',
    replica,
    'DBClusterAlreadyExistsFault',
    'DB Cluster already exists',
    400,
  ],
  [
    'wrong state',
    'rds',
    'PromoteReadReplicaDBCluster',
    { DBClusterIdentifier: 'orders-aurora' },
    'InvalidDBClusterStateFault',
    'DB cluster orders-aurora is not in the available state',
    400,
  ],
  [
    'export source in wrong state',
    'rds',
    'StartExportTask',
    exportTask,
    'InvalidExportSourceStateFault',
    'Another export is running',
    400,
  ],
  ['quota', 'rds', 'CreateDBCluster', replica, 'DBClusterQuotaExceededFault', 'Cluster quota exceeded', 400],
  [
    'capacity',
    'rds',
    'CreateDBInstance',
    { DBInstanceIdentifier: 'orders-aurora-1', DBClusterIdentifier: 'orders-aurora' },
    'InsufficientDBInstanceCapacity',
    'Not enough capacity for db.r6g.large',
    400,
  ],
  ['network', 'rds', 'CreateDBCluster', replica, 'InvalidSubnet', 'The requested subnet is invalid', 400],
  [
    'export role cannot write',
    'rds',
    'StartExportTask',
    exportTask,
    'IamRoleMissingPermissionsFault',
    'The IAM role is missing permissions',
    400,
  ],
  [
    'export bucket invalid',
    'rds',
    'StartExportTask',
    exportTask,
    'InvalidS3BucketFault',
    'The bucket is not valid',
    400,
  ],
  [
    'export only list refused',
    'rds',
    'StartExportTask',
    { ...exportTask, ExportOnly: ['orders.public.missing'] },
    'InvalidExportOnlyFault',
    'Invalid ExportOnly',
    400,
  ],
  [
    'invalid parameter (rds)',
    'rds',
    'CreateDBCluster',
    replica,
    'InvalidParameterCombination',
    'Cannot find version 99.1 for aurora-postgresql',
    400,
  ],
  [
    'unreachable endpoint',
    'rds',
    'DescribeDBClusters',
    { DBClusterIdentifier: 'orders-aurora' },
    'ECONNREFUSED',
    'connect ECONNREFUSED 127.0.0.1:9',
  ],
  [
    'server error',
    's3',
    'PutObject',
    { Bucket: 'team-migrations', Key: 'orders.state.json' },
    'InternalError',
    'We encountered an internal error.',
    500,
  ],
  ['anything else', 'cloudwatch', 'GetMetricData', {}, 'SomethingNew', 'A new error', 400],
];

const EXPECTED: Record<string, string> = {
  'restore: snapshot missing':
    'RDS RestoreDBClusterFromSnapshot for orders-aurora (us-east-1) failed: DBSnapshotNotFoundFault: DBSnapshot not found: arn:aws:rds:us-east-1:111122223333:snapshot:orders-snap. The DB snapshot "arn:aws:rds:us-east-1:111122223333:snapshot:orders-snap" was not found: check that it is spelled right and exists in region us-east-1, and that the account of these credentials owns it (or that it is shared with that account).',
  'restore: cluster snapshot missing':
    'RDS RestoreDBClusterFromSnapshot for orders-aurora (us-east-1) failed: DBClusterSnapshotNotFoundFault: DBClusterSnapshot not found: arn:aws:rds:us-east-1:111122223333:snapshot:orders-snap. The DB cluster snapshot "arn:aws:rds:us-east-1:111122223333:snapshot:orders-snap" was not found: check that it is spelled right and exists in region us-east-1, and that the account of these credentials owns it (or that it is shared with that account).',
  'restore: subnet group missing':
    'RDS RestoreDBClusterFromSnapshot for orders-aurora (us-east-1) failed: DBSubnetGroupNotFoundFault: DB subnet group app-private does not exist. The DB subnet group "app-private" was not found: check that it is spelled right and exists in region us-east-1, and that the account of these credentials owns it. Fix the step\'s subnetGroup if it is wrong, then run the command again.',
  'copy: source snapshot missing':
    'RDS CopyDBSnapshot for orders-snap-copy (us-east-1) failed: DBSnapshotNotFoundFault: DBSnapshot not found. The DB snapshot "arn:aws:rds:eu-west-1:111122223333:snapshot:orders-snap" was not found: check that it is spelled right and exists in region eu-west-1, and that the account of these credentials owns it (or that it is shared with that account).',
  'describe snapshot missing':
    'RDS DescribeDBSnapshots for orders-snap (us-east-1) failed: DBSnapshotNotFoundFault: DBSnapshot orders-snap not found. The DB snapshot "orders-snap" was not found: check that it is spelled right and exists in region us-east-1, and that the account of these credentials owns it (or that it is shared with that account).',
  'replica: source instance missing':
    'RDS CreateDBCluster for orders-aurora (us-east-1) failed: DBInstanceNotFoundFault: DBInstance orders-pg not found. The DB instance "arn:aws:rds:us-east-1:111122223333:db:orders-pg" was not found: check that it is spelled right and exists in region us-east-1, and that the account of these credentials owns it.',
  'replica: subnet group missing':
    'RDS CreateDBCluster for orders-aurora (us-east-1) failed: DBSubnetGroupNotFoundFault: DBSubnetGroup app-private not found. The DB subnet group "app-private" was not found: check that it is spelled right and exists in region us-east-1, and that the account of these credentials owns it. Fix the step\'s subnetGroup if it is wrong, then run the command again.',
  'instance: cluster missing':
    'RDS CreateDBInstance for orders-aurora-1 (us-east-1) failed: DBClusterNotFoundFault: DBCluster orders-aurora not found. The DB cluster "orders-aurora" was not found: check that it is spelled right and exists in region us-east-1, and that the account of these credentials owns it.',
  'describe instance missing':
    'RDS DescribeDBInstances for orders-pg (us-east-1) failed: DBInstanceNotFoundFault: DBInstance orders-pg not found. The DB instance "orders-pg" was not found: check that it is spelled right and exists in region us-east-1, and that the account of these credentials owns it.',
  'snapshot of a missing instance':
    'RDS CreateDBSnapshot for orders-snap (us-east-1) failed: DBInstanceNotFoundFault: DBInstance orders-pg not found. The DB instance "orders-pg" was not found: check that it is spelled right and exists in region us-east-1, and that the account of these credentials owns it.',
  'promote: cluster missing':
    'RDS PromoteReadReplicaDBCluster for orders-aurora (us-east-1) failed: DBClusterNotFoundFault: DBCluster orders-aurora not found. The DB cluster "orders-aurora" was not found: check that it is spelled right and exists in region us-east-1, and that the account of these credentials owns it.',
  'add role: role missing':
    'RDS AddRoleToDBCluster for orders-aurora (us-east-1) failed: IamRoleNotFoundFault: Role not found. The IAM role "arn:aws:iam::111122223333:role/rds-s3-import" was not found: check that it is spelled right and exists, and that the account of these credentials owns it. Fix the step\'s iamRole if it is wrong, then run the command again.',
  'remove role: not associated':
    'RDS RemoveRoleFromDBCluster for orders-aurora (us-east-1) failed: DBClusterRoleNotFoundFault: Role not associated. The IAM role "arn:aws:iam::111122223333:role/rds-s3-import" is not associated with the cluster: run the command again (the step associates it first), or associate it with AddRoleToDBCluster.',
  'export: cluster missing':
    'RDS StartExportTask for orders-export-1 (us-east-1) failed: DBClusterNotFoundFault: DBCluster arn:aws:rds:us-east-1:111122223333:cluster:orders-aurora not found. The DB cluster "arn:aws:rds:us-east-1:111122223333:cluster:orders-aurora" was not found: check that it is spelled right and exists in region us-east-1, and that the account of these credentials owns it.',
  'export: role missing':
    'RDS StartExportTask for orders-export-1 (us-east-1) failed: IamRoleNotFoundFault: The IAM role was not found. The IAM role "arn:aws:iam::111122223333:role/rds-export" was not found: check that it is spelled right and exists, and that the account of these credentials owns it. Fix the step\'s iamRole if it is wrong, then run the command again.',
  'export task missing':
    'RDS DescribeExportTasks for orders-export-1 (us-east-1) failed: ExportTaskNotFoundFault: Cannot find export task with identifier orders-export-1. The export task "orders-export-1" was not found: check that it is spelled right and exists in region us-east-1, and that the account of these credentials owns it.',
  'events: source missing':
    'RDS DescribeEvents for orders-aurora (us-east-1) failed: SourceNotFoundFault: Source not found. The event source "orders-aurora" was not found: check that it is spelled right and exists in region us-east-1, and that the account of these credentials owns it.',
  'an unknown NotFound code':
    'RDS DescribeDBClusters for orders-aurora (us-east-1) failed: DBShardGroupNotFoundFault: Shard group not found. Check that "orders-aurora" is spelled right and exists in region us-east-1, and that the account of these credentials owns it.',
  's3: object missing (GET)':
    'S3 GetObject for s3://orders-archive/events/1.csv (us-east-1) failed: NoSuchKey: The specified key does not exist. The S3 object "s3://orders-archive/events/1.csv" was not found: check that it is spelled right and exists in region us-east-1, and that the account of these credentials owns it.',
  's3: object missing (HEAD)':
    'S3 HeadObject for s3://orders-archive/events/1.csv (us-east-1) failed: NotFound. The S3 object "s3://orders-archive/events/1.csv" was not found: check that it is spelled right and exists in region us-east-1, and that the account of these credentials owns it.',
  's3: bucket missing':
    'S3 ListObjectsV2 for s3://orders-archive/events/ (us-east-1) failed: NoSuchBucket: The specified bucket does not exist. The S3 bucket "s3://orders-archive" was not found: check that it is spelled right and exists, and that the account of these credentials owns it.',
  'route53: zone missing':
    'Route 53 ChangeResourceRecordSets for orders-db.internal.example.com in Z0123456789ABCDEFGHIJ failed: NoSuchHostedZone: No hosted zone found with ID: Z0123456789ABCDEFGHIJ. The Route 53 hosted zone "Z0123456789ABCDEFGHIJ" was not found: check that it is spelled right and exists, and that the account of these credentials owns it. Fix the step\'s hostedZoneId if it is wrong, then run the command again.',
  'route53: zone missing (list)':
    'Route 53 ListResourceRecordSets for Z0123456789ABCDEFGHIJ failed: NoSuchHostedZone: No hosted zone found with ID: Z0123456789ABCDEFGHIJ. The Route 53 hosted zone "Z0123456789ABCDEFGHIJ" was not found: check that it is spelled right and exists, and that the account of these credentials owns it. Fix the step\'s hostedZoneId if it is wrong, then run the command again.',
  'route53: change missing':
    'Route 53 GetChange for /change/C2682N5HXP0BZ4 failed: NoSuchChange: A change with the specified change ID does not exist: C2682N5HXP0BZ4. Route 53 does not know the change "/change/C2682N5HXP0BZ4": run the command again (it resumes where it stopped).',
  'sns: topic missing':
    'SNS Publish for arn:aws:sns:us-east-1:111122223333:db-migrations (us-east-1) failed: NotFoundException: Topic does not exist. The SNS topic "arn:aws:sns:us-east-1:111122223333:db-migrations" was not found: check that it is spelled right and exists in region us-east-1, and that the account of these credentials owns it. Fix the plan\'s notify list if it is wrong, then run the command again.',
  'route53: invalid change batch':
    'Route 53 ChangeResourceRecordSets for orders-db.internal.example.com in Z0123456789ABCDEFGHIJ failed: InvalidChangeBatch: RRSet of type CNAME with DNS name orders-db.internal.example.com. is not permitted because a conflicting RRSet of type A with the same DNS name already exists in zone internal.example.com. Route 53 refused the change of record "orders-db.internal.example.com" (AWS\'s reason is above; e.g. a CNAME at the zone apex, or another record of that name): fix record or target in the plan, then apply again.',
  'route53: invalid input':
    'Route 53 ChangeResourceRecordSets for orders-db.internal.example.com in Z0123456789ABCDEFGHIJ failed: InvalidInput: Invalid request: Expected exactly one of [AliasTarget, all of [TTL, and ResourceRecords], or TrafficPolicyInstanceId]. AWS rejected the parameters of this call: fix the corresponding field in the plan (see the message above), run "aurora-migrate validate", then apply again.',
  'route53: prior request not complete':
    'Route 53 ChangeResourceRecordSets for orders-db.internal.example.com in Z0123456789ABCDEFGHIJ failed: PriorRequestNotComplete: The request was rejected because Route 53 was still processing a prior request. Route 53 is still applying an earlier change to hosted zone "Z0123456789ABCDEFGHIJ" and refused this one even after the SDK\'s retries: wait a minute and run the command again (it resumes where it stopped).',
  'route53: throttling':
    "Route 53 ChangeResourceRecordSets for orders-db.internal.example.com in Z0123456789ABCDEFGHIJ failed: ThrottlingException: Rate exceeded. AWS kept rate-limiting the call even after the SDK's retries: other tools in this account are probably calling the Route 53 API heavily. Wait a few minutes and run the command again (it resumes where it stopped).",
  'route53: not authorized':
    'Route 53 ChangeResourceRecordSets for orders-db.internal.example.com in Z0123456789ABCDEFGHIJ failed: AccessDenied: User: arn:aws:iam::111122223333:user/ci is not authorized to perform: route53:ChangeResourceRecordSets. The credentials in use are not allowed to do this: grant route53:ChangeResourceRecordSets to the IAM user or role the tool runs as (check with "aws sts get-caller-identity"), then run the command again.',
  'sns: authorization error':
    'SNS Publish for arn:aws:sns:us-east-1:111122223333:db-migrations (us-east-1) failed: AuthorizationErrorException: User: arn:aws:iam::111122223333:user/ci is not authorized to perform: SNS:Publish. The credentials in use are not allowed to do this: grant sns:Publish, kms:GenerateDataKey and kms:Decrypt on the key of an encrypted topic to the IAM user or role the tool runs as (check with "aws sts get-caller-identity"), then run the command again.',
  'sns: invalid parameter':
    "SNS Publish for arn:aws:sns:us-east-1:111122223333:db-migrations (us-east-1) failed: InvalidParameterException: Invalid parameter: TopicArn. SNS refused the message parameters: check that the topic ARN in the plan's notify list is complete (arn:aws:sns:REGION:ACCOUNT:NAME); a failed notification is only a warning.",
  'sns: throttled':
    "SNS Publish for arn:aws:sns:us-east-1:111122223333:db-migrations (us-east-1) failed: ThrottledException: Rate exceeded. AWS kept rate-limiting the call even after the SDK's retries: other tools in this account are probably calling the SNS API heavily. Wait a few minutes and run the command again (it resumes where it stopped).",
  'sns: kms key disabled':
    'SNS Publish for arn:aws:sns:us-east-1:111122223333:db-migrations (us-east-1) failed: KMSDisabledException: The key is disabled. The KMS key the topic is encrypted with cannot be used: check that it exists in region us-east-1, is enabled, and that its key policy lets the IAM user or role the tool runs as use it, then run the command again.',
  'access denied (rds, names the IAM actions)':
    'RDS RestoreDBClusterFromSnapshot for orders-aurora (us-east-1) failed: AccessDenied: User: arn:aws:iam::111122223333:user/ci is not authorized to perform: rds:RestoreDBClusterFromSnapshot. The credentials in use are not allowed to do this: grant rds:RestoreDBClusterFromSnapshot, kms:CreateGrant and kms:DescribeKey on the KMS key (encrypted snapshots) to the IAM user or role the tool runs as (check with "aws sts get-caller-identity"), then run the command again.',
  'access denied (s3 listing is s3:ListBucket)':
    'S3 ListObjectsV2 for s3://orders-archive/events/ (us-east-1) failed: AccessDenied: Access Denied. The credentials in use are not allowed to do this: grant s3:ListBucket to the IAM user or role the tool runs as (check with "aws sts get-caller-identity"), then run the command again.',
  'missing credentials':
    'RDS DescribeDBInstances for orders-pg (us-east-1) failed: CredentialsProviderError: Could not load credentials from any providers. No AWS credentials were found. Set AWS_PROFILE (or pass --profile) to a profile in ~/.aws/config, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary credentials); for SSO profiles run "aws sso login --profile NAME" first.',
  'bad credentials':
    'CloudWatch GetMetricData (us-east-1) failed: InvalidClientTokenId: The security token included in the request is invalid. AWS did not accept the credentials. Set AWS_PROFILE (or pass --profile) to a profile in ~/.aws/config, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary credentials); for SSO profiles run "aws sso login --profile NAME" first.',
  'expired credentials':
    'RDS DescribeDBInstances for orders-pg (us-east-1) failed: ExpiredToken: The security token included in the request is expired. The credentials have expired: refresh them (e.g. "aws sso login") and run the command again.',
  'rds throttling':
    "RDS DescribeDBClusters for orders-aurora (us-east-1) failed: Throttling: Rate exceeded. AWS kept rate-limiting the call even after the SDK's retries: other tools in this account are probably calling the RDS API heavily. Wait a few minutes and run the command again (it resumes where it stopped).",
  'kms key not accessible (restore)':
    'RDS RestoreDBClusterFromSnapshot for orders-aurora (us-east-1) failed: KMSKeyNotAccessibleFault: The specified KMS key is not accessible. The KMS key "alias/orders" cannot be used: check that it exists in region us-east-1, is enabled, and that its key policy lets the IAM user or role the tool runs as use it, then run the command again.',
  'already exists':
    'RDS CreateDBCluster for orders-aurora (us-east-1) failed: DBClusterAlreadyExistsFault: DB Cluster already exists. Something named "orders-aurora" already exists. If an earlier run of this plan created it, run apply again to adopt it; otherwise pick another identifier in the plan.',
  'wrong state':
    'RDS PromoteReadReplicaDBCluster for orders-aurora (us-east-1) failed: InvalidDBClusterStateFault: DB cluster orders-aurora is not in the available state. The resource "orders-aurora" is not in a state that allows PromoteReadReplicaDBCluster right now: look at its status (AWS console or Describe call), wait until it is available, then run the command again.',
  'export source in wrong state':
    'RDS StartExportTask for orders-export-1 (us-east-1) failed: InvalidExportSourceStateFault: Another export is running. RDS cannot export "arn:aws:rds:us-east-1:111122223333:cluster:orders-aurora" right now: it must be available, and it allows one export at a time. Wait for the running export (DescribeExportTasks) or the modification to finish, then run the command again.',
  'quota':
    'RDS CreateDBCluster for orders-aurora (us-east-1) failed: DBClusterQuotaExceededFault: Cluster quota exceeded. An account quota or capacity limit was hit: ask for a quota increase (Service Quotas console) or free up resources, then run the command again.',
  'capacity':
    'RDS CreateDBInstance for orders-aurora-1 (us-east-1) failed: InsufficientDBInstanceCapacity: Not enough capacity for db.r6g.large. An account quota or capacity limit was hit: ask for a quota increase (Service Quotas console) or free up resources, then run the command again.',
  'network':
    'RDS CreateDBCluster for orders-aurora (us-east-1) failed: InvalidSubnet: The requested subnet is invalid. The network settings do not fit: check that the step\'s subnetGroup ("app-private") and securityGroups belong to one VPC with subnets in at least two Availability Zones, then apply again.',
  'export role cannot write':
    'RDS StartExportTask for orders-export-1 (us-east-1) failed: IamRoleMissingPermissionsFault: The IAM role is missing permissions. The export role "arn:aws:iam::111122223333:role/rds-export" cannot write to the bucket "orders-exports": check that the bucket exists in region us-east-1 and that the role\'s policy allows s3:PutObject, s3:ListBucket, s3:GetObject, s3:DeleteObject and s3:GetBucketLocation on it, and that RDS (export.rds.amazonaws.com) may assume the role.',
  'export bucket invalid':
    'RDS StartExportTask for orders-export-1 (us-east-1) failed: InvalidS3BucketFault: The bucket is not valid. The export role "arn:aws:iam::111122223333:role/rds-export" cannot write to the bucket "orders-exports": check that the bucket exists in region us-east-1 and that the role\'s policy allows s3:PutObject, s3:ListBucket, s3:GetObject, s3:DeleteObject and s3:GetBucketLocation on it, and that RDS (export.rds.amazonaws.com) may assume the role.',
  'export only list refused':
    "RDS StartExportTask for orders-export-1 (us-east-1) failed: InvalidExportOnlyFault: Invalid ExportOnly. StartExportTask refused the step's only list: each entry must name an existing database, schema or table of the cluster (database[.schema[.table]]); fix it in the plan, then apply again.",
  'invalid parameter (rds)':
    'RDS CreateDBCluster for orders-aurora (us-east-1) failed: InvalidParameterCombination: Cannot find version 99.1 for aurora-postgresql. AWS rejected the parameters of this call: fix the corresponding field in the plan (see the message above), run "aurora-migrate validate", then apply again.',
  'unreachable endpoint':
    'RDS DescribeDBClusters for orders-aurora (us-east-1) failed: ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:9. The AWS endpoint could not be reached: check the network, proxy settings, and any AWS_ENDPOINT_URL* variables, then run the command again.',
  'server error':
    'S3 PutObject for s3://team-migrations/orders.state.json (us-east-1) failed: InternalError: We encountered an internal error. AWS had an internal error even after retries: wait a few minutes and run the command again; if it persists, check the AWS Health Dashboard.',
  'anything else':
    'CloudWatch GetMetricData (us-east-1) failed: SomethingNew: A new error. Check the AWS documentation for GetMetricData and the error SomethingNew; fix the cause and run the command again (it resumes where it stopped).',
};

describe('every mapping, pinned', () => {
  it('the table and its expectations list the same cases', () => {
    expect(ROWS.map((r) => r[0]).sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  it.each(ROWS)('%s', (name, service, operation, input, code, awsMessage, status) => {
    const sdkError = Object.assign(new Error(awsMessage), {
      name: code,
      $metadata: status ? { httpStatusCode: status } : undefined,
    });
    const err = toAwsCallError(sdkError, { service, operation, input, region: R }) as AwsCallError;
    expect(err.code).toBe(code);
    expect(err.message).toBe(EXPECTED[name]);
  });

  it('never carries message bodies or secrets in the identifiers it keeps', () => {
    const err = toAwsCallError(Object.assign(new Error('x'), { name: 'NotFoundException' }), {
      service: 'sns',
      operation: 'Publish',
      input: { ...publish, MessageAttributes: {} },
      region: R,
    }) as AwsCallError;
    expect(err.identifiers).toEqual({ TopicArn: publish.TopicArn });
    const s3 = toAwsCallError(Object.assign(new Error('x'), { name: 'InternalError' }), {
      service: 's3',
      operation: 'PutObject',
      input: { Bucket: 'b', Key: 'k', Body: 'state', SSECustomerKey: 'secret' },
      region: R,
    }) as AwsCallError;
    expect(s3.identifiers).toEqual({ Bucket: 'b', Key: 'k' });
  });
});
