// Typed shape of a plan file, version 1 (docs/design.md "Plan file"; every field:
// docs/plan-reference.md). Mirrors schemas/plan.schema.json; test/plan/types-match-schema.test.ts
// fails when the two drift apart.
// String fields may hold ${vars.X}, ${env.X} and ${steps.ID.outputs.NAME} until resolved.

export interface PlanFile {
  version: 1;
  name: string;
  /** What the plan is for; shown first in `plan` and `status`. */
  description?: string;
  region?: string;
  /** Remote state: `s3://BUCKET/KEY` (src/remote-state); `--state` wins. Default: the local file. */
  state?: { s3: string };
  vars?: Record<string, string>;
  /** SNS topic ARNs, or ${env.NAME} holding a webhook URL (src/notify). */
  notify?: string[];
  steps: StepSpec[];
}

export type StepSpec =
  | SnapshotMigrateSpec
  | AuroraReadReplicaSpec
  | LagWatchSpec
  | ApprovalSpec
  | PromoteSpec
  | S3ImportSpec
  | S3ExportSpec
  | ClusterExportSpec
  | VerifyDataSpec
  | FreezeWritesSpec
  | SwitchEndpointSpec
  | LiftFenceSpec
  | EnableLogicalReplicationSpec
  | AuroraClusterSpec
  | LogicalReplicaSpec
  | DropReplicationSpec
  | LogicalSwitchoverSpec
  | ReverseReplicationSpec;

export type StepType = StepSpec['type'];

export interface StepBase {
  id: string;
  description?: string;
  /** Duration such as 90s, 5m, 8h, 2d. */
  timeout?: string;
}

export interface InstanceSpec {
  class: string;
  id?: string;
  publiclyAccessible?: boolean;
}

export interface SnapshotMigrateSpec extends StepBase {
  type: 'snapshot-migrate';
  source?: string;
  snapshot?: string;
  cluster: string;
  engineVersion?: string;
  instance: InstanceSpec;
  subnetGroup?: string;
  securityGroups?: string[];
  kmsKeyId?: string;
  tags?: Record<string, string>;
}

export interface AuroraReadReplicaSpec extends StepBase {
  type: 'aurora-read-replica';
  source: string;
  cluster: string;
  engineVersion?: string;
  instance: InstanceSpec;
  subnetGroup?: string;
  securityGroups?: string[];
  kmsKeyId?: string;
  tags?: Record<string, string>;
}

export interface GuardSpec {
  metric: string;
  on: 'source' | 'replica';
  /** Sizes like 20GiB for byte metrics, plain numbers otherwise. */
  below?: string | number;
  above?: string | number;
}

export interface LagWatchSpec extends StepBase {
  type: 'lag-watch';
  replica: string;
  source?: string;
  maxLag?: string;
  stableFor?: string;
  pollEvery?: string;
  guards?: GuardSpec[];
}

export interface ApprovalSpec extends StepBase {
  type: 'approval';
  message: string;
  /** Who may approve (identities: AURORA_MIGRATE_APPROVER, else GITHUB_ACTOR in Actions, else the OS user). */
  approvers?: string[];
  /** Distinct people who must approve (default 1; at most approvers.length). */
  required?: number;
}

export interface PromoteSpec extends StepBase {
  type: 'promote';
  cluster: string;
  replica?: string;
  maxLag?: string;
  /** The replica (read-only) for the caught-up proof when a freeze-writes step ran before. */
  replicaConnection?: ConnectionSpec;
}

export interface ConnectionSpec {
  host: string;
  port?: number | string;
  database: string;
  user: string;
  password?: string;
  /** false/omitted: no TLS; true or 'verify-full': TLS with certificate checks; 'require': TLS without them. */
  ssl?: boolean | 'require' | 'verify-full';
}

export interface S3Location {
  bucket: string;
  region: string;
  keys?: string[];
  prefix?: string;
}

export interface ImportTableSpec {
  table: string;
  columns?: string[];
  options: string;
  from: S3Location;
  expectRows?: number;
}

export interface S3ImportSpec extends StepBase {
  type: 's3-import';
  connection: ConnectionSpec;
  cluster?: string;
  iamRole?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  concurrency?: number;
  onError?: 'stop' | 'continue';
  tables: ImportTableSpec[];
}

