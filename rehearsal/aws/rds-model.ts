// The RDS world of one account and region: DB instances, snapshots, clusters with their member
// instances, tags, associated roles, export tasks and events. Statuses are not stored but computed
// from timestamps and the stand-in clock, so they move as the clock moves (creating → backing-up →
// available; promoting → available; STARTING → IN_PROGRESS → COMPLETE; PENDING → ACTIVE; rebooting →
// available, with ParameterApplyStatus applying → pending-reboot → in-sync). Parameter groups: see
// rds-parameters.ts.
import { MINUTE, SECOND } from './clock.js';
import { checkFamily, defaultGroupName, instanceFamily, type ParameterGroup } from './rds-parameters.js';

export interface Durations {
  /** DB snapshot creating → available. */
  snapshotCreate: number;
  /** Cluster creating (then backing-up). */
  clusterCreating: number;
  /** Cluster backing-up (then available). */
  clusterBackingUp: number;
  /** Instance in a cluster creating → available (never before its cluster is available). */
  instanceCreate: number;
  /** PromoteReadReplicaDBCluster: promoting → available. */
  promote: number;
  /** AddRoleToDBCluster: PENDING → ACTIVE. */
  roleActivate: number;
  /** Export task STARTING → IN_PROGRESS. */
  exportStarting: number;
  /** Export task IN_PROGRESS → COMPLETE/FAILED. */
  exportRun: number;
  /** RDSToAuroraPostgreSQLReplicaLag falls from its initial value to ~0 over this long after the replica instance is available. */
  lagCatchUp: number;
  /** RebootDBInstance: rebooting → available. */
  reboot: number;
  /** ModifyDBInstance: modifying → available. */
  instanceModify: number;
  /** A parameter group change (or a new group): ParameterApplyStatus "applying" this long. */
  parameterApply: number;
}

export const DEFAULT_DURATIONS: Durations = {
  snapshotCreate: 5 * MINUTE,
  clusterCreating: 10 * MINUTE,
  clusterBackingUp: 2 * MINUTE,
  instanceCreate: 8 * MINUTE,
  promote: 5 * MINUTE,
  roleActivate: 1 * MINUTE,
  exportStarting: 2 * MINUTE,
  exportRun: 20 * MINUTE,
  lagCatchUp: 30 * MINUTE,
  reboot: 2 * MINUTE,
  instanceModify: 1 * MINUTE,
  parameterApply: 30 * SECOND,
};

export type Tag = { Key: string; Value: string };

/** A number, a linear series (minutes counted from the stand-in's start), or a function of stand-in time (in-process only). */
export type SeriesSpec = number | { start: number; perMinute: number } | ((time: number) => number);

export interface InstanceSeed {
  id: string;
  engine?: string;
  engineVersion?: string;
  instanceClass?: string;
  allocatedStorageGiB?: number;
  storageEncrypted?: boolean;
  kmsKeyId?: string;
  status?: string;
  tags?: Tag[];
  /** Source metrics: FreeStorageSpace, OldestReplicationSlotLag, TransactionLogsDiskUsage, ... (bytes). */
  metrics?: Record<string, SeriesSpec>;
  /**
   * Backed by a real PostgreSQL server that the stand-in starts (needs the stand-in option `real`;
   * only in the seed given at start). Its Endpoint and EngineVersion are the server's.
   */
  real?: boolean;
  /** Major of the real server (default 18); 14 for the logical route's older source. */
  major?: 14 | 18;
  /** Its DB parameter group (default default.postgresNN of its version); a custom one is created when missing. */
  parameterGroup?: string;
  /** Values of that custom group (e.g. { 'rds.logical_replication': '1' }), as if set and rebooted long ago. */
  parameters?: Record<string, string>;
}

export interface SnapshotSeed {
  id: string;
  instanceId: string;
  /** A snapshot in another region (only reachable by ARN, e.g. as CopyDBSnapshot's source). */
  region?: string;
  engineVersion?: string;
  storageEncrypted?: boolean;
  kmsKeyId?: string;
  allocatedStorageGiB?: number;
  tags?: Tag[];
}

export interface Instance {
  id: string;
  arn: string;
  engine: string;
  engineVersion: string;
  instanceClass: string;
  allocatedStorage: number;
  storageEncrypted: boolean;
  kmsKeyId?: string;
  createdAt: number;
  /** Fixed status of a seeded instance; cluster members compute theirs. */
  fixedStatus?: string;
  clusterId?: string;
  publiclyAccessible: boolean;
  tags: Tag[];
  metrics: Record<string, SeriesSpec>;
  dbiResourceId: string;
  /** Its DB parameter group's name (cluster members: unused). */
  parameterGroup: string;
  /** A parameter change waits for a reboot (ParameterApplyStatus pending-reboot). */
  pendingReboot: boolean;
  /** ParameterApplyStatus shows "applying" until then. */
  parameterApplyingUntil?: number;
  /** RebootDBInstance: "rebooting" until then. */
  rebootUntil?: number;
  /** ModifyDBInstance: "modifying" until then. */
  modifyUntil?: number;
}

