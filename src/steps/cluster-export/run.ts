// Step type "cluster-export": StartExportTask of an Aurora cluster to S3 with a deterministic id
// (unique per plan, step and run unless exportId is given), adopting the task when it is ours, then
// following DescribeExportTasks to COMPLETE. Skipped-table warnings become step warnings and outputs.
import { StepFailed } from '../../errors.js';
import type { ClusterExportSpec } from '../../plan/types.js';
import { durationMs } from '../../plan/units.js';
import type { DescribeEnv, PlannedAction, StepContext, StepModule } from '../step.js';
import { rdsFailure } from '../../rds/aurora-target.js';
import { isArn, MAX_EXPORT_ID, runScopedId } from '../../rds/identifiers.js';
import { isAwsError, withoutPeriod, findCluster } from '../../rds/resources.js';
import { clusterExportPreflight } from './preflight.js';

export const DEFAULT_EXPORT_TIMEOUT = '24h';
export const EXPORT_POLL_MS = 60_000;

export interface ExportTask {
  ExportTaskIdentifier?: string;
  SourceArn?: string;
  S3Bucket?: string;
  S3Prefix?: string;
  Status?: string;
  PercentProgress?: number;
  TotalExtractedDataInGB?: number;
  FailureCause?: string;
  WarningMessage?: string;
}

export const exportIdOf = (spec: ClusterExportSpec, env: { planName: string; stepId: string }, runId?: string) =>
  spec.exportId ?? runScopedId(env.planName, env.stepId, runId, MAX_EXPORT_ID);

export function startExportParams(
  spec: ClusterExportSpec,
  exportId: string,
  clusterArn: string,
): Record<string, unknown> {
  return {
    ExportTaskIdentifier: exportId,
    SourceArn: clusterArn,
    S3BucketName: spec.bucket,
    ...(spec.prefix ? { S3Prefix: spec.prefix } : {}),
    IamRoleArn: spec.iamRole,
    KmsKeyId: spec.kmsKey,
    ...(spec.only?.length ? { ExportOnly: [...spec.only] } : {}),
  };
}

/** Ours = same source, bucket and prefix as this step would send. */
export function isOurExport(task: ExportTask, params: Record<string, unknown>): boolean {
  return (
    task.SourceArn === params.SourceArn &&
    task.S3Bucket === params.S3BucketName &&
    (task.S3Prefix ?? '') === ((params.S3Prefix as string | undefined) ?? '')
  );
}

export async function findExportTask(ctx: StepContext, id: string): Promise<ExportTask | undefined> {
  try {
    const out = await ctx.aws.send<{ ExportTasks?: ExportTask[] }>('rds', 'DescribeExportTasks', {
      ExportTaskIdentifier: id,
    });
    return out.ExportTasks?.find((t) => t.ExportTaskIdentifier === id) ?? out.ExportTasks?.[0];
  } catch (err) {
    if (isAwsError(err, 'ExportTaskNotFoundFault', 'ExportTaskNotFound')) return undefined;
    throw err;
  }
}

