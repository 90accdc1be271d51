// Read-only checks for cluster-export: the cluster exists, a given exportId is free (or ours), the
// role and key look like what StartExportTask wants.
import type { ClusterExportSpec } from '../../plan/types.js';
import type { CheckResult, PreflightContext } from '../step.js';
import { isArn } from '../../rds/identifiers.js';
import { isAwsError, findCluster } from '../../rds/resources.js';
import { guarded, known, skipped } from '../preflight-helpers.js';

export async function clusterExportPreflight(spec: ClusterExportSpec, ctx: PreflightContext): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  results.push(
    /^arn:aws[a-z-]*:iam::\d{12}:role\//.test(spec.iamRole) || !known(spec.iamRole)
      ? { status: 'pass', check: 'iamRole is an IAM role ARN', detail: spec.iamRole }
      : {
          status: 'fail',
          check: 'iamRole is an IAM role ARN',
          detail: `"${spec.iamRole}" is not arn:aws:iam::<account>:role/<name>`,
        },
  );
  let clusterArn: string | undefined;
  if (!known(spec.cluster)) results.push(skipped('cluster exists', 'cluster', spec.cluster));
  else
    results.push(
      ...(await guarded('cluster exists', async () => {
        const c = await findCluster(ctx.aws, spec.cluster, { signal: ctx.signal });
        clusterArn = c?.DBClusterArn ?? (isArn(spec.cluster) ? spec.cluster : undefined);
        return c
          ? { status: 'pass', check: 'cluster exists', detail: `DB cluster ${spec.cluster}: ${c.Status}` }
          : {
              status: 'warn',
              check: 'cluster exists',
              detail: `DB cluster ${spec.cluster} does not exist yet (an earlier step may create it)`,
            };
      })),
    );
  if (spec.exportId && known(spec.exportId)) {
    results.push(
      ...(await guarded('exportId is free or ours', async () => {
        let task: { SourceArn?: string; S3Bucket?: string; S3Prefix?: string; Status?: string } | undefined;
        try {
          const out = await ctx.aws.send<{ ExportTasks?: Array<typeof task> }>(
            'rds',
            'DescribeExportTasks',
            { ExportTaskIdentifier: spec.exportId },
            { signal: ctx.signal },
          );
          task = out.ExportTasks?.[0];
        } catch (err) {
          if (!isAwsError(err, 'ExportTaskNotFoundFault', 'ExportTaskNotFound')) throw err;
        }
        if (!task)
          return {
            status: 'pass',
            check: 'exportId is free or ours',
            detail: `export task ${spec.exportId} does not exist yet`,
          };
        const same =
          task.S3Bucket === spec.bucket &&
          (task.S3Prefix ?? '') === (spec.prefix ?? '') &&
          (!clusterArn || task.SourceArn === clusterArn);
        return same
          ? {
              status: 'pass',
              check: 'exportId is free or ours',
              detail: `export task ${spec.exportId} exists for the same cluster and destination (${task.Status}); it will be adopted`,
            }
          : {
              status: 'fail',
              check: 'exportId is free or ours',
              detail: `export task ${spec.exportId} already exists for another export (${task.SourceArn} → s3://${task.S3Bucket}/${task.S3Prefix ?? ''}); choose another exportId`,
            };
      })),
    );
  } else if (!spec.exportId) {
    results.push({
      status: 'pass',
      check: 'exportId is free',
      detail: 'a new export id unique to this plan, step and run is generated',
    });
  }
  return results;
}
