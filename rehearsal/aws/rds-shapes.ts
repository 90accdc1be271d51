// Output shapes of the RDS stand-in: DBInstance, DBCluster, DBSnapshot, ExportTask and Event as
// DescribeX answers show them (field names from the RDS API reference), computed at the current
// stand-in time.
import {
  ENDPOINT_SUFFIX,
  PORT,
  type Cluster,
  type ExportTask,
  type Instance,
  type RdsEvent,
  type RdsWorld,
  type Snapshot,
} from './rds-model.js';

const iso = (ms: number) => new Date(ms).toISOString();

export function instanceShape(w: RdsWorld, i: Instance): Record<string, unknown> {
  const status = w.instanceStatus(i);
  const aurora = i.engine.startsWith('aurora');
  const replicaClusters = aurora ? [] : w.replicaClustersOf(i.id).map((c) => c.id);
  // A real-backed instance shows the server's own address and port (a spelling of 127.0.0.1 such as 127.0.00.1, and its port).
  const real = w.backing?.endpointOf('instance', i.id);
  return {
    DBInstanceIdentifier: i.id,
    DBInstanceClass: i.instanceClass,
    Engine: i.engine,
    DBInstanceStatus: status,
    Endpoint:
      status === 'creating'
        ? undefined
        : real
          ? { Address: real.address, Port: real.port, HostedZoneId: 'Z2R2ITUGPM61AM' }
          : {
              Address: `${i.id}.${ENDPOINT_SUFFIX}.${w.region}.rds.amazonaws.com`,
              Port: PORT,
              HostedZoneId: 'Z2R2ITUGPM61AM',
            },
    AllocatedStorage: aurora ? 1 : i.allocatedStorage,
    InstanceCreateTime: status === 'creating' ? undefined : iso(i.createdAt),
    EngineVersion: i.engineVersion,
    ReadReplicaDBInstanceIdentifiers: [],
    ReadReplicaDBClusterIdentifiers: replicaClusters,
    PubliclyAccessible: i.publiclyAccessible,
    StorageType: aurora ? 'aurora' : 'gp3',
    DBClusterIdentifier: i.clusterId,
    StorageEncrypted: i.storageEncrypted,
    KmsKeyId: i.kmsKeyId,
    DbiResourceId: i.dbiResourceId,
    DBParameterGroups: [
      { DBParameterGroupName: i.parameterGroup, ParameterApplyStatus: aurora ? 'in-sync' : w.parameterApplyStatus(i) },
    ],
    DBInstanceArn: i.arn,
    TagList: i.tags,
  };
}

export function clusterShape(w: RdsWorld, c: Cluster): Record<string, unknown> {
  const status = w.clusterStatus(c);
  const members = [...w.instances.values()].filter((i) => i.clusterId === c.id);
  const host = `${ENDPOINT_SUFFIX}.${w.region}.rds.amazonaws.com`;
  // A real-backed cluster has one server: writer and reader endpoints both reach it.
  const real = w.backing?.endpointOf('cluster', c.id);
  return {
    AllocatedStorage: 1,
    DBClusterIdentifier: c.id,
    Status: status,
    PercentProgress: status === 'available' ? undefined : '0',
    Endpoint: real ? real.address : `${c.id}.cluster-${host}`,
    ReaderEndpoint: real ? real.address : `${c.id}.cluster-ro-${host}`,
    MultiAZ: false,
    Engine: c.engine,
    EngineVersion: c.engineVersion,
    Port: real ? real.port : PORT,
    ReplicationSourceIdentifier: w.isReplica(c) ? c.replicationSourceArn : undefined,
    DBClusterMembers: members.map((m, index) => ({
      DBInstanceIdentifier: m.id,
      IsClusterWriter: index === 0,
      DBClusterParameterGroupStatus: 'in-sync',
      PromotionTier: 1,
    })),
    VpcSecurityGroups: c.securityGroups.map((id) => ({ VpcSecurityGroupId: id, Status: 'active' })),
    DBSubnetGroup: c.subnetGroup,
    DBClusterParameterGroup: c.parameterGroup,
    MasterUsername: c.masterUsername,
    StorageEncrypted: c.storageEncrypted,
    KmsKeyId: c.kmsKeyId,
    DbClusterResourceId: c.resourceId,
    DBClusterArn: c.arn,
    AssociatedRoles: c.roles.map((r) => ({ RoleArn: r.roleArn, Status: w.roleStatus(r), FeatureName: r.featureName })),
    ClusterCreateTime: iso(c.createdAt),
    EngineMode: 'provisioned',
    TagList: c.tags,
  };
}

export function snapshotShape(w: RdsWorld, s: Snapshot): Record<string, unknown> {
  const { status, percent } = w.snapshotStatus(s);
  return {
    DBSnapshotIdentifier: s.id,
    DBInstanceIdentifier: s.instanceId,
    SnapshotCreateTime: status === 'available' ? iso(s.createdAt) : undefined,
    Engine: s.engine,
    AllocatedStorage: s.allocatedStorage,
    Status: status,
    Port: PORT,
    EngineVersion: s.engineVersion,
    SnapshotType: 'manual',
    PercentProgress: percent,
    Encrypted: s.storageEncrypted,
    KmsKeyId: s.kmsKeyId,
    DBSnapshotArn: s.arn,
    SourceDBSnapshotIdentifier: s.copiedFrom?.arn,
    SourceRegion: s.copiedFrom?.region,
    TagList: s.tags,
  };
}

export function exportShape(w: RdsWorld, t: ExportTask): Record<string, unknown> {
  const { status, percent } = w.exportStatus(t);
  const done = status === 'COMPLETE' || status === 'FAILED';
  return {
    ExportTaskIdentifier: t.id,
    SourceArn: t.sourceArn,
    ExportOnly: t.exportOnly,
    SnapshotTime: iso(t.startedAt),
    TaskStartTime: status === 'STARTING' ? undefined : iso(t.startedAt + w.durations.exportStarting),
    TaskEndTime: done ? iso(w.exportEndsAt(t)) : undefined,
    S3Bucket: t.bucket,
    S3Prefix: t.prefix,
    IamRoleArn: t.iamRoleArn,
    KmsKeyId: t.kmsKeyId,
    Status: status,
    PercentProgress: percent,
    TotalExtractedDataInGB:
      status === 'COMPLETE' && t.outcome.kind === 'complete' ? (t.outcome.totalExtractedDataInGB ?? 0) : undefined,
    FailureCause: status === 'FAILED' && t.outcome.kind === 'failed' ? t.outcome.failureCause : undefined,
    WarningMessage: status === 'COMPLETE' && t.outcome.kind === 'complete' ? t.outcome.warningMessage : undefined,
    SourceType: t.sourceType,
  };
}

export function eventShape(e: RdsEvent): Record<string, unknown> {
  return {
    SourceIdentifier: e.sourceId,
    SourceType: e.sourceType,
    Message: e.message,
    EventCategories: e.categories,
    Date: iso(e.date),
    SourceArn: e.sourceArn,
  };
}
