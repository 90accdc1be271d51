// DB snapshots for snapshot-migrate: a fresh tagged snapshot of an instance, or a copy of another
// region's snapshot into the plan's region; each observed first, adopted when ours, then waited for.
import { StepFailed } from '../errors.js';
import type { RdsContext } from './context.js';
import { isAwsError, assertOurs, tagsOf, findSnapshot, withOwnershipTags, type DbSnapshot } from './resources.js';
import { RESOURCE_POLL_MS, rdsFailure } from './aurora-target.js';

const SNAPSHOT_FAILED = new Set(['deleted', 'deleting', 'failed', 'incompatible-restore', 'incompatible-parameters']);

export function createSnapshotParams(
  source: string,
  snapshotId: string,
  env: { planName: string; stepId: string },
  tags?: Record<string, string>,
): Record<string, unknown> {
  return {
    DBInstanceIdentifier: source,
    DBSnapshotIdentifier: snapshotId,
    Tags: withOwnershipTags(env.planName, env.stepId, tags),
  };
}

export function copySnapshotParams(
  sourceArn: string,
  sourceRegion: string,
  targetId: string,
  kmsKeyId: string | undefined,
  env: { planName: string; stepId: string },
  tags?: Record<string, string>,
): Record<string, unknown> {
  return {
    SourceDBSnapshotIdentifier: sourceArn,
    TargetDBSnapshotIdentifier: targetId,
    SourceRegion: sourceRegion,
    ...(kmsKeyId ? { KmsKeyId: kmsKeyId } : {}),
    Tags: withOwnershipTags(env.planName, env.stepId, tags),
  };
}

/** Observe → adopt (ours) or checkpoint + send `operation` → wait until available. Returns the snapshot. */
export async function ensureSnapshot(
  ctx: RdsContext,
  snapshotId: string,
  operation: 'CreateDBSnapshot' | 'CopyDBSnapshot',
  params: Record<string, unknown>,
  timeoutMs: number,
): Promise<DbSnapshot> {
  const existing = await findSnapshot(ctx.aws, snapshotId);
  if (existing) {
    assertOurs(await tagsOf(ctx.aws, existing), ctx, `DB snapshot ${snapshotId}`, 'snapshot (or run)');
    ctx.event('adopted', { resource: 'DBSnapshot', id: snapshotId, status: existing.Status });
  } else {
    await ctx.checkpoint.set({ ...ctx.checkpoint.get(), phase: `${operation} sent`, snapshotId });
    try {
      await ctx.aws.send('rds', operation, params);
    } catch (err) {
      if (!isAwsError(err, 'DBSnapshotAlreadyExists', 'DBSnapshotAlreadyExistsFault'))
        throw rdsFailure(ctx, `${operation} ${snapshotId}`, err);
      const now = await findSnapshot(ctx.aws, snapshotId);
      assertOurs(await tagsOf(ctx.aws, now), ctx, `DB snapshot ${snapshotId}`, 'snapshot (or run)');
    }
  }
  return waitSnapshotAvailable(ctx, snapshotId, timeoutMs);
}

export async function waitSnapshotAvailable(ctx: RdsContext, idOrArn: string, timeoutMs: number): Promise<DbSnapshot> {
  return ctx.poll({
    what: `snapshot ${idOrArn} to be available`,
    everyMs: RESOURCE_POLL_MS,
    timeoutMs,
    check: async () => {
      const snap = await findSnapshot(ctx.aws, idOrArn);
      if (!snap) {
        throw new StepFailed(
          ctx.stepId,
          `DB snapshot ${idOrArn} was not found (deleted?). Check "snapshot"/"source" in the plan, then run aurora-migrate apply again.`,
        );
      }
      const status = snap.Status ?? 'unknown';
      if (status === 'available') return { done: true, value: snap };
      if (SNAPSHOT_FAILED.has(status)) {
        throw new StepFailed(
          ctx.stepId,
          `DB snapshot ${idOrArn} is in state "${status}" (expected "available"). Use another snapshot, or delete this one and run aurora-migrate apply again.`,
        );
      }
      const pct = snap.PercentProgress !== undefined ? ` ${snap.PercentProgress}%` : '';
      return { done: false, detail: `snapshot ${idOrArn}: ${status}${pct}` };
    },
  });
}
