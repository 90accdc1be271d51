// Read-only observations of DB parameter groups and DB cluster parameter groups (NotFound mapped to
// undefined, pages followed), the parameter values that turn logical replication on, and which
// instances use a group. Shared by enable-logical-replication and aurora-cluster.
import type { AwsApi } from '../aws/api.js';
import { isAwsError, type Tag } from './resources.js';

type Opts = { signal?: AbortSignal };

export interface ParameterGroupInfo {
  name: string;
  family: string;
  arn?: string;
  description?: string;
}

export interface ParameterInfo {
  ParameterName: string;
  ParameterValue?: string;
  Source?: string;
  ApplyType?: string;
  ApplyMethod?: string;
}

/** The parameter that makes RDS set wal_level = logical (static: needs a reboot). */
export const LOGICAL_REPLICATION = 'rds.logical_replication';

/** Optional sizing parameters a plan may set with it (all static on RDS). */
export const SIZING_PARAMETERS = [
  'max_replication_slots',
  'max_wal_senders',
  'max_logical_replication_workers',
] as const;
export type SizingParameter = (typeof SIZING_PARAMETERS)[number];

export const isDefaultGroup = (name: string) => name.toLowerCase().startsWith('default.');

/** The DB cluster parameter group family of an Aurora PostgreSQL version ("17.4" → aurora-postgresql17). */
export const clusterFamilyOf = (engineVersion: string) => `aurora-postgresql${engineVersion.split('.')[0]}`;

const NOT_FOUND = [
  'DBParameterGroupNotFoundFault',
  'DBParameterGroupNotFound',
  'DBClusterParameterGroupNotFoundFault',
  'DBClusterParameterGroupNotFound',
];

export async function findParameterGroup(
  aws: AwsApi,
  name: string,
  opts?: Opts,
): Promise<ParameterGroupInfo | undefined> {
  try {
    const out = await aws.send<{ DBParameterGroups?: Array<Record<string, string>> }>(
      'rds',
      'DescribeDBParameterGroups',
      { DBParameterGroupName: name },
      opts,
    );
    const g = out.DBParameterGroups?.[0];
    return (
      g && {
        name: g.DBParameterGroupName,
        family: g.DBParameterGroupFamily,
        arn: g.DBParameterGroupArn,
        description: g.Description,
      }
    );
  } catch (err) {
    if (isAwsError(err, ...NOT_FOUND)) return undefined;
    throw err;
  }
}

export async function findClusterParameterGroup(
  aws: AwsApi,
  name: string,
  opts?: Opts,
): Promise<ParameterGroupInfo | undefined> {
  try {
    const out = await aws.send<{ DBClusterParameterGroups?: Array<Record<string, string>> }>(
      'rds',
      'DescribeDBClusterParameterGroups',
      { DBClusterParameterGroupName: name },
      opts,
    );
    const g = out.DBClusterParameterGroups?.[0];
    return (
      g && {
        name: g.DBClusterParameterGroupName,
        family: g.DBParameterGroupFamily,
        arn: g.DBClusterParameterGroupArn,
        description: g.Description,
      }
    );
  } catch (err) {
    if (isAwsError(err, ...NOT_FOUND)) return undefined;
    throw err;
  }
}

/** Every parameter of a group (DescribeDBParameters or DescribeDBClusterParameters, all pages), by name. */
export async function groupParameters(
  aws: AwsApi,
  group: string,
  kind: 'db' | 'cluster',
  opts?: Opts,
): Promise<Map<string, ParameterInfo>> {
  const operation = kind === 'db' ? 'DescribeDBParameters' : 'DescribeDBClusterParameters';
  const nameKey = kind === 'db' ? 'DBParameterGroupName' : 'DBClusterParameterGroupName';
  const found = new Map<string, ParameterInfo>();
  let marker: string | undefined;
  do {
    const out = await aws.send<{ Parameters?: ParameterInfo[]; Marker?: string }>(
      'rds',
      operation,
      { [nameKey]: group, ...(marker ? { Marker: marker } : {}) },
      opts,
    );
    for (const p of out.Parameters ?? []) found.set(p.ParameterName, p);
    marker = out.Marker;
  } while (marker);
  return found;
}

export interface InstanceGroupUse {
  DBInstanceIdentifier: string;
  DBParameterGroups?: Array<{ DBParameterGroupName?: string; ParameterApplyStatus?: string }>;
}

/** Identifiers of the DB instances (all pages of DescribeDBInstances) that use the DB parameter group. */
export async function instancesUsingGroup(aws: AwsApi, group: string, opts?: Opts): Promise<string[]> {
  const users: string[] = [];
  let marker: string | undefined;
  do {
    const out = await aws.send<{ DBInstances?: InstanceGroupUse[]; Marker?: string }>(
      'rds',
      'DescribeDBInstances',
      marker ? { Marker: marker } : {},
      opts,
    );
    for (const i of out.DBInstances ?? []) {
      if ((i.DBParameterGroups ?? []).some((g) => g.DBParameterGroupName?.toLowerCase() === group.toLowerCase()))
        users.push(i.DBInstanceIdentifier);
    }
    marker = out.Marker;
  } while (marker);
  return users;
}

/** Tags of a parameter group (DescribeDB…ParameterGroups answers carry none). */
export async function groupTags(aws: AwsApi, arn: string | undefined, opts?: Opts): Promise<Tag[] | undefined> {
  if (!arn) return undefined;
  const out = await aws.send<{ TagList?: Tag[] }>('rds', 'ListTagsForResource', { ResourceName: arn }, opts);
  return out.TagList ?? [];
}