export interface S3ExportSpec extends StepBase {
  type: 's3-export';
  connection: ConnectionSpec;
  query: string;
  to: { bucket: string; path: string; region: string };
  options?: string;
}

export interface ClusterExportSpec extends StepBase {
  type: 'cluster-export';
  cluster: string;
  bucket: string;
  prefix?: string;
  iamRole: string;
  kmsKey: string;
  only?: string[];
  exportId?: string;
}

export interface VerifyDataSpec extends StepBase {
  type: 'verify-data';
  source: ConnectionSpec;
  target: ConnectionSpec;
  /** schema.table names to compare. */
  tables?: string[];
  /** Every ordinary table of these schemas (never aurora_migrate). */
  schemas?: string[];
  /** Compare every sequence's last value (default true). */
  sequences?: boolean;
  /** Tables (schema.table) whose rows are also checksummed, or true for every checked table. */
  checksum?: string[] | boolean;
}

export interface FreezeWritesSpec extends StepBase {
  type: 'freeze-writes';
  /** The source, as the RDS master user or another rds_superuser (any database, e.g. postgres). */
  connection: ConnectionSpec;
  /** Databases to freeze, names as in pg_database. */
  databases: string[];
  /** connections (default): CONNECT taken from all but the kept roles; read-only: the cooperative default only. */
  fence?: 'connections' | 'read-only';
  /** Roles that keep CONNECT besides the tool's own and the replication roles (fence: connections). */
  allowRoles?: string[];
  /** Before changing anything, wait until this slot is within maxLag (the logical route, after a long approval). */
  waitForSlot?: { slot: string; maxLag?: string };
  /** Wait this long for write transactions to end after terminating sessions (default 30s). */
  drainTimeout?: string;
  /** The cutover window: roll back if the point of no return is not reached by then (default 5m). */
  window?: string;
}

export interface LiftFenceSpec extends StepBase {
  type: 'lift-fence';
  /** The fenced server, in the database that holds the fence's record (the freeze connection's). */
  connection: ConnectionSpec;
  /** Databases whose recorded fence is lifted. */
  databases: string[];
}

export interface SwitchEndpointSpec extends StepBase {
  type: 'switch-endpoint';
  /** Route 53 hosted zone id (Z…, or /hostedzone/Z…). */
  hostedZoneId: string;
  /** The record name the application connects to (a CNAME). */
  record: string;
  /** The new value: the promoted cluster's writer endpoint. */
  target: string;
  /** TTL after the switch (default 5s). */
  ttl?: string;
}

/** PostgreSQL sizing parameters set together with rds.logical_replication (integers, or ${…} references). */
export interface LogicalReplicationParameters {
  max_replication_slots?: number | string;
  max_wal_senders?: number | string;
  max_logical_replication_workers?: number | string;
}

export interface EnableLogicalReplicationSpec extends StepBase {
  type: 'enable-logical-replication';
  /** The RDS PostgreSQL source instance (id or ARN). */
  instance: string;
  /** The custom DB parameter group to set rds.logical_replication = 1 in (created when the instance uses a default one). */
  parameterGroup: string;
  /** Allowed to reboot the instance (a short outage) when the change waits for one (default false). */
  reboot?: boolean;
  parameters?: LogicalReplicationParameters;
  /** Allowed to modify a custom group other instances use too (default false). */
  shared?: boolean;
}

export interface AuroraClusterSpec extends StepBase {
  type: 'aurora-cluster';
  cluster: string;
  engineVersion: string;
  instance: InstanceSpec;
  masterUsername: string;
  /** From ${env.…} only. */
  masterPassword: string;
  /** DB cluster parameter group; created with rds.logical_replication = 1 when missing. */
  clusterParameterGroup: string;
  subnetGroup?: string;
  securityGroups?: string[];
  kmsKeyId?: string;
  tags?: Record<string, string>;
}

/** A CloudWatch guard of a logical-replica step: always on the source instance (`instance`). */
export interface SourceGuardSpec {
  metric: string;
  on: 'source';
  below?: string | number;
  above?: string | number;
}

