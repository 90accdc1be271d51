// Step type "snapshot-migrate": a DB snapshot (fresh from `source`, or the given `snapshot`, copied
// into the plan's region when it lives elsewhere) → RestoreDBClusterFromSnapshot by ARN →
// CreateDBInstance → wait until both are available. Convergent: observe, adopt ours, checkpoint, act.
import { StepFailed } from '../../errors.js';
import type { SnapshotMigrateSpec } from '../../plan/types.js';
import { durationMs } from '../../plan/units.js';
import type { DescribeEnv, PlannedAction, StepContext, StepModule } from '../step.js';
import {
  clusterCommonParams,
  createInstanceParams,
  ensureCluster,
  ensureInstance,
  instanceIdOf,
  targetOutputs,
  waitTargetAvailable,
} from '../../rds/aurora-target.js';
import { isArn, parseArn, MAX_SNAPSHOT_ID, runScopedId } from '../../rds/identifiers.js';
import { findSnapshot, type DbSnapshot } from '../../rds/resources.js';
import {
  copySnapshotParams,
  createSnapshotParams,
  ensureSnapshot,
  waitSnapshotAvailable,
} from '../../rds/snapshots.js';
import { checkSnapshot } from '../../rds/compatibility.js';
import { snapshotMigratePreflight } from './preflight.js';
import { present } from '../../invariant.js';

export const DEFAULT_SNAPSHOT_MIGRATE_TIMEOUT = '12h';

export function restoreClusterParams(
  spec: SnapshotMigrateSpec,
  env: { planName: string; stepId: string },
  snapshot: { arn: string; engineVersion: string },
): Record<string, unknown> {
  return {
    DBClusterIdentifier: spec.cluster,
    SnapshotIdentifier: snapshot.arn,
    Engine: 'aurora-postgresql',
    EngineVersion: spec.engineVersion ?? snapshot.engineVersion,
    ...(spec.kmsKeyId ? { KmsKeyId: spec.kmsKeyId } : {}),
    ...clusterCommonParams(spec, env),
  };
}

/** A snapshot ARN from a region other than the plan's must be copied first. */
export function needsCopy(
  snapshot: string | undefined,
  region: string | undefined,
): { arn: string; region: string } | undefined {
  if (!snapshot || !isArn(snapshot) || !region) return undefined;
  const arn = parseArn(snapshot);
  return arn?.region && arn.region !== region ? { arn: snapshot, region: arn.region } : undefined;
}

export const freshSnapshotId = (env: { planName: string; stepId: string }, runId?: string) =>
  runScopedId(env.planName, env.stepId, runId, MAX_SNAPSHOT_ID);
export const copySnapshotId = (env: { planName: string; stepId: string }, runId?: string) =>
  runScopedId(env.planName, env.stepId, runId, MAX_SNAPSHOT_ID, 'copy');

