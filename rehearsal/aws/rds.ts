// RDS operations of the stand-in (awsQuery). Each handler checks AWS's rules, changes the world, and
// returns the Result element's content; statuses then move with the clock (see rds-model.ts).
import { shiftEventDates, shiftWindow, type CallerClock } from './caller-clock.js';
import { rdsErrorResponse, rdsResultResponse, RdsFault } from './rds-errors.js';
import type { Cluster, Instance, RdsWorld } from './rds-model.js';
import { clusterShape, eventShape, exportShape, instanceShape, snapshotShape } from './rds-shapes.js';
import {
  asList,
  bool,
  checkAuroraVersion,
  checkExportOnly,
  checkIdentifier,
  parseRdsArn,
  required,
  tagsOf,
} from './rds-rules.js';
import { toXml } from './xml.js';
import type { StandinResponse } from './http-types.js';
import { MINUTE } from './clock.js';
import { clusterParameterGroupFor, clusterSettings, parameterGroupHandlers } from './rds-parameter-groups.js';

type Params = Record<string, any>;
type Handler = (w: RdsWorld, p: Params) => Record<string, unknown> | Promise<Record<string, unknown>>;

/** Looks up by identifier or by ARN (Describe* accept either). */
function idOrArn(value: string, type: string): string {
  const arn = parseRdsArn(value);
  return arn && arn.resourceType === type ? arn.id : value.toLowerCase();
}

function clusterOrFault(w: RdsWorld, value: unknown): Cluster {
  const id = idOrArn(required('DBClusterIdentifier', value), 'cluster');
  const c = w.clusters.get(id);
  if (!c) throw new RdsFault('DBClusterNotFoundFault', `DBCluster ${id} not found.`);
  return c;
}

function instanceOrFault(w: RdsWorld, value: unknown): Instance {
  const id = idOrArn(required('DBInstanceIdentifier', value), 'db');
  const i = w.instances.get(id);
  if (!i) throw new RdsFault('DBInstanceNotFound', `DBInstance ${id} not found.`);
  return i;
}

function checkClusterIdFree(w: RdsWorld, id: string): void {
  if (w.clusters.has(id)) throw new RdsFault('DBClusterAlreadyExistsFault', `DB Cluster already exists`);
}

function newCluster(w: RdsWorld, id: string, p: Params, extra: Partial<Cluster>): Cluster {
  const engineVersion = String(extra.engineVersion ?? p.EngineVersion ?? '16.4');
  const group = clusterParameterGroupFor(w, p.DBClusterParameterGroupName, engineVersion);
  const c: Cluster = {
    id,
    arn: w.arn('cluster', id),
    engine: String(p.Engine),
    engineVersion,
    parameterGroup: group.name,
    createdAt: w.now(),
    storageEncrypted: false,
    subnetGroup: p.DBSubnetGroupName,
    securityGroups: asList<string>(p.VpcSecurityGroupIds).map(String),
    tags: tagsOf(p.Tags),
    roles: [],
    resourceId: w.uniqueSuffix('cluster'),
    ...extra,
  };
  w.clusters.set(id, c);
  w.addEvent({
    sourceId: id,
    sourceType: 'db-cluster',
    sourceArn: c.arn,
    message: 'DB cluster created',
    categories: ['creation'],
  });
  return c;
}

function requireAuroraPostgres(p: Params): void {
  if (required('Engine', p.Engine) !== 'aurora-postgresql') {
    throw new RdsFault(
      'InvalidParameterValue',
      `The stand-in models Aurora PostgreSQL only; Engine must be aurora-postgresql (got ${p.Engine}).`,
    );
  }
}