export const clusterExport: StepModule<ClusterExportSpec> = {
  type: 'cluster-export',
  outputs: ['exportId', 'totalExtractedGB', 'warnings'],

  describe(spec: ClusterExportSpec, env: DescribeEnv): PlannedAction[] {
    const timeoutMs = durationMs(spec.timeout, DEFAULT_EXPORT_TIMEOUT);
    const id = exportIdOf(spec, env);
    const arn = isArn(spec.cluster) ? spec.cluster : `<ARN of DB cluster ${spec.cluster}>`;
    return [
      {
        kind: 'check',
        description: `DescribeExportTasks ${id}: adopt it if it exports the same cluster to the same bucket and prefix; fail if it is another export`,
      },
      { kind: 'aws', service: 'rds', operation: 'StartExportTask', params: startExportParams(spec, id, arn) },
      { kind: 'wait', for: `export ${id} to be COMPLETE`, timeoutMs, pollEveryMs: EXPORT_POLL_MS },
    ];
  },

  preflight: clusterExportPreflight,

  async run(spec: ClusterExportSpec, ctx: StepContext): Promise<Record<string, unknown>> {
    const timeoutMs = durationMs(spec.timeout, DEFAULT_EXPORT_TIMEOUT);
    const cp = (ctx.checkpoint.get() ?? {}) as { exportId?: string; clusterArn?: string };
    const exportId = cp.exportId ?? exportIdOf(spec, ctx, ctx.runId);
    let clusterArn = cp.clusterArn ?? (isArn(spec.cluster) ? spec.cluster : undefined);
    if (!clusterArn) {
      const cluster = await findCluster(ctx.aws, spec.cluster);
      if (!cluster?.DBClusterArn) {
        throw new StepFailed(
          ctx.stepId,
          `DB cluster ${spec.cluster} was not found. Check "cluster" in the plan (and the region), then run aurora-migrate apply again.`,
        );
      }
      clusterArn = cluster.DBClusterArn;
    }
    const params = startExportParams(spec, exportId, clusterArn);
    const notOurs = (t: ExportTask) =>
      new StepFailed(
        ctx.stepId,
        `export task ${exportId} already exists for another export (source ${t.SourceArn}, s3://${t.S3Bucket}/${t.S3Prefix ?? ''}), so it is not adopted. ` +
          `Set a different "exportId" in the plan (or remove it to get a generated one), then run aurora-migrate apply again.`,
      );

    const existing = await findExportTask(ctx, exportId);
    if (existing) {
      if (!isOurExport(existing, params)) throw notOurs(existing);
      ctx.event('adopted', { resource: 'ExportTask', id: exportId, status: existing.Status });
    } else {
      await ctx.checkpoint.set({ ...ctx.checkpoint.get(), phase: 'StartExportTask sent', exportId, clusterArn });
      try {
        await ctx.aws.send('rds', 'StartExportTask', params);
      } catch (err) {
        if (!isAwsError(err, 'ExportTaskAlreadyExistsFault', 'ExportTaskAlreadyExists'))
          throw rdsFailure(ctx, `StartExportTask ${exportId}`, err);
        const now = await findExportTask(ctx, exportId);
        if (!now || !isOurExport(now, params)) throw notOurs(now ?? {});
        ctx.event('adopted', { resource: 'ExportTask', id: exportId, status: now.Status });
      }
    }

    const warnings: string[] = [];
    const task = await ctx.poll({
      what: `export ${exportId} to be COMPLETE`,
      everyMs: EXPORT_POLL_MS,
      timeoutMs,
      check: async () => {
        const t = await findExportTask(ctx, exportId);
        if (!t)
          throw new StepFailed(
            ctx.stepId,
            `export task ${exportId} disappeared while waiting for it. Run aurora-migrate apply again.`,
          );
        if (t.WarningMessage && !warnings.includes(t.WarningMessage)) {
          warnings.push(t.WarningMessage);
          ctx.warn(
            `export ${exportId}: ${withoutPeriod(t.WarningMessage)} (some tables may have been skipped: verify row counts in the export)`,
          );
        }
        const status = t.Status ?? 'unknown';
        if (status === 'COMPLETE') return { done: true, value: t };
        if (status === 'FAILED') {
          throw new StepFailed(
            ctx.stepId,
            `export task ${exportId} FAILED: ${withoutPeriod(t.FailureCause ?? 'no FailureCause given')}. Fix the cause (IAM role ${spec.iamRole}, KMS key, bucket ${spec.bucket}), set a new "exportId" or start a new run, then run aurora-migrate apply again.`,
          );
        }
        if (status === 'CANCELED' || status === 'CANCELING') {
          throw new StepFailed(
            ctx.stepId,
            `export task ${exportId} was canceled (${status}). Set a new "exportId" (or start a new run of the plan) to export again.`,
          );
        }
        const pct = t.PercentProgress !== undefined ? ` ${t.PercentProgress}%` : '';
        return { done: false, detail: `export ${exportId}: ${status}${pct}` };
      },
    });
    await ctx.checkpoint.set({ ...ctx.checkpoint.get(), phase: 'COMPLETE' });
    return { exportId, totalExtractedGB: task.TotalExtractedDataInGB ?? 0, warnings };
  },
};
