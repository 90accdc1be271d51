// Makes sure an IAM role is associated with an Aurora cluster for a feature (s3Import / s3Export):
// observe (DescribeDBClusters), act only when missing (AddRoleToDBCluster; "already exists" = done),
// then wait until the association is ACTIVE.
import { isAwsError } from '../../aws/errors.js';
import { StepFailed } from '../../errors.js';
import type { PlannedAction, StepContext } from '../step.js';

interface ClusterRoles {
  DBClusters?: Array<{ AssociatedRoles?: Array<{ RoleArn?: string; FeatureName?: string; Status?: string }> }>;
}

export const ROLE_WAIT_MS = 15 * 60_000;
export const ROLE_POLL_MS = 10_000;

export function roleActions(cluster: string, roleArn: string, feature: string): PlannedAction[] {
  return [
    {
      kind: 'aws',
      service: 'rds',
      operation: 'DescribeDBClusters',
      params: { DBClusterIdentifier: cluster },
      note: `is ${roleArn} associated for ${feature}?`,
    },
    {
      kind: 'aws',
      service: 'rds',
      operation: 'AddRoleToDBCluster',
      params: { DBClusterIdentifier: cluster, RoleArn: roleArn, FeatureName: feature },
      note: 'only if the role is not associated yet',
    },
    {
      kind: 'wait',
      for: `role ${roleArn} to be ACTIVE on cluster ${cluster}`,
      timeoutMs: ROLE_WAIT_MS,
      pollEveryMs: ROLE_POLL_MS,
    },
  ];
}

export async function ensureClusterRole(
  ctx: StepContext,
  cluster: string,
  roleArn: string,
  feature: string,
): Promise<void> {
  const observe = async () => {
    const out = await ctx.aws.send<ClusterRoles>('rds', 'DescribeDBClusters', { DBClusterIdentifier: cluster });
    const found = out.DBClusters?.[0];
    if (!found) throw new StepFailed(ctx.stepId, `cluster ${cluster} was not found. Check the step's cluster.`);
    return (found.AssociatedRoles ?? []).find((r) => r.RoleArn === roleArn);
  };
  const wrongFeature = (role: { FeatureName?: string } | undefined) =>
    role?.FeatureName && role.FeatureName !== feature
      ? new StepFailed(
          ctx.stepId,
          `role ${roleArn} is associated with cluster ${cluster} for feature ${role.FeatureName}, not ${feature}. ` +
            `Use another role for ${feature} (a role serves one feature per cluster), then run apply again.`,
        )
      : undefined;

  let role = await observe();
  const wrong = wrongFeature(role);
  if (wrong) throw wrong;
  if (role?.Status === 'ACTIVE') return;
  if (!role) {
    try {
      await ctx.aws.send('rds', 'AddRoleToDBCluster', {
        DBClusterIdentifier: cluster,
        RoleArn: roleArn,
        FeatureName: feature,
      });
    } catch (err) {
      if (!isAwsError(err, 'DBClusterRoleAlreadyExistsFault')) throw err;
    }
  }
  await ctx.poll({
    what: `role ${roleArn} to be ACTIVE on cluster ${cluster}`,
    everyMs: ROLE_POLL_MS,
    timeoutMs: ROLE_WAIT_MS,
    check: async () => {
      role = await observe();
      const bad = wrongFeature(role);
      if (bad) throw bad;
      if (role?.Status === 'ACTIVE') return { done: true, value: undefined };
      if (role?.Status === 'INVALID') {
        throw new StepFailed(
          ctx.stepId,
          `role ${roleArn} is INVALID on cluster ${cluster} (RDS cannot assume it). ` +
            "Check the role's trust policy allows rds.amazonaws.com and its policy allows s3:GetObject/ListBucket, then run apply again.",
        );
      }
      return { done: false, detail: `role ${roleArn} on ${cluster}: ${role?.Status ?? 'not associated yet'}` };
    },
  });
}