const handlers: Record<string, Handler> = {
  DescribeDBInstances(w, p) {
    if (p.DBInstanceIdentifier !== undefined)
      return { DBInstances: [instanceShape(w, instanceOrFault(w, p.DBInstanceIdentifier))] };
    let list = [...w.instances.values()];
    for (const f of asList<any>(p.Filters)) {
      const values = asList<string>(f.Values).map(String);
      if (f.Name === 'db-cluster-id')
        list = list.filter(
          (i) => i.clusterId && (values.includes(i.clusterId) || values.includes(w.arn('cluster', i.clusterId))),
        );
      if (f.Name === 'db-instance-id') list = list.filter((i) => values.includes(i.id) || values.includes(i.arn));
      if (f.Name === 'engine') list = list.filter((i) => values.includes(i.engine));
    }
    return { DBInstances: list.map((i) => instanceShape(w, i)) };
  },

  DescribeDBClusters(w, p) {
    if (p.DBClusterIdentifier !== undefined)
      return { DBClusters: [clusterShape(w, clusterOrFault(w, p.DBClusterIdentifier))] };
    return { DBClusters: [...w.clusters.values()].map((c) => clusterShape(w, c)) };
  },

  DescribeDBSnapshots(w, p) {
    let list = [...w.snapshots.values()];
    if (p.DBSnapshotIdentifier !== undefined) {
      const id = idOrArn(String(p.DBSnapshotIdentifier), 'snapshot');
      const s = w.snapshots.get(id);
      if (!s) throw new RdsFault('DBSnapshotNotFound', `DBSnapshot ${id} not found.`);
      list = [s];
    }
    if (p.DBInstanceIdentifier !== undefined) {
      const id = idOrArn(String(p.DBInstanceIdentifier), 'db');
      list = list.filter((s) => s.instanceId === id);
    }
    return { DBSnapshots: list.map((s) => snapshotShape(w, s)) };
  },

  async CreateDBSnapshot(w, p) {
    const id = checkIdentifier('DBSnapshotIdentifier', p.DBSnapshotIdentifier, 255);
    const inst = instanceOrFault(w, p.DBInstanceIdentifier);
    if (w.snapshots.has(id))
      throw new RdsFault(
        'DBSnapshotAlreadyExists',
        `Cannot create the snapshot because a snapshot with the identifier ${id} already exists.`,
      );
    if (w.instanceStatus(inst) !== 'available') {
      throw new RdsFault(
        'InvalidDBInstanceState',
        `Cannot create a snapshot because the database instance ${inst.id} is not currently in the available state.`,
      );
    }
    if (inst.clusterId)
      throw new RdsFault(
        'InvalidDBInstanceState',
        `The instance ${inst.id} is part of an Aurora cluster; use CreateDBClusterSnapshot.`,
      );
    const snap = {
      id,
      arn: w.arn('snapshot', id),
      instanceId: inst.id,
      engine: inst.engine,
      engineVersion: inst.engineVersion,
      allocatedStorage: inst.allocatedStorage,
      storageEncrypted: inst.storageEncrypted,
      kmsKeyId: inst.kmsKeyId,
      createdAt: w.now(),
      seeded: false,
      tags: tagsOf(p.Tags),
    };
    w.snapshots.set(id, snap);
    if (w.backing) {
      // A real source: the base backup runs now; its end is the snapshot instant.
      try {
        await w.backing.snapshotCreated(snap, inst);
      } catch (err) {
        w.snapshots.delete(id);
        throw err;
      }
    }
    return { DBSnapshot: snapshotShape(w, snap) };
  },

  CopyDBSnapshot(w, p) {
    const target = checkIdentifier('TargetDBSnapshotIdentifier', p.TargetDBSnapshotIdentifier, 255);
    const ref = required('SourceDBSnapshotIdentifier', p.SourceDBSnapshotIdentifier);
    const arn = parseRdsArn(ref);
    // Within the region a name works; from another region only the ARN does.
    const source = arn
      ? arn.region === w.region
        ? w.snapshots.get(arn.id)
        : w.foreignSnapshots.get(ref)
      : w.snapshots.get(ref.toLowerCase());
    if (!source) throw new RdsFault('DBSnapshotNotFound', `DBSnapshot not found: ${ref}`);
    if (w.snapshots.has(target))
      throw new RdsFault(
        'DBSnapshotAlreadyExists',
        `Cannot copy the snapshot because a snapshot with the identifier ${target} already exists.`,
      );
    const sourceRegion = arn?.region ?? w.region;
    const crossRegion = sourceRegion !== w.region;
    if (crossRegion && source.storageEncrypted && p.KmsKeyId === undefined) {
      throw new RdsFault(
        'InvalidParameterCombination',
        `Copying the encrypted snapshot ${ref} to ${w.region} needs KmsKeyId: a KMS key of the destination region.`,
      );
    }
    if (w.snapshotStatus(source).status !== 'available')
      throw new RdsFault('InvalidDBSnapshotState', `Snapshot ${source.id} is not in the available state.`);
    const copy = {
      ...source,
      id: target,
      arn: w.arn('snapshot', target),
      kmsKeyId: p.KmsKeyId ?? source.kmsKeyId,
      createdAt: w.now(),
      seeded: false,
      tags: tagsOf(p.Tags),
      copiedFrom: crossRegion ? { arn: source.arn, region: sourceRegion } : undefined,
    };
    w.snapshots.set(target, copy);
    w.backing?.snapshotCopied(source, copy);
    return { DBSnapshot: snapshotShape(w, copy) };
  },

  RestoreDBClusterFromSnapshot(w, p) {
    const id = checkIdentifier('DBClusterIdentifier', p.DBClusterIdentifier);
    requireAuroraPostgres(p);
    const ref = required('SnapshotIdentifier', p.SnapshotIdentifier);
    const arn = parseRdsArn(ref);
    // A DB (instance) snapshot can only be named by its ARN; a plain name is looked up as a DB cluster snapshot.
    if (!arn) throw new RdsFault('DBClusterSnapshotNotFoundFault', `DBClusterSnapshot not found: ${ref}`);
    if (arn.region !== w.region || arn.account !== w.account || arn.resourceType !== 'snapshot') {
      throw new RdsFault('DBSnapshotNotFound', `DBSnapshot not found: ${ref}`);
    }
    const snap = w.snapshots.get(arn.id);
    if (!snap) throw new RdsFault('DBSnapshotNotFound', `DBSnapshot not found: ${ref}`);
    checkClusterIdFree(w, id);
    if (w.snapshotStatus(snap).status !== 'available')
      throw new RdsFault('InvalidDBSnapshotState', `Snapshot ${snap.id} is not in the available state.`);
    const version = String(p.EngineVersion ?? snap.engineVersion);
    checkAuroraVersion(version, snap.engineVersion, `snapshot ${snap.id}`);
    const encrypted = snap.storageEncrypted || bool(p.StorageEncrypted) === true || p.KmsKeyId !== undefined;
    const c = newCluster(w, id, p, {
      engineVersion: version,
      snapshotArn: snap.arn,
      storageEncrypted: encrypted,
      kmsKeyId: p.KmsKeyId ?? snap.kmsKeyId,
    });
    w.backing?.restoreCreated(c, snap);
    return { DBCluster: clusterShape(w, c) };
  },

  async CreateDBCluster(w, p) {
    const id = checkIdentifier('DBClusterIdentifier', p.DBClusterIdentifier);
    requireAuroraPostgres(p);
    const sourceRef = p.ReplicationSourceIdentifier as string | undefined;
    if (sourceRef === undefined) {
      checkClusterIdFree(w, id);
      const master = checkMasterUser(p);
      const c = newCluster(w, id, p, {
        storageEncrypted: bool(p.StorageEncrypted) ?? false,
        kmsKeyId: p.KmsKeyId,
        masterUsername: master.username,
      });
      if (w.backing && master.username !== undefined && master.password !== undefined) {
        try {
          await w.backing.emptyClusterCreated(
            c,
            { username: master.username, password: master.password },
            clusterSettings(w, c),
          );
        } catch (err) {
          w.clusters.delete(c.id);
          throw err;
        }
      }
      return { DBCluster: clusterShape(w, c) };
    }
    const arn = parseRdsArn(sourceRef);
    if (!arn) {
      throw new RdsFault(
        'InvalidParameterValue',
        `The parameter ReplicationSourceIdentifier must be the Amazon Resource Name (ARN) of the source DB instance, not "${sourceRef}".`,
      );
    }
    if (arn.region !== w.region || arn.account !== w.account) {
      throw new RdsFault(
        'InvalidParameterCombination',
        `An Aurora read replica of an RDS for PostgreSQL instance must be in the same AWS Region and account as its source.`,
      );
    }
    const source = w.instances.get(arn.id);
    if (arn.resourceType !== 'db' || !source)
      throw new RdsFault('DBInstanceNotFound', `DBInstance ${arn.id} not found.`);
    checkClusterIdFree(w, id);
    if (source.engine !== 'postgres')
      throw new RdsFault(
        'InvalidParameterCombination',
        `Source ${source.id} runs ${source.engine}; an aurora-postgresql replica needs an RDS for PostgreSQL source.`,
      );
    if (w.instanceStatus(source) !== 'available')
      throw new RdsFault('InvalidDBInstanceState', `DB instance ${source.id} is not in the available state.`);
    const existing = w.replicaClustersOf(source.id);
    if (existing.length > 0) {
      throw new RdsFault(
        'InvalidDBInstanceState',
        `DB instance ${source.id} already has an Aurora read replica (${existing[0]!.id}). An RDS DB instance can have only one Aurora read replica.`,
      );
    }
    const version = String(p.EngineVersion ?? source.engineVersion);
    checkAuroraVersion(version, source.engineVersion, `source ${source.id}`);
    if (source.storageEncrypted && bool(p.StorageEncrypted) === false) {
      throw new RdsFault(
        'InvalidParameterCombination',
        `The source ${source.id} is encrypted; its Aurora read replica must be encrypted too.`,
      );
    }
    const encrypted = source.storageEncrypted || bool(p.StorageEncrypted) === true;
    const c = newCluster(w, id, p, {
      engineVersion: version,
      replicationSourceArn: source.arn,
      sourceInstanceId: source.id,
      storageEncrypted: encrypted,
      kmsKeyId: encrypted ? (p.KmsKeyId ?? source.kmsKeyId) : undefined,
    });
    if (w.backing) {
      try {
        await w.backing.replicaCreated(c, source);
      } catch (err) {
        w.clusters.delete(c.id);
        throw err;
      }
    }
    return { DBCluster: clusterShape(w, c) };
  },

  CreateDBInstance(w, p) {
    const id = checkIdentifier('DBInstanceIdentifier', p.DBInstanceIdentifier);
    const instanceClass = required('DBInstanceClass', p.DBInstanceClass);
    const engine = required('Engine', p.Engine);
    if (p.DBClusterIdentifier === undefined) {
      throw new RdsFault(
        'InvalidParameterValue',
        'The stand-in models Aurora instances only: DBClusterIdentifier is required.',
      );
    }
    const c = clusterOrFault(w, p.DBClusterIdentifier);
    if (w.instances.has(id)) throw new RdsFault('DBInstanceAlreadyExists', `DB instance already exists`);
    if (engine !== c.engine)
      throw new RdsFault(
        'InvalidParameterCombination',
        `The engine ${engine} does not match the engine ${c.engine} of DB cluster ${c.id}.`,
      );
    if (w.clusterStatus(c) === 'promoting')
      throw new RdsFault('InvalidDBClusterStateFault', `DB cluster ${c.id} is not in a valid state (promoting).`);
    const inst: Instance = {
      id,
      arn: w.arn('db', id),
      engine,
      engineVersion: c.engineVersion,
      instanceClass,
      allocatedStorage: 1,
      storageEncrypted: c.storageEncrypted,
      kmsKeyId: c.kmsKeyId,
      createdAt: w.now(),
      clusterId: c.id,
      publiclyAccessible: bool(p.PubliclyAccessible) ?? false,
      tags: tagsOf(p.Tags),
      metrics: {},
      dbiResourceId: w.uniqueSuffix('db'),
      parameterGroup: `default.aurora-postgresql${c.engineVersion.split('.')[0]}`,
      pendingReboot: false,
    };
    w.instances.set(id, inst);
    return { DBInstance: instanceShape(w, inst) };
  },

  PromoteReadReplicaDBCluster(w, p) {
    const c = clusterOrFault(w, p.DBClusterIdentifier);
    if (!c.replicationSourceArn || c.promoteAt !== undefined)
      throw new RdsFault('InvalidDBClusterStateFault', `DB cluster ${c.id} is not a read replica.`);
    const status = w.clusterStatus(c);
    if (status !== 'available')
      throw new RdsFault(
        'InvalidDBClusterStateFault',
        `DB cluster ${c.id} is not in the available state (current state: ${status}).`,
      );
    c.promoteAt = w.now();
    return { DBCluster: clusterShape(w, c) };
  },

  AddRoleToDBCluster(w, p) {
    const c = clusterOrFault(w, p.DBClusterIdentifier);
    const roleArn = required('RoleArn', p.RoleArn);
    if (!/^arn:aws[a-z-]*:iam::\d{12}:role\/.+/.test(roleArn))
      throw new RdsFault('InvalidParameterValue', `The RoleArn ${roleArn} is not a valid IAM role ARN.`);
    if (c.roles.some((r) => r.roleArn === roleArn))
      throw new RdsFault(
        'DBClusterRoleAlreadyExists',
        `Role ${roleArn} is already associated with DB cluster ${c.id}.`,
      );
    if (p.FeatureName !== undefined && c.roles.some((r) => r.featureName === p.FeatureName)) {
      throw new RdsFault(
        'DBClusterRoleQuotaExceeded',
        `DB cluster ${c.id} already has a role for feature ${p.FeatureName}.`,
      );
    }
    if (w.clusterStatus(c) !== 'available')
      throw new RdsFault('InvalidDBClusterStateFault', `DB cluster ${c.id} is not in the available state.`);
    c.roles.push({ roleArn, featureName: p.FeatureName, addedAt: w.now() });
    return {};
  },

  StartExportTask(w, p) {
    const id = checkIdentifier('ExportTaskIdentifier', p.ExportTaskIdentifier, 60);
    const sourceArn = required('SourceArn', p.SourceArn);
    const bucket = required('S3BucketName', p.S3BucketName);
    const iamRoleArn = required('IamRoleArn', p.IamRoleArn);
    const kmsKeyId = required('KmsKeyId', p.KmsKeyId);
    if (w.exports.has(id))
      throw new RdsFault(
        'ExportTaskAlreadyExists',
        `Cannot start export task because a task with the identifier ${id} already exists.`,
      );
    const exportOnly = checkExportOnly(p.ExportOnly);
    const arn = parseRdsArn(sourceArn);
    let sourceType: 'CLUSTER' | 'SNAPSHOT';
    if (arn?.resourceType === 'cluster') {
      const c = w.clusters.get(arn.id);
      if (!c) throw new RdsFault('DBClusterNotFoundFault', `DBCluster ${arn.id} not found.`);
      if (w.clusterStatus(c) !== 'available')
        throw new RdsFault('InvalidExportSourceState', `DB cluster ${c.id} is not in the available state.`);
      sourceType = 'CLUSTER';
    } else if (arn?.resourceType === 'snapshot') {
      if (!w.snapshots.has(arn.id)) throw new RdsFault('DBSnapshotNotFound', `DBSnapshot ${arn.id} not found.`);
      sourceType = 'SNAPSHOT';
    } else {
      throw new RdsFault('InvalidParameterValue', `SourceArn ${sourceArn} is not the ARN of a DB cluster or snapshot.`);
    }
    const running = [...w.exports.values()].filter(
      (t) => !['COMPLETE', 'FAILED', 'CANCELED'].includes(w.exportStatus(t).status),
    );
    if (running.some((t) => t.sourceArn === sourceArn)) {
      throw new RdsFault(
        'InvalidExportSourceState',
        `An export task is already in progress for ${sourceArn}; only one export per source can run at a time.`,
      );
    }
    if (running.length >= 5)
      throw new RdsFault('InvalidExportSourceState', 'Five export tasks are already in progress in this account.');
    const task = {
      id,
      sourceArn,
      sourceType,
      bucket,
      prefix: p.S3Prefix,
      iamRoleArn,
      kmsKeyId,
      exportOnly,
      startedAt: w.now(),
      outcome: w.nextExportOutcome,
    };
    w.exports.set(id, task);
    return exportShape(w, task);
  },

  DescribeExportTasks(w, p) {
    let list = [...w.exports.values()];
    if (p.ExportTaskIdentifier !== undefined) {
      const t = w.exports.get(String(p.ExportTaskIdentifier).toLowerCase());
      if (!t)
        throw new RdsFault('ExportTaskNotFound', `Cannot find export task with identifier ${p.ExportTaskIdentifier}.`);
      list = [t];
    }
    if (p.SourceArn !== undefined) list = list.filter((t) => t.sourceArn === p.SourceArn);
    return { ExportTasks: list.map((t) => exportShape(w, t)) };
  },

  DescribeEvents(w, p) {
    const now = w.now();
    const end = p.EndTime ? Date.parse(p.EndTime) : now;
    const start = p.StartTime ? Date.parse(p.StartTime) : end - (p.Duration ? Number(p.Duration) : 60) * MINUTE;
    const events = w
      .visibleEvents()
      .filter(
        (e) =>
          e.date >= start &&
          e.date <= end &&
          (p.SourceIdentifier === undefined ||
            e.sourceId === String(p.SourceIdentifier).toLowerCase() ||
            e.sourceArn === p.SourceIdentifier) &&
          (p.SourceType === undefined || e.sourceType === p.SourceType),
      );
    return { Events: events.map(eventShape) };
  },

  ListTagsForResource(w, p) {
    const name = required('ResourceName', p.ResourceName);
    const arn = parseRdsArn(name);
    if (!arn) throw new RdsFault('InvalidParameterValue', `ResourceName ${name} is not a valid ARN.`);
    const found =
      arn.resourceType === 'cluster'
        ? w.clusters.get(arn.id)
        : arn.resourceType === 'db'
          ? w.instances.get(arn.id)
          : arn.resourceType === 'snapshot'
            ? w.snapshots.get(arn.id)
            : arn.resourceType === 'pg'
              ? w.parameterGroups.get(arn.id)
              : arn.resourceType === 'cluster-pg'
                ? w.clusterParameterGroups.get(arn.id)
                : undefined;
    if (!found) {
      const code =
        arn.resourceType === 'cluster'
          ? 'DBClusterNotFoundFault'
          : arn.resourceType === 'snapshot'
            ? 'DBSnapshotNotFound'
            : arn.resourceType === 'pg' || arn.resourceType === 'cluster-pg'
              ? 'DBParameterGroupNotFoundFault'
              : 'DBInstanceNotFound';
      throw new RdsFault(code, `${name} not found.`);
    }
    return { TagList: found.tags };
  },

  ...parameterGroupHandlers,
};