export const snapshotMigrate: StepModule<SnapshotMigrateSpec> = {
  type: 'snapshot-migrate',
  outputs: ['snapshotArn', 'clusterId', 'clusterArn', 'instanceId', 'endpoint', 'readerEndpoint', 'port'],

  describe(spec: SnapshotMigrateSpec, env: DescribeEnv): PlannedAction[] {
    const timeoutMs = durationMs(spec.timeout, DEFAULT_SNAPSHOT_MIGRATE_TIMEOUT);
    const actions: PlannedAction[] = [];
    let snapshotArn: string;
    if (spec.source) {
      const id = freshSnapshotId(env);
      actions.push({
        kind: 'aws',
        service: 'rds',
        operation: 'CreateDBSnapshot',
        params: createSnapshotParams(spec.source, id, env, spec.tags),
      });
      actions.push({ kind: 'wait', for: `snapshot ${id} to be available`, timeoutMs, pollEveryMs: 30_000 });
      snapshotArn = `<ARN of snapshot ${id}>`;
    } else {
      const copy = needsCopy(spec.snapshot, env.region);
      if (copy) {
        const id = copySnapshotId(env);
        actions.push({
          kind: 'aws',
          service: 'rds',
          operation: 'CopyDBSnapshot',
          params: copySnapshotParams(copy.arn, copy.region, id, spec.kmsKeyId, env, spec.tags),
          note: `into ${env.region}; an encrypted snapshot needs kmsKeyId of ${env.region}`,
        });
        actions.push({ kind: 'wait', for: `snapshot ${id} to be available`, timeoutMs, pollEveryMs: 30_000 });
        snapshotArn = `<ARN of snapshot ${id}>`;
      } else {
        actions.push({
          kind: 'check',
          description: `DescribeDBSnapshots ${spec.snapshot}: exists, PostgreSQL, available`,
        });
        snapshotArn = spec.snapshot && isArn(spec.snapshot) ? spec.snapshot : `<ARN of snapshot ${spec.snapshot}>`;
      }
    }
    actions.push({
      kind: 'check',
      description: `adopt cluster ${spec.cluster} and instance ${instanceIdOf(spec)} if this step created them before; fail if they exist but are not ours`,
    });
    actions.push({
      kind: 'aws',
      service: 'rds',
      operation: 'RestoreDBClusterFromSnapshot',
      params: restoreClusterParams(spec, env, { arn: snapshotArn, engineVersion: '<engine version of the snapshot>' }),
    });
    actions.push({
      kind: 'aws',
      service: 'rds',
      operation: 'CreateDBInstance',
      params: createInstanceParams(spec, env),
    });
    actions.push({
      kind: 'wait',
      for: `cluster ${spec.cluster} and instance ${instanceIdOf(spec)} to be available`,
      timeoutMs,
      pollEveryMs: 30_000,
    });
    return actions;
  },

  preflight: snapshotMigratePreflight,

  async run(spec: SnapshotMigrateSpec, ctx: StepContext): Promise<Record<string, unknown>> {
    const timeoutMs = durationMs(spec.timeout, DEFAULT_SNAPSHOT_MIGRATE_TIMEOUT);
    const cp = (ctx.checkpoint.get() ?? {}) as {
      snapshotArn?: string;
      snapshotEngineVersion?: string;
      snapshotId?: string;
    };
    let snapshot: { arn: string; engineVersion: string };
    if (cp.snapshotArn && cp.snapshotEngineVersion) {
      snapshot = { arn: cp.snapshotArn, engineVersion: cp.snapshotEngineVersion };
    } else {
      const snap = await obtainSnapshot(spec, ctx, timeoutMs, cp.snapshotId);
      snapshot = checkSnapshot(spec, snap, ctx.stepId);
      await ctx.checkpoint.set({
        ...ctx.checkpoint.get(),
        phase: 'snapshot available',
        snapshotArn: snapshot.arn,
        snapshotEngineVersion: snapshot.engineVersion,
      });
    }
    await ensureCluster(ctx, spec.cluster, {
      operation: 'RestoreDBClusterFromSnapshot',
      params: restoreClusterParams(spec, ctx, snapshot),
    });
    await ensureInstance(ctx, spec, timeoutMs);
    const { cluster } = await waitTargetAvailable(ctx, spec, timeoutMs);
    await ctx.checkpoint.set({ ...ctx.checkpoint.get(), phase: 'available' });
    return { snapshotArn: snapshot.arn, ...targetOutputs(cluster, instanceIdOf(spec)) };
  },
};

async function obtainSnapshot(
  spec: SnapshotMigrateSpec,
  ctx: StepContext,
  timeoutMs: number,
  checkpointedId?: string,
): Promise<DbSnapshot> {
  if (spec.source) {
    const id = checkpointedId ?? freshSnapshotId(ctx, ctx.runId);
    ctx.progress(`snapshot ${id} of ${spec.source}`);
    return ensureSnapshot(
      ctx,
      id,
      'CreateDBSnapshot',
      createSnapshotParams(spec.source, id, ctx, spec.tags),
      timeoutMs,
    );
  }
  const given = present(spec.snapshot, 'the snapshot of a step without source');
  const copy = needsCopy(given, ctx.region);
  if (copy) {
    const original = await findSnapshot(ctx.aws, copy.arn, { region: copy.region });
    if (!original) {
      throw new StepFailed(
        ctx.stepId,
        `DB snapshot ${given} was not found in ${copy.region}. Check "snapshot" in the plan, then run aurora-migrate apply again.`,
      );
    }
    if (original.Encrypted && !spec.kmsKeyId) {
      throw new StepFailed(
        ctx.stepId,
        `DB snapshot ${given} is encrypted and lives in ${copy.region}; copying it into ${ctx.region} needs a KMS key of ${ctx.region}. Set "kmsKeyId" in the plan, then run aurora-migrate apply again.`,
      );
    }
    const id = checkpointedId ?? copySnapshotId(ctx, ctx.runId);
    ctx.progress(`copying snapshot ${given} into ${ctx.region} as ${id}`);
    return ensureSnapshot(
      ctx,
      id,
      'CopyDBSnapshot',
      copySnapshotParams(copy.arn, copy.region, id, spec.kmsKeyId, ctx, spec.tags),
      timeoutMs,
    );
  }
  return waitSnapshotAvailable(ctx, given, timeoutMs);
}
