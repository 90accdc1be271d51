// The Aurora cluster + first instance that snapshot-migrate and aurora-read-replica both create:
// parameter builders (shared by describe() and run() so the dry-run shows exactly what is sent),
// observe-adopt-create for cluster and instance, and the wait until both are available.
import { StepFailed } from '../errors.js';
import type { InstanceSpec } from '../plan/types.js';
import type { RdsContext } from './context.js';
import {
  describeAwsError,
  isAwsError,
  assertOurs,
  tagsOf,
  findCluster,
  findInstance,
  withOwnershipTags,
  type DbCluster,
  type DbInstance,
} from './resources.js';

/** Real-AWS interval between polls of a resource being created (RDS reports change slowly). */
export const RESOURCE_POLL_MS = 30_000;

export interface TargetSpec {
  cluster: string;
  instance: InstanceSpec;
  subnetGroup?: string;
  securityGroups?: string[];
  tags?: Record<string, string>;
}

export const instanceIdOf = (spec: TargetSpec) => spec.instance.id ?? `${spec.cluster}-1`;

/** Network and tag parameters common to CreateDBCluster and RestoreDBClusterFromSnapshot. */
export function clusterCommonParams(
  spec: TargetSpec,
  env: { planName: string; stepId: string },
): Record<string, unknown> {
  return {
    ...(spec.subnetGroup ? { DBSubnetGroupName: spec.subnetGroup } : {}),
    ...(spec.securityGroups?.length ? { VpcSecurityGroupIds: [...spec.securityGroups] } : {}),
    Tags: withOwnershipTags(env.planName, env.stepId, spec.tags),
  };
}

export function createInstanceParams(
  spec: TargetSpec,
  env: { planName: string; stepId: string },
): Record<string, unknown> {
  return {
    DBInstanceIdentifier: instanceIdOf(spec),
    DBClusterIdentifier: spec.cluster,
    DBInstanceClass: spec.instance.class,
    Engine: 'aurora-postgresql',
    PubliclyAccessible: spec.instance.publiclyAccessible ?? false,
    Tags: withOwnershipTags(env.planName, env.stepId, spec.tags),
  };
}

const CLUSTER_FAILED = new Set([
  'failed',
  'inaccessible-encryption-credentials',
  'inaccessible-encryption-credentials-recoverable',
  'incompatible-parameters',
  'incompatible-restore',
  'deleting',
  'stopped',
  'stopping',
]);
/** Instance states that do not end by waiting (shared with enable-logical-replication). */
export const INSTANCE_FAILED = new Set([
  'failed',
  'inaccessible-encryption-credentials',
  'incompatible-parameters',
  'incompatible-restore',
  'incompatible-network',
  'incompatible-option-group',
  'storage-full',
  'deleting',
  'stopped',
  'stopping',
  'restore-error',
]);

/**
 * Observes the cluster; adopts it when ours (returns it), fails when it is someone else's, and
 * otherwise checkpoints and sends `create` (DBClusterAlreadyExistsFault → observe again).
 */
export async function ensureCluster(
  ctx: RdsContext,
  clusterId: string,
  create: { operation: string; params: Record<string, unknown>; beforeCreate?: () => void },
): Promise<DbCluster | undefined> {
  const existing = await findCluster(ctx.aws, clusterId);
  if (existing) {
    assertOurs(await tagsOf(ctx.aws, existing), ctx, `DB cluster ${clusterId}`, '"cluster" name');
    ctx.event('adopted', { resource: 'DBCluster', id: clusterId, status: existing.Status });
    return existing;
  }
  create.beforeCreate?.();
  await ctx.checkpoint.set({ ...ctx.checkpoint.get(), phase: `${create.operation} sent`, clusterId });
  try {
    await ctx.aws.send('rds', create.operation, create.params);
  } catch (err) {
    if (!isAwsError(err, 'DBClusterAlreadyExistsFault'))
      throw rdsFailure(ctx, `${create.operation} for cluster ${clusterId}`, err);
    const now = await findCluster(ctx.aws, clusterId);
    assertOurs(await tagsOf(ctx.aws, now), ctx, `DB cluster ${clusterId}`, '"cluster" name');
    return now;
  }
  return undefined;
}

/**
 * Observes the first instance; adopts it when ours and in our cluster, else checkpoints and sends
 * CreateDBInstance. While the cluster cannot take an instance yet (InvalidDBClusterStateFault) it
 * retries at the resource poll interval.
 */