export interface Role {
  roleArn: string;
  featureName?: string;
  addedAt: number;
}

export interface Cluster {
  id: string;
  arn: string;
  engine: string;
  engineVersion: string;
  createdAt: number;
  replicationSourceArn?: string;
  sourceInstanceId?: string;
  promoteAt?: number;
  snapshotArn?: string;
  storageEncrypted: boolean;
  kmsKeyId?: string;
  subnetGroup?: string;
  securityGroups: string[];
  tags: Tag[];
  roles: Role[];
  resourceId: string;
  /** Its DB cluster parameter group's name. */
  parameterGroup: string;
  /** Clusters created empty (no replication source, no snapshot). */
  masterUsername?: string;
}

export interface Snapshot {
  id: string;
  arn: string;
  instanceId: string;
  engine: string;
  engineVersion: string;
  allocatedStorage: number;
  storageEncrypted: boolean;
  kmsKeyId?: string;
  createdAt: number;
  /** Seeded snapshots exist already (available). */
  seeded: boolean;
  /** CopyDBSnapshot: the source snapshot's ARN and region. */
  copiedFrom?: { arn: string; region: string };
  tags: Tag[];
}

export type ExportOutcome =
  | { kind: 'complete'; totalExtractedDataInGB?: number; warningMessage?: string }
  | { kind: 'failed'; failureCause: string };

export interface ExportTask {
  id: string;
  sourceArn: string;
  sourceType: 'CLUSTER' | 'SNAPSHOT';
  bucket: string;
  prefix?: string;
  iamRoleArn: string;
  kmsKeyId: string;
  exportOnly?: string[];
  startedAt: number;
  outcome: ExportOutcome;
}

export interface RdsEvent {
  sourceId: string;
  sourceType: 'db-instance' | 'db-cluster' | 'db-snapshot';
  sourceArn: string;
  message: string;
  categories: string[];
  date: number;
}

/**
 * Real PostgreSQL servers behind some resources (real-backing.ts). The model only asks it: while the
 * real work behind a resource is still under way (a base backup, pg_promote()), it shows a status
 * other than the one the clock says, so "available" always means the server is there.
 */
export interface WorldBacking {
  clusterStatus(c: Cluster, computed: string): string;
  instanceStatus(i: Instance, computed: string): string;
  /** The server behind an instance or cluster, when real and running. */
  endpointOf(kind: 'instance' | 'cluster', id: string): { address: string; port: number } | undefined;
  /** CreateDBCluster of a replica: the slot exists on the source when this resolves; the standby follows. */
  replicaCreated(c: Cluster, source: Instance): Promise<void>;
  /** CreateDBSnapshot: resolves when the base backup has ended (the snapshot instant). */
  snapshotCreated(s: Snapshot, source: Instance): Promise<void>;
  snapshotCopied(from: Snapshot, to: Snapshot): void;
  /** RestoreDBClusterFromSnapshot: a server from the snapshot's backup follows. */
  restoreCreated(c: Cluster, snap: Snapshot): void;
  /**
   * CreateDBCluster of a new, empty cluster: an empty server follows, whose master user logs in
   * with `master.password` (kept in memory only while the server is set up).
   */
  emptyClusterCreated(
    c: Cluster,
    master: { username: string; password: string },
    settings: Record<string, string>,
  ): Promise<void>;
  /** RebootDBInstance: the real server behind the instance restarts with `settings` (no-op when not real). */
  instanceRebooted(i: Instance, settings: Record<string, string>): void;
}

export class RdsWorld {
  /** Set when some resources are real (stand-in option `real`). */
  backing?: WorldBacking;
  readonly instances = new Map<string, Instance>();
  readonly clusters = new Map<string, Cluster>();
  readonly snapshots = new Map<string, Snapshot>();
  /** Snapshots of other regions, by ARN (sources of cross-region CopyDBSnapshot). */
  readonly foreignSnapshots = new Map<string, Snapshot>();
  readonly exports = new Map<string, ExportTask>();
  /** DB parameter groups and DB cluster parameter groups by name (default.* ones appear when first used). */
  readonly parameterGroups = new Map<string, ParameterGroup>();
  readonly clusterParameterGroups = new Map<string, ParameterGroup>();
  readonly events: RdsEvent[] = [];
  /** Outcome given to export tasks started from now on. */
  nextExportOutcome: ExportOutcome = { kind: 'complete', totalExtractedDataInGB: 12 };
  private serial = 0;
  /** Stand-in time when the world was made (origin of linear metric series). */
  readonly startedAt: number;

