// The DB cluster parameter group of aurora-cluster: created (tagged) with rds.logical_replication = 1
// when missing, so the new cluster can publish later (reverse replication for the fallback) without
// a reboot; a group of ours left half-made by a crash gets its value; someone else's is used as it is
// (a warning says when it does not allow publishing).
import { StepFailed } from '../../errors.js';
import type { AuroraClusterSpec } from '../../plan/types.js';
import type { StepContext } from '../step.js';
import { rdsFailure } from '../../rds/aurora-target.js';
import { isOurs } from '../../rds/ownership.js';
import {
  clusterFamilyOf,
  findClusterParameterGroup,
  groupParameters,
  groupTags,
  LOGICAL_REPLICATION,
} from '../../rds/parameter-groups.js';
import { isAwsError, withOwnershipTags } from '../../rds/resources.js';

export function createClusterGroupParams(
  spec: AuroraClusterSpec,
  env: { planName: string; stepId: string },
): Record<string, unknown> {
  return {
    DBClusterParameterGroupName: spec.clusterParameterGroup,
    DBParameterGroupFamily: clusterFamilyOf(spec.engineVersion),
    Description: `aurora-migrate: logical replication allowed on ${spec.cluster} (plan ${env.planName}, step ${env.stepId})`,
    Tags: withOwnershipTags(env.planName, env.stepId, spec.tags),
  };
}

export const modifyClusterGroupParams = (spec: AuroraClusterSpec) => ({
  DBClusterParameterGroupName: spec.clusterParameterGroup,
  Parameters: [{ ParameterName: LOGICAL_REPLICATION, ParameterValue: '1', ApplyMethod: 'pending-reboot' }],
});

export async function ensureClusterParameterGroup(spec: AuroraClusterSpec, ctx: StepContext): Promise<void> {
  const name = spec.clusterParameterGroup;
  const family = clusterFamilyOf(spec.engineVersion);
  let group = await findClusterParameterGroup(ctx.aws, name);
  let ours: boolean;
  if (!group) {
    await ctx.checkpoint.set({ ...ctx.checkpoint.get(), phase: 'CreateDBClusterParameterGroup sent' });
    try {
      await ctx.aws.send('rds', 'CreateDBClusterParameterGroup', createClusterGroupParams(spec, ctx));
    } catch (err) {
      if (!isAwsError(err, 'DBParameterGroupAlreadyExistsFault', 'DBParameterGroupAlreadyExists'))
        throw rdsFailure(ctx, `CreateDBClusterParameterGroup ${name}`, err);
    }
    group = await findClusterParameterGroup(ctx.aws, name);
    if (!group)
      throw new StepFailed(
        ctx.stepId,
        `DB cluster parameter group ${name} was created but cannot be found; run aurora-migrate apply again.`,
      );
    ours = true;
  } else {
    ours = isOurs(await groupTags(ctx.aws, group.arn), ctx.planName, ctx.stepId);
    if (ours) ctx.event('adopted', { resource: 'DBClusterParameterGroup', id: name });
  }
  if (group.family !== family) {
    throw new StepFailed(
      ctx.stepId,
      `DB cluster parameter group ${name} is of family ${group.family}, but engineVersion ${spec.engineVersion} needs ${family}. ` +
        `Choose another "clusterParameterGroup" name, then run aurora-migrate apply again.`,
    );
  }
  const value = (await groupParameters(ctx.aws, name, 'cluster')).get(LOGICAL_REPLICATION)?.ParameterValue;
  if (value === '1') return;
  if (!ours) {
    ctx.warn(
      `DB cluster parameter group ${name} is not this step's and has ${LOGICAL_REPLICATION} = ${value ?? 'unset'}: the cluster cannot publish (reverse replication) until it is 1 and the cluster rebooted`,
    );
    return;
  }
  await ctx.checkpoint.set({ ...ctx.checkpoint.get(), phase: 'ModifyDBClusterParameterGroup sent' });
  try {
    await ctx.aws.send('rds', 'ModifyDBClusterParameterGroup', modifyClusterGroupParams(spec));
  } catch (err) {
    throw rdsFailure(ctx, `ModifyDBClusterParameterGroup ${name}`, err);
  }
}