export async function ensureInstance(ctx: RdsContext, spec: TargetSpec, timeoutMs: number): Promise<void> {
  const instanceId = instanceIdOf(spec);
  const existing = await findInstance(ctx.aws, instanceId);
  if (existing) {
    assertOurs(await tagsOf(ctx.aws, existing), ctx, `DB instance ${instanceId}`, '"instance.id"');
    if (existing.DBClusterIdentifier && existing.DBClusterIdentifier !== spec.cluster.toLowerCase()) {
      throw new StepFailed(
        ctx.stepId,
        `DB instance ${instanceId} belongs to cluster ${existing.DBClusterIdentifier}, not ${spec.cluster}. Set "instance.id" to a free name, then run aurora-migrate apply again.`,
      );
    }
    ctx.event('adopted', { resource: 'DBInstance', id: instanceId, status: existing.DBInstanceStatus });
    return;
  }
  const params = createInstanceParams(spec, ctx);
  await ctx.checkpoint.set({ ...ctx.checkpoint.get(), phase: 'CreateDBInstance sent', instanceId });
  await ctx.poll({
    what: `cluster ${spec.cluster} to accept instance ${instanceId}`,
    everyMs: RESOURCE_POLL_MS,
    timeoutMs,
    check: async () => {
      try {
        await ctx.aws.send('rds', 'CreateDBInstance', params);
        return { done: true, value: undefined };
      } catch (err) {
        if (isAwsError(err, 'DBInstanceAlreadyExists', 'DBInstanceAlreadyExistsFault')) {
          const now = await findInstance(ctx.aws, instanceId);
          assertOurs(await tagsOf(ctx.aws, now), ctx, `DB instance ${instanceId}`, '"instance.id"');
          return { done: true, value: undefined };
        }
        if (isAwsError(err, 'InvalidDBClusterStateFault'))
          return { done: false, detail: `cluster ${spec.cluster} not ready for an instance yet` };
        throw rdsFailure(ctx, `CreateDBInstance ${instanceId}`, err);
      }
    },
  });
}

/** Waits until the cluster and its instance are both available; returns what it saw last. */
export async function waitTargetAvailable(
  ctx: RdsContext,
  spec: TargetSpec,
  timeoutMs: number,
): Promise<{ cluster: DbCluster; instance: DbInstance }> {
  const instanceId = instanceIdOf(spec);
  return ctx.poll({
    what: `cluster ${spec.cluster} and instance ${instanceId} to be available`,
    everyMs: RESOURCE_POLL_MS,
    timeoutMs,
    check: async () => {
      const cluster = await findCluster(ctx.aws, spec.cluster);
      if (!cluster) throw gone(ctx, `DB cluster ${spec.cluster}`);
      const cs = cluster.Status ?? 'unknown';
      if (CLUSTER_FAILED.has(cs)) throw badState(ctx, `DB cluster ${spec.cluster}`, cs);
      const instance = await findInstance(ctx.aws, instanceId);
      if (!instance) throw gone(ctx, `DB instance ${instanceId}`);
      const is = instance.DBInstanceStatus ?? 'unknown';
      if (INSTANCE_FAILED.has(is)) throw badState(ctx, `DB instance ${instanceId}`, is);
      if (cs === 'available' && is === 'available') return { done: true, value: { cluster, instance } };
      const pct = cluster.PercentProgress ? ` ${cluster.PercentProgress}%` : '';
      return { done: false, detail: `cluster ${spec.cluster}: ${cs}${pct}, instance ${instanceId}: ${is}` };
    },
  });
}

export function targetOutputs(cluster: DbCluster, instanceId: string): Record<string, unknown> {
  return {
    clusterId: cluster.DBClusterIdentifier,
    clusterArn: cluster.DBClusterArn,
    instanceId,
    endpoint: cluster.Endpoint,
    readerEndpoint: cluster.ReaderEndpoint,
    port: cluster.Port,
  };
}

export function rdsFailure(ctx: { stepId: string }, what: string, err: unknown): StepFailed {
  return new StepFailed(
    ctx.stepId,
    `${what} was refused: ${describeAwsError(err)}. Fix the cause above, then run aurora-migrate apply again to resume.`,
    { cause: err },
  );
}

function gone(ctx: { stepId: string }, what: string): StepFailed {
  return new StepFailed(
    ctx.stepId,
    `${what} disappeared while waiting for it (was it deleted?). Run aurora-migrate apply again to create it anew.`,
  );
}

function badState(ctx: { stepId: string }, what: string, status: string): StepFailed {
  return new StepFailed(
    ctx.stepId,
    `${what} is in state "${status}" (expected "available"). Look at its events in the RDS console; fix or delete it, then run aurora-migrate apply again.`,
  );
}
