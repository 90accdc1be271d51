// Read-only checks for aurora-read-replica: the source is an RDS PostgreSQL instance without an Aurora
// replica yet, the Aurora version is compatible, the source has storage headroom for the WAL that
// piles up during the migration, and the cluster/instance names are free (or ours).
import type { AuroraReadReplicaSpec } from '../../plan/types.js';
import { formatBytes } from '../../plan/units.js';
import type { CheckResult, PreflightContext } from '../step.js';
import { metricDataParams, MINUTE, seriesById } from '../../rds/metrics.js';
import { findInstance, type DbInstance } from '../../rds/resources.js';
import { auroraVersionProblem } from '../../rds/compatibility.js';
import { guarded, known, nowOf, skipped, targetNamesResults } from '../preflight-helpers.js';

/** "Roughly several hours per TiB" (AWS): the estimate uses 4 h per TiB, at least 1 h. */
const HOURS_PER_TIB = 4;

export async function readReplicaPreflight(spec: AuroraReadReplicaSpec, ctx: PreflightContext): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  let source: DbInstance | undefined;
  if (!known(spec.source)) {
    results.push(skipped('source is an RDS PostgreSQL instance', 'source', spec.source));
  } else {
    results.push(
      ...(await guarded('source is an RDS PostgreSQL instance', async () => {
        source = await findInstance(ctx.aws, spec.source, { signal: ctx.signal });
        if (!source)
          return {
            status: 'fail',
            check: 'source exists',
            detail: `DB instance ${spec.source} was not found in this account/region`,
          };
        if (source.Engine !== 'postgres')
          return {
            status: 'fail',
            check: 'source is PostgreSQL',
            detail: `DB instance ${spec.source} runs "${source.Engine}", not "postgres"`,
          };
        return {
          status: 'pass',
          check: 'source is an RDS PostgreSQL instance',
          detail: `${spec.source}: postgres ${source.EngineVersion}, ${source.DBInstanceStatus}`,
        };
      })),
    );
  }
  if (source?.Engine === 'postgres') {
    const found = source; // a const keeps the narrowing inside the closure below
    results.push(versionResult(source, spec.engineVersion));
    const others = (source.ReadReplicaDBClusterIdentifiers ?? []).filter(
      (c) => c.toLowerCase() !== spec.cluster.toLowerCase(),
    );
    results.push(
      others.length
        ? {
            status: 'fail',
            check: 'source has no Aurora read replica yet',
            detail: `${spec.source} already has Aurora read replica ${others.join(', ')}; RDS allows one`,
          }
        : {
            status: 'pass',
            check: 'source has no Aurora read replica yet',
            detail: `${spec.source} has no other Aurora read replica`,
          },
    );
    results.push(...(await guarded('source storage headroom for WAL', () => storageHeadroom(found, ctx))));
  }
  results.push(...(await targetNamesResults(spec, ctx)));
  return results;
}

export function versionResult(source: { EngineVersion?: string }, engineVersion: string | undefined): CheckResult {
  const check = 'Aurora engine version compatible with the source';
  if (!engineVersion)
    return { status: 'pass', check, detail: `engineVersion not set: the source's ${source.EngineVersion} is used` };
  const problem = auroraVersionProblem(source.EngineVersion ?? '', engineVersion);
  return problem
    ? { status: 'fail', check, detail: problem }
    : { status: 'pass', check, detail: `${engineVersion} is compatible with source ${source.EngineVersion}` };
}

async function storageHeadroom(source: DbInstance, ctx: PreflightContext): Promise<CheckResult> {
  const check = 'source storage headroom for WAL';
  const allocatedBytes = (source.AllocatedStorage ?? 0) * 1024 ** 3;
  const hours = Math.max(1, Math.ceil((allocatedBytes / 1024 ** 4) * HOURS_PER_TIB));
  const now = nowOf(ctx);
  const out = await ctx.aws.send(
    'cloudwatch',
    'GetMetricData',
    metricDataParams(
      [{ id: 'free', metric: 'FreeStorageSpace', instance: source.DBInstanceIdentifier, stat: 'Minimum' }],
      now - 15 * MINUTE,
      now,
    ),
    { signal: ctx.signal },
  );
  const free = seriesById(out).get('free')?.[0]?.v;
  const estimate = `migration estimate ~${hours}h for ${source.AllocatedStorage ?? '?'} GiB allocated; WAL accumulates on the source meanwhile`;
  if (free === undefined)
    return {
      status: 'warn',
      check,
      detail: `FreeStorageSpace of ${source.DBInstanceIdentifier} has no datapoint in the last 15 minutes; ${estimate}`,
    };
  const ratio = allocatedBytes > 0 ? free / allocatedBytes : 1;
  const detail = `FreeStorageSpace ${formatBytes(free)} of ${formatBytes(allocatedBytes)} allocated (${Math.round(ratio * 100)}%); ${estimate}`;
  if (ratio < 0.05) return { status: 'fail', check, detail: `${detail}. Add storage to the source before starting` };
  if (ratio < 0.2)
    return { status: 'warn', check, detail: `${detail}. Consider adding storage and a FreeStorageSpace guard` };
  return { status: 'pass', check, detail };
}
