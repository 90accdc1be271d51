// What enable-logical-replication finds on the source and what is left to do, read-only: the
// instance's DB parameter group and ParameterApplyStatus, the plan's group (missing, ours, someone
// else's; its family), the parameter values that still differ, and the other instances that use the
// group. run() acts on it; preflight reports it.
import type { AwsApi } from '../../aws/api.js';
import type { EnableLogicalReplicationSpec } from '../../plan/types.js';
import { isOurs } from '../../rds/ownership.js';
import {
  findParameterGroup,
  groupParameters,
  groupTags,
  instancesUsingGroup,
  isDefaultGroup,
  LOGICAL_REPLICATION,
  SIZING_PARAMETERS,
  type ParameterGroupInfo,
} from '../../rds/parameter-groups.js';
import { findInstance, type DbInstance } from '../../rds/resources.js';

export interface ParameterChange {
  name: string;
  value: string;
  /** What the group has now (undefined: the parameter was not listed). */
  current?: string;
}

/** The values the plan asks for: rds.logical_replication = 1 plus the sizing parameters given. */
export function wantedParameters(
  spec: Pick<EnableLogicalReplicationSpec, 'parameters'>,
): Array<{ name: string; value: string }> {
  const wanted = [{ name: LOGICAL_REPLICATION, value: '1' }];
  for (const name of SIZING_PARAMETERS) {
    const v = spec.parameters?.[name];
    if (v !== undefined) wanted.push({ name, value: String(v) });
  }
  return wanted;
}

export const parameterChangeParams = (group: string, changes: ReadonlyArray<{ name: string; value: string }>) => ({
  DBParameterGroupName: group,
  Parameters: changes.map((c) => ({ ParameterName: c.name, ParameterValue: c.value, ApplyMethod: 'pending-reboot' })),
});

export interface SourceView {
  instance: DbInstance;
  /** The group the instance uses now, and its ParameterApplyStatus. */
  currentGroup: string;
  applyStatus: string;
  status: string;
}

export type Observation = { found: false } | ({ found: true } & SourceView);

export async function observeSource(aws: AwsApi, instanceId: string, signal?: AbortSignal): Promise<Observation> {
  const instance = await findInstance(aws, instanceId, { signal });
  if (!instance) return { found: false };
  const group = instance.DBParameterGroups?.[0];
  return {
    found: true,
    instance,
    currentGroup: group?.DBParameterGroupName ?? '',
    applyStatus: group?.ParameterApplyStatus ?? 'unknown',
    status: instance.DBInstanceStatus ?? 'unknown',
  };
}

export interface TargetGroup {
  info?: ParameterGroupInfo;
  /** Created by this plan's step (tagged). */
  ours: boolean;
}

export async function observeGroup(
  aws: AwsApi,
  name: string,
  env: { planName: string; stepId: string },
  signal?: AbortSignal,
): Promise<TargetGroup> {
  const info = await findParameterGroup(aws, name, { signal });
  if (!info) return { ours: false };
  const tags = await groupTags(aws, info.arn, { signal });
  return { info, ours: isOurs(tags, env.planName, env.stepId) };
}

/** The wanted values the group does not have yet. */
export async function pendingChanges(
  aws: AwsApi,
  group: string,
  spec: Pick<EnableLogicalReplicationSpec, 'parameters'>,
  signal?: AbortSignal,
): Promise<ParameterChange[]> {
  const params = await groupParameters(aws, group, 'db', { signal });
  return wantedParameters(spec)
    .map((w) => ({ ...w, current: params.get(w.name)?.ParameterValue }))
    .filter((c) => c.current !== c.value);
}

/** Other instances that use the group (the one being prepared left out). */
export async function otherUsers(
  aws: AwsApi,
  group: string,
  instanceId: string,
  signal?: AbortSignal,
): Promise<string[]> {
  return (await instancesUsingGroup(aws, group, { signal })).filter(
    (id) => id.toLowerCase() !== instanceId.toLowerCase(),
  );
}

export const sameName = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/** Why the instance's own custom group blocks the plan's different group, or undefined. */
export function foreignCustomGroup(current: string, wanted: string): boolean {
  return current !== '' && !isDefaultGroup(current) && !sameName(current, wanted);
}

export function describeChanges(changes: ReadonlyArray<ParameterChange>): string {
  return changes.map((c) => `${c.name} ${c.current ?? '(unset)'} → ${c.value}`).join(', ');
}