  constructor(
    readonly region: string,
    readonly account: string,
    readonly durations: Durations,
    readonly now: () => number,
  ) {
    this.startedAt = now();
  }

  arn(
    type: 'db' | 'cluster' | 'snapshot' | 'export-task' | 'pg' | 'cluster-pg',
    id: string,
    region = this.region,
  ): string {
    return `arn:aws:rds:${region}:${this.account}:${type}:${id}`;
  }

  uniqueSuffix(prefix: string): string {
    this.serial += 1;
    return `${prefix}-${(this.serial * 7919).toString(36).toUpperCase().padStart(6, 'X')}STANDIN`;
  }

  // ---- statuses, computed from the clock ----

  clusterAvailableAt(c: Cluster): number {
    return c.createdAt + this.durations.clusterCreating + this.durations.clusterBackingUp;
  }

  clusterStatus(c: Cluster): string {
    const computed = this.computedClusterStatus(c);
    return this.backing ? this.backing.clusterStatus(c, computed) : computed;
  }

  /** The status the clock alone says (real-backing.ts acts when it changes). */
  computedClusterStatus(c: Cluster): string {
    const now = this.now();
    if (c.promoteAt !== undefined) return now < c.promoteAt + this.durations.promote ? 'promoting' : 'available';
    if (now < c.createdAt + this.durations.clusterCreating) return 'creating';
    if (now < this.clusterAvailableAt(c)) return 'backing-up';
    return 'available';
  }

  /** True while the cluster replicates from its source (until its promotion has finished). */
  isReplica(c: Cluster): boolean {
    if (!c.replicationSourceArn) return false;
    return c.promoteAt === undefined || this.clusterStatus(c) === 'promoting';
  }

  instanceAvailableAt(i: Instance): number {
    if (!i.clusterId) return i.createdAt;
    const c = this.clusters.get(i.clusterId);
    const own = i.createdAt + this.durations.instanceCreate;
    return c ? Math.max(own, this.clusterAvailableAt(c)) : own;
  }

  instanceStatus(i: Instance): string {
    const now = this.now();
    let computed: string;
    if (i.rebootUntil !== undefined && now < i.rebootUntil) computed = 'rebooting';
    else if (i.modifyUntil !== undefined && now < i.modifyUntil) computed = 'modifying';
    else if (i.fixedStatus) computed = i.fixedStatus;
    else computed = now < this.instanceAvailableAt(i) ? 'creating' : 'available';
    return this.backing ? this.backing.instanceStatus(i, computed) : computed;
  }

  /** DBParameterGroups[].ParameterApplyStatus: applying → pending-reboot → in-sync. */
  parameterApplyStatus(i: Instance): 'applying' | 'pending-reboot' | 'in-sync' {
    if (
      (i.parameterApplyingUntil !== undefined && this.now() < i.parameterApplyingUntil) ||
      this.instanceStatus(i) === 'rebooting'
    )
      return 'applying';
    return i.pendingReboot ? 'pending-reboot' : 'in-sync';
  }

  /** A DB (cluster) parameter group by name; default.<family> ones exist for every known family. */
  parameterGroup(name: string, cluster: boolean): ParameterGroup | undefined {
    const key = name.toLowerCase();
    const map = cluster ? this.clusterParameterGroups : this.parameterGroups;
    const found = map.get(key);
    if (found || !key.startsWith('default.')) return found;
    try {
      checkFamily(key.slice('default.'.length), cluster);
    } catch {
      return undefined;
    }
    return this.addParameterGroup({
      name: key,
      family: key.slice('default.'.length),
      cluster,
      description: `Default parameter group for ${key.slice('default.'.length)}`,
      tags: [],
    });
  }

  addParameterGroup(g: {
    name: string;
    family: string;
    cluster: boolean;
    description: string;
    tags: Tag[];
  }): ParameterGroup {
    const group: ParameterGroup = {
      ...g,
      arn: this.arn(g.cluster ? 'cluster-pg' : 'pg', g.name),
      isDefault: g.name.startsWith('default.'),
      values: {},
    };
    (g.cluster ? this.clusterParameterGroups : this.parameterGroups).set(g.name, group);
    return group;
  }

  snapshotStatus(s: Snapshot): { status: string; percent: number } {
    if (s.seeded) return { status: 'available', percent: 100 };
    const elapsed = this.now() - s.createdAt;
    if (elapsed >= this.durations.snapshotCreate) return { status: 'available', percent: 100 };
    return { status: 'creating', percent: Math.floor((elapsed / this.durations.snapshotCreate) * 100) };
  }

  roleStatus(r: Role): 'PENDING' | 'ACTIVE' {
    return this.now() < r.addedAt + this.durations.roleActivate ? 'PENDING' : 'ACTIVE';
  }