export interface LogicalReplicaSpec extends StepBase {
  type: 'logical-replica';
  /** The source database, as the RDS master user (owner of the published tables through membership). */
  source: ConnectionSpec;
  /** The target database on the new cluster (created when missing), as its master user. */
  target: ConnectionSpec;
  /** Publish every table of these schemas (unlogged and foreign tables are left out). */
  schemas?: string[];
  /** Or these tables (schema.table). */
  tables?: string[];
  /** copy (default): roles, pre-data and keys before the copy, post-data after; existing: the target has the tables. */
  schema?: 'copy' | 'existing';
  /** Slot lag (bytes) to reach after the copy (default 16MiB). */
  maxLag?: string;
  /** How long the slot lag must stay at or under maxLag (default 1m). */
  stableFor?: string;
  /** Interval between observations (default 5s). */
  pollEvery?: string;
  /** The RDS source instance, for CloudWatch guards. */
  instance?: string;
  guards?: SourceGuardSpec[];
  /** The slot may hold back at most this much WAL on the source. */
  maxSlotLag?: string;
  /** drop-slot (default): drop the subscription and its slot when a guard trips; fail: keep them. */
  onGuardTrip?: 'drop-slot' | 'fail';
  /** Role -> ${env.…} password set on the target (roles come without passwords). */
  rolePasswords?: Record<string, string>;
  /** Roles that log in another way on the target (IAM), so need no password. */
  rolesReady?: string[];
  /** The source as the target reaches it (default: the source connection's host and port). */
  publisherEndpoint?: { host: string; port?: number | string };
  /** Tables (or true: all) without a key that get REPLICA IDENTITY FULL on the source. */
  replicaIdentityFull?: string[] | boolean;
  /** skip: go on although the source has large objects (they are not copied). */
  largeObjects?: 'skip';
  /** Who installs the DDL guard's event trigger on the source (default: the source connection). */
  ddlGuardConnection?: ConnectionSpec;
}

export interface DropReplicationSpec extends StepBase {
  type: 'drop-replication';
  /** One server: subscriptions are dropped where they live (the target), publications and slots on the source. */
  connection: ConnectionSpec;
  subscriptions?: string[];
  publications?: string[];
  slots?: string[];
  /** Remove the tool's DDL guard (event trigger, function and log). */
  ddlGuard?: boolean;
}

export interface LogicalSwitchoverSpec extends StepBase {
  type: 'logical-switchover';
  /** The logical-replica step's subscription on the target (e.g. ${steps.replicate.outputs.subscription}). */
  subscription: string;
  /** The frozen source database (one of the freeze's databases), as the tool's user. */
  source: ConnectionSpec;
  /** The target database (where the subscription lives), as its master user. */
  target: ConnectionSpec;
  /** Move every copied sequence this far in its own direction (default 0). */
  sequenceMargin?: number;
  /** Role -> ${env.…} password set on the target now (with rolesReady: who may log in there). */
  rolePasswords?: Record<string, string>;
  /** Roles that log in to the target another way (IAM) or whose password is already set there. */
  rolesReady?: string[];
  /**
   * Create the reverse publication and its slot on the target. Absent: the plan decides (true when a
   * reverse-replication step follows for this subscription; plan/reverse-pairing.ts fills it in).
   */
  reversePublication?: boolean;
}

export interface ReverseReplicationSpec extends StepBase {
  type: 'reverse-replication';
  /** Aurora (the new publisher): where the forward subscription lives and the reverse publication and slot are. */
  source: ConnectionSpec;
  /** The old source (the new subscriber), as a user that may CREATE SUBSCRIPTION there. */
  target: ConnectionSpec;
  /** The forward subscription on Aurora (default: the logical-switchover's before it; filled in by the plan). */
  subscription?: string;
  /** The reverse publication and slot on Aurora, one name (default: that switchover's reverseSlot output). */
  reverseSlot?: string;
  /** Aurora as the old source reaches it (default: the source connection's host and port). */
  publisherEndpoint?: { host: string; port?: number | string };
  /** Done when the reverse slot is at most this far behind (default 16MiB). */
  maxLag?: string;
}

/** A loaded, validated plan: frozen data plus where it came from. */
export interface Plan extends Readonly<PlanFile> {
  /** Path as given on the command line (used in diagnostics and the default state path). */
  readonly file: string;
  readonly vars: Readonly<Record<string, string>>;
}
