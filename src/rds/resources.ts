// Read-only observations of RDS resources, NotFound mapped to undefined, plus the ownership rule:
// a resource this step created carries our tags and is adopted; a same-named one without them is a
// clear error and is never touched.
import type { AwsApi } from '../aws/api.js';
import { StepFailed } from '../errors.js';
import { isOurs, ownershipTags } from './ownership.js';

export type Tag = { Key?: string; Value?: string };

export interface DbCluster {
  DBClusterIdentifier: string;
  DBClusterArn?: string;
  Status?: string;
  PercentProgress?: string;
  Endpoint?: string;
  ReaderEndpoint?: string;
  /** The port every endpoint of the cluster listens on. */
  Port?: number;
  Engine?: string;
  EngineVersion?: string;
  ReplicationSourceIdentifier?: string;
  DBClusterMembers?: Array<{ DBInstanceIdentifier?: string; IsClusterWriter?: boolean }>;
  StorageEncrypted?: boolean;
  TagList?: Tag[];
}

export interface DbInstance {
  DBInstanceIdentifier: string;
  DBInstanceArn?: string;
  DBInstanceStatus?: string;
  Engine?: string;
  EngineVersion?: string;
  DBClusterIdentifier?: string;
  AllocatedStorage?: number;
  StorageEncrypted?: boolean;
  KmsKeyId?: string;
  ReadReplicaDBClusterIdentifiers?: string[];
  /** The instance's DB parameter group and whether its values are applied (applying | pending-reboot | in-sync). */
  DBParameterGroups?: Array<{ DBParameterGroupName?: string; ParameterApplyStatus?: string }>;
  PercentProgress?: string;
  TagList?: Tag[];
}

export interface DbSnapshot {
  DBSnapshotIdentifier: string;
  DBSnapshotArn?: string;
  DBInstanceIdentifier?: string;
  Status?: string;
  PercentProgress?: number;
  Engine?: string;
  EngineVersion?: string;
  Encrypted?: boolean;
  KmsKeyId?: string;
  TagList?: Tag[];
}

type Opts = { region?: string; signal?: AbortSignal };

export async function findCluster(aws: AwsApi, id: string, opts?: Opts): Promise<DbCluster | undefined> {
  try {
    const out = await aws.send<{ DBClusters?: DbCluster[] }>(
      'rds',
      'DescribeDBClusters',
      { DBClusterIdentifier: id },
      opts,
    );
    return out.DBClusters?.[0];
  } catch (err) {
    if (isAwsError(err, 'DBClusterNotFoundFault', 'DBClusterNotFound')) return undefined;
    throw err;
  }
}

export async function findInstance(aws: AwsApi, id: string, opts?: Opts): Promise<DbInstance | undefined> {
  try {
    const out = await aws.send<{ DBInstances?: DbInstance[] }>(
      'rds',
      'DescribeDBInstances',
      { DBInstanceIdentifier: id },
      opts,
    );
    return out.DBInstances?.[0];
  } catch (err) {
    if (isAwsError(err, 'DBInstanceNotFoundFault', 'DBInstanceNotFound')) return undefined;
    throw err;
  }
}

export async function findSnapshot(aws: AwsApi, idOrArn: string, opts?: Opts): Promise<DbSnapshot | undefined> {
  try {
    const out = await aws.send<{ DBSnapshots?: DbSnapshot[] }>(
      'rds',
      'DescribeDBSnapshots',
      { DBSnapshotIdentifier: idOrArn },
      opts,
    );
    return out.DBSnapshots?.[0];
  } catch (err) {
    if (isAwsError(err, 'DBSnapshotNotFoundFault', 'DBSnapshotNotFound')) return undefined;
    throw err;
  }
}

/**
 * The resource's tags: its TagList when the Describe answer carried one (RDS includes it), else
 * ListTagsForResource by ARN — so ownership never depends on an answer that left tags out.
 */
export async function tagsOf(
  aws: AwsApi,
  resource: { TagList?: Tag[]; DBClusterArn?: string; DBInstanceArn?: string; DBSnapshotArn?: string } | undefined,
  opts?: Opts,
): Promise<Tag[] | undefined> {
  if (!resource) return undefined;
  if (resource.TagList) return resource.TagList;
  const arn = resource.DBClusterArn ?? resource.DBInstanceArn ?? resource.DBSnapshotArn;
  if (!arn) return undefined;
  const out = await aws.send<{ TagList?: Tag[] }>('rds', 'ListTagsForResource', { ResourceName: arn }, opts);
  return out.TagList ?? [];
}

/** Ownership tags last, so a user tag can never fake or hide them. */
export function withOwnershipTags(
  planName: string,
  stepId: string,
  userTags?: Record<string, string>,
): Array<{ Key: string; Value: string }> {
  const own = ownershipTags(planName, stepId);
  const user = Object.entries(userTags ?? {})
    .filter(([k]) => !own.some((t) => t.Key === k))
    .map(([Key, Value]) => ({ Key, Value }));
  return [...user, ...own];
}

/**
 * Throws a StepFailed when an existing resource is not ours. `what` names it for the user
 * ("DB cluster orders-aurora"); `rename` says which plan field to change.
 */
export function assertOurs(
  tags: Tag[] | undefined,
  ctx: { planName: string; stepId: string },
  what: string,
  rename: string,
): void {
  if (isOurs(tags, ctx.planName, ctx.stepId)) return;
  throw new StepFailed(ctx.stepId, notOursMessage(tags, what, rename));
}

export function notOursMessage(tags: Tag[] | undefined, what: string, rename: string): string {
  const plan = tags?.find((t) => t.Key === 'aurora-migrate:plan')?.Value;
  const step = tags?.find((t) => t.Key === 'aurora-migrate:step')?.Value;
  const owner = plan ? `it belongs to plan "${plan}" step "${step ?? '?'}"` : 'it has no aurora-migrate:plan/step tags';
  return (
    `${what} already exists and was not created by this step (${owner}), so it is not adopted. ` +
    `Choose another ${rename} in the plan, or remove that resource if it is a leftover you own, then run aurora-migrate apply again.`
  );
}

// ---- AWS error names (AwsCallError carries them as `code`, a raw SDK error as `name`) ----

/** The AWS error name (e.g. DBClusterNotFoundFault), or undefined for a non-AWS error. */
export function awsErrorCode(err: unknown): string | undefined {
  if (!err || typeof err !== 'object') return undefined;
  const e = err as { code?: unknown; name?: unknown; Code?: unknown };
  if (typeof e.code === 'string' && e.code !== '') return e.code;
  if (typeof e.Code === 'string' && e.Code !== '') return e.Code;
  if (typeof e.name === 'string' && e.name !== 'Error') return e.name;
  return undefined;
}

/** True when the error has one of the given AWS error names. */
export function isAwsError(err: unknown, ...codes: string[]): boolean {
  const code = awsErrorCode(err);
  return code !== undefined && codes.includes(code);
}

/** A short "Name: message" for error texts. */
export function describeAwsError(err: unknown): string {
  const code = awsErrorCode(err);
  const message = err instanceof Error ? err.message : String(err);
  const text = code && !message.startsWith(code) ? `${code}: ${message}` : message;
  return withoutPeriod(text);
}

/** Text without its final period, so it can be followed by ". Next sentence". */
export function withoutPeriod(text: string): string {
  return text.trim().replace(/\.+$/, '');
}