  exportStatus(t: ExportTask): { status: string; percent: number } {
    const elapsed = this.now() - t.startedAt;
    const { exportStarting, exportRun } = this.durations;
    if (elapsed < exportStarting) return { status: 'STARTING', percent: 0 };
    if (elapsed < exportStarting + exportRun) {
      return {
        status: 'IN_PROGRESS',
        percent: Math.min(99, Math.floor(((elapsed - exportStarting) / exportRun) * 100)),
      };
    }
    return t.outcome.kind === 'complete' ? { status: 'COMPLETE', percent: 100 } : { status: 'FAILED', percent: 0 };
  }

  exportEndsAt(t: ExportTask): number {
    return t.startedAt + this.durations.exportStarting + this.durations.exportRun;
  }

  /** Aurora replica clusters fed by this instance (until promoted): its ReadReplicaDBClusterIdentifiers. */
  replicaClustersOf(instanceId: string): Cluster[] {
    return [...this.clusters.values()].filter((c) => c.sourceInstanceId === instanceId && this.isReplica(c));
  }

  /** Events whose time has come (the promotion event appears when promotion finishes). */
  visibleEvents(): RdsEvent[] {
    const now = this.now();
    const derived: RdsEvent[] = [];
    for (const c of this.clusters.values()) {
      if (c.promoteAt !== undefined && c.replicationSourceArn) {
        derived.push({
          sourceId: c.id,
          sourceType: 'db-cluster',
          sourceArn: c.arn,
          message: 'Promoted Read Replica cluster to stand-alone database cluster.',
          categories: ['notification'],
          date: c.promoteAt + this.durations.promote,
        });
      }
    }
    return [...this.events, ...derived].filter((e) => e.date <= now).sort((a, b) => a.date - b.date);
  }

  addEvent(e: Omit<RdsEvent, 'date'> & { date?: number }): void {
    this.events.push({ ...e, date: e.date ?? this.now() });
  }

  seedInstance(seed: InstanceSeed): Instance {
    const id = seed.id.toLowerCase();
    const inst: Instance = {
      id,
      arn: this.arn('db', id),
      engine: seed.engine ?? 'postgres',
      engineVersion: seed.engineVersion ?? (seed.major ? `${seed.major}.0` : '16.4'),
      instanceClass: seed.instanceClass ?? 'db.m6g.large',
      allocatedStorage: seed.allocatedStorageGiB ?? 100,
      storageEncrypted: seed.storageEncrypted ?? false,
      kmsKeyId:
        seed.kmsKeyId ??
        (seed.storageEncrypted ? `arn:aws:kms:${this.region}:${this.account}:key/standin-default` : undefined),
      createdAt: this.now() - 30 * 24 * 60 * MINUTE,
      fixedStatus: seed.status ?? 'available',
      publiclyAccessible: false,
      tags: seed.tags ?? [],
      metrics: seed.metrics ?? {},
      dbiResourceId: this.uniqueSuffix('db'),
      parameterGroup: '',
      pendingReboot: false,
    };
    const family = instanceFamily(inst.engineVersion);
    const groupName = (seed.parameterGroup ?? defaultGroupName(family)).toLowerCase();
    const group =
      this.parameterGroup(groupName, false) ??
      this.addParameterGroup({
        name: groupName,
        family,
        cluster: false,
        description: `Parameter group ${groupName}`,
        tags: [],
      });
    for (const [name, value] of Object.entries(seed.parameters ?? {}))
      group.values[name] = { value, applyMethod: 'pending-reboot' };
    inst.parameterGroup = group.name;
    this.instances.set(id, inst);
    return inst;
  }

  seedSnapshot(seed: SnapshotSeed): Snapshot {
    const id = seed.id.toLowerCase();
    const source = this.instances.get(seed.instanceId.toLowerCase());
    const foreign = seed.region !== undefined && seed.region !== this.region;
    const snap: Snapshot = {
      id,
      arn: this.arn('snapshot', id, seed.region),
      instanceId: seed.instanceId.toLowerCase(),
      engine: source?.engine ?? 'postgres',
      engineVersion: seed.engineVersion ?? source?.engineVersion ?? '16.4',
      allocatedStorage: seed.allocatedStorageGiB ?? source?.allocatedStorage ?? 100,
      storageEncrypted: seed.storageEncrypted ?? source?.storageEncrypted ?? false,
      kmsKeyId: seed.kmsKeyId ?? source?.kmsKeyId,
      createdAt: this.now() - 60 * MINUTE,
      seeded: true,
      tags: seed.tags ?? [],
    };
    if (foreign) this.foreignSnapshots.set(snap.arn, snap);
    else this.snapshots.set(id, snap);
    return snap;
  }
}

export const PORT = 5432;
export const ENDPOINT_SUFFIX = 'cstandin0abc';
export { SECOND };