/**
 * The master user of a new, empty cluster: MasterUsername (1–63 letters, digits, underscores; first
 * a letter; not a reserved word) and MasterUserPassword (8–128 printable ASCII characters other than
 * /, ", @ and space), or ManageMasterUserPassword (Secrets Manager; no real server logs in then).
 * Leniency of the stand-in: AWS requires a master user here, but older tests create bare clusters
 * without one, so it is checked only when given (a real server needs the password).
 */
function checkMasterUser(p: Params): { username?: string; password?: string } {
  if (p.MasterUsername === undefined && p.MasterUserPassword === undefined && p.ManageMasterUserPassword === undefined)
    return {};
  const username = required('MasterUsername', p.MasterUsername);
  if (
    !/^[A-Za-z][A-Za-z0-9_]{0,62}$/.test(username) ||
    ['rdsadmin', 'rds_superuser', 'rdsrepladmin', 'public'].includes(username.toLowerCase())
  ) {
    throw new RdsFault(
      'InvalidParameterValue',
      `MasterUsername ${username} cannot be used. It must begin with a letter, contain only letters, digits and underscores, be at most 63 characters, and not be a reserved word.`,
    );
  }
  const managed = bool(p.ManageMasterUserPassword) === true;
  if (managed && p.MasterUserPassword !== undefined)
    throw new RdsFault(
      'InvalidParameterCombination',
      "You can't specify MasterUserPassword when ManageMasterUserPassword is turned on.",
    );
  if (managed) return { username };
  const password = required('MasterUserPassword', p.MasterUserPassword);
  if (password.length < 8 || password.length > 128 || !/^[\x21-\x7e]+$/.test(password) || /[/"@]/.test(password)) {
    // AWS's own words; the value is never echoed.
    throw new RdsFault(
      'InvalidParameterValue',
      "The parameter MasterUserPassword is not a valid password. Only printable ASCII characters besides '/', '@', '\"', ' ' may be used, 8 to 128 of them.",
    );
  }
  return { username, password };
}

export const RDS_OPERATIONS = Object.keys(handlers);

/** Describe operations page with MaxRecords (20–100, default 100) and an opaque Marker. */
const PAGED: Record<string, string> = {
  DescribeDBInstances: 'DBInstances',
  DescribeDBClusters: 'DBClusters',
  DescribeDBSnapshots: 'DBSnapshots',
  DescribeExportTasks: 'ExportTasks',
  DescribeEvents: 'Events',
  DescribeDBParameterGroups: 'DBParameterGroups',
  DescribeDBClusterParameterGroups: 'DBClusterParameterGroups',
  DescribeDBParameters: 'Parameters',
  DescribeDBClusterParameters: 'Parameters',
};

function paginate(operation: string, params: Params, result: Record<string, unknown>): Record<string, unknown> {
  const key = PAGED[operation];
  const list = key ? (result[key] as unknown[] | undefined) : undefined;
  if (!key || !list) return result;
  const max = params.MaxRecords === undefined ? 100 : Number(params.MaxRecords);
  if (!Number.isInteger(max) || max < 20 || max > 100)
    throw new RdsFault('InvalidParameterValue', 'Invalid value for MaxRecords. Must be between 20 and 100');
  let offset = 0;
  if (params.Marker !== undefined) {
    const decoded = /^page:(\d+)$/.exec(Buffer.from(String(params.Marker), 'base64url').toString('utf8'));
    if (!decoded) throw new RdsFault('InvalidParameterValue', 'The Marker is not valid.');
    offset = Number(decoded[1]);
  }
  const page = list.slice(offset, offset + max);
  const more = offset + max < list.length;
  return {
    ...(more ? { Marker: Buffer.from(`page:${offset + max}`).toString('base64url') } : {}),
    ...result,
    [key]: page,
  };
}

export async function handleRds(
  w: RdsWorld,
  operation: string,
  params: Params,
  callerClock?: CallerClock,
): Promise<StandinResponse> {
  const handler = handlers[operation];
  if (!handler) return rdsErrorResponse('InvalidAction', `The stand-in does not implement RDS ${operation}.`, 400);
  try {
    if (callerClock && operation === 'DescribeEvents') {
      const result = await handler(w, shiftWindow(params, callerClock.offsetMs()));
      return rdsResultResponse(
        operation,
        toXml(
          paginate(
            operation,
            params,
            shiftEventDates(result as { Events?: Array<Record<string, unknown>> }, callerClock.toCaller),
          ),
        ),
      );
    }
    return rdsResultResponse(operation, toXml(paginate(operation, params, await handler(w, params))));
  } catch (err) {
    if (err instanceof RdsFault) return rdsErrorResponse(err.code, err.message);
    throw err;
  }
}
