// Read-only checks for aurora-cluster: the cluster and instance names are free or ours, and the DB
// cluster parameter group is missing (it will be created), ours, or someone else's of the right
// family (a warning when it does not allow publishing).
import type { AuroraClusterSpec } from '../../plan/types.js';
import type { CheckResult, PreflightContext } from '../step.js';
import { isOurs } from '../../rds/ownership.js';
import {
  clusterFamilyOf,
  findClusterParameterGroup,
  groupParameters,
  groupTags,
  LOGICAL_REPLICATION,
} from '../../rds/parameter-groups.js';
import { guarded, known, skipped, targetNamesResults } from '../preflight-helpers.js';

export async function auroraClusterPreflight(spec: AuroraClusterSpec, ctx: PreflightContext): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  const opts = { signal: ctx.signal };
  if (known(spec.clusterParameterGroup)) {
    results.push(
      ...(await guarded(`DB cluster parameter group ${spec.clusterParameterGroup}`, async (): Promise<CheckResult> => {
        const check = `DB cluster parameter group ${spec.clusterParameterGroup}`;
        const family = clusterFamilyOf(spec.engineVersion);
        const group = await findClusterParameterGroup(ctx.aws, spec.clusterParameterGroup, opts);
        if (!group)
          return {
            status: 'pass',
            check,
            detail: `does not exist yet; it will be created (${family}) with ${LOGICAL_REPLICATION} = 1`,
          };
        if (group.family !== family)
          return {
            status: 'fail',
            check,
            detail: `is of family ${group.family}; engineVersion ${spec.engineVersion} needs ${family}`,
          };
        const ours = isOurs(await groupTags(ctx.aws, group.arn, opts), ctx.planName, ctx.stepId);
        const value = (await groupParameters(ctx.aws, group.name, 'cluster', opts)).get(
          LOGICAL_REPLICATION,
        )?.ParameterValue;
        if (value === '1' || ours)
          return {
            status: 'pass',
            check,
            detail: `exists${ours ? ' (created by this step before)' : ''}; ${LOGICAL_REPLICATION} = ${ours ? '1 (set by this step)' : value}`,
          };
        return {
          status: 'warn',
          check,
          detail: `exists and is not this step's; ${LOGICAL_REPLICATION} = ${value ?? 'unset'}: the cluster cannot publish (reverse replication) until it is 1 and the cluster rebooted`,
        };
      })),
    );
  } else {
    results.push(skipped('DB cluster parameter group', 'clusterParameterGroup', spec.clusterParameterGroup));
  }
  results.push(...(await targetNamesResults(spec, ctx)));
  return results;
}
