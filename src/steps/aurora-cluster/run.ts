// Step type "aurora-cluster": a new, empty Aurora PostgreSQL cluster of any version (the logical
// route's target): its DB cluster parameter group (rds.logical_replication = 1 when this step creates
// it), CreateDBCluster with a master user whose password comes from the environment only, its first
// instance, and the wait until both are available. Convergent like the other create steps: observes,
// adopts what it created before (tags), checkpoints before every mutating call, never creates twice.
import type { AuroraClusterSpec } from '../../plan/types.js';
import { durationMs } from '../../plan/units.js';
import type { DescribeEnv, PlannedAction, StepContext, StepModule } from '../step.js';
import {
  clusterCommonParams,
  createInstanceParams,
  ensureCluster,
  ensureInstance,
  instanceIdOf,
  RESOURCE_POLL_MS,
  targetOutputs,
  waitTargetAvailable,
} from '../../rds/aurora-target.js';
import { LOGICAL_REPLICATION } from '../../rds/parameter-groups.js';
import { createClusterGroupParams, ensureClusterParameterGroup, modifyClusterGroupParams } from './parameter-group.js';
import { auroraClusterPreflight } from './preflight.js';

export const DEFAULT_AURORA_CLUSTER_TIMEOUT = '2h';

export function createEmptyClusterParams(
  spec: AuroraClusterSpec,
  env: { planName: string; stepId: string },
): Record<string, unknown> {
  return {
    DBClusterIdentifier: spec.cluster,
    Engine: 'aurora-postgresql',
    EngineVersion: spec.engineVersion,
    MasterUsername: spec.masterUsername,
    MasterUserPassword: spec.masterPassword,
    DBClusterParameterGroupName: spec.clusterParameterGroup,
    ...(spec.kmsKeyId ? { StorageEncrypted: true, KmsKeyId: spec.kmsKeyId } : {}),
    ...clusterCommonParams(spec, env),
  };
}

export const auroraCluster: StepModule<AuroraClusterSpec> = {
  type: 'aurora-cluster',
  outputs: ['clusterId', 'clusterArn', 'instanceId', 'endpoint', 'readerEndpoint', 'port', 'engineVersion'],

  describe(spec: AuroraClusterSpec, env: DescribeEnv): PlannedAction[] {
    const timeoutMs = durationMs(spec.timeout, DEFAULT_AURORA_CLUSTER_TIMEOUT);
    return [
      {
        kind: 'check',
        description: `DescribeDBClusterParameterGroups ${spec.clusterParameterGroup}, DescribeDBClusters ${spec.cluster}, DescribeDBInstances ${instanceIdOf(spec)}: adopt what this step created before; a same-named resource of someone else stops the step`,
      },
      {
        kind: 'aws',
        service: 'rds',
        operation: 'CreateDBClusterParameterGroup',
        params: createClusterGroupParams(spec, env),
        note: `only when ${spec.clusterParameterGroup} does not exist yet`,
      },
      {
        kind: 'aws',
        service: 'rds',
        operation: 'ModifyDBClusterParameterGroup',
        params: modifyClusterGroupParams(spec),
        note: `only on the group this step created, when ${LOGICAL_REPLICATION} is not 1 yet (so the cluster can publish for the fallback without a reboot)`,
      },
      {
        kind: 'aws',
        service: 'rds',
        operation: 'CreateDBCluster',
        params: createEmptyClusterParams(spec, env),
        note: 'a new, empty cluster (no replication source)',
      },
      { kind: 'aws', service: 'rds', operation: 'CreateDBInstance', params: createInstanceParams(spec, env) },
      {
        kind: 'wait',
        for: `cluster ${spec.cluster} and instance ${instanceIdOf(spec)} to be available`,
        timeoutMs,
        pollEveryMs: RESOURCE_POLL_MS,
      },
    ];
  },

  preflight: auroraClusterPreflight,

  async run(spec: AuroraClusterSpec, ctx: StepContext): Promise<Record<string, unknown>> {
    const timeoutMs = durationMs(spec.timeout, DEFAULT_AURORA_CLUSTER_TIMEOUT);
    ctx.progress(`cluster parameter group ${spec.clusterParameterGroup}`);
    await ensureClusterParameterGroup(spec, ctx);
    ctx.progress(`cluster ${spec.cluster}`);
    await ensureCluster(ctx, spec.cluster, {
      operation: 'CreateDBCluster',
      params: createEmptyClusterParams(spec, ctx),
    });
    await ensureInstance(ctx, spec, timeoutMs);
    const { cluster } = await waitTargetAvailable(ctx, spec, timeoutMs);
    await ctx.checkpoint.set({ ...ctx.checkpoint.get(), phase: 'available' });
    return {
      ...targetOutputs(cluster, instanceIdOf(spec)),
      engineVersion: cluster.EngineVersion ?? spec.engineVersion,
    };
  },
};
