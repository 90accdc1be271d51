// Read-only checks for the cutover steps. lag-watch: the watched instances exist, the lag and guard
// metrics are readable (one GetMetricData), and no guard would trip right now. promote: the cluster
// exists and is still a read replica; the final lag check has a replica to read.
import type { LagWatchSpec, PromoteSpec } from '../plan/types.js';
import type { CheckResult, PreflightContext } from '../steps/step.js';
import { guardsOf, lagWatchQueries, trippedGuard } from '../steps/rds/guards.js';
import { fmtMetric, metricDataParams, MINUTE, seriesById, type MetricQuery } from '../steps/rds/metrics.js';
import { findCluster, findInstance } from '../steps/rds/resources.js';
import { guarded, known, nowOf, skipped } from './common.js';

export async function lagWatchPreflight(spec: LagWatchSpec, ctx: PreflightContext): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  const replicaKnown = known(spec.replica);
  const sourceKnown = known(spec.source);
  if (!replicaKnown) results.push(skipped('replica lag metric readable', 'replica', spec.replica));
  if (spec.source !== undefined && !sourceKnown) results.push(skipped('source exists', 'source', spec.source));
  if (sourceKnown) {
    results.push(...(await guarded('source exists', async () => {
      const src = await findInstance(ctx.aws, spec.source!, { signal: ctx.signal });
      return src
        ? { status: 'pass', check: 'source exists', detail: `DB instance ${spec.source}: ${src.DBInstanceStatus}` }
        : { status: 'fail', check: 'source exists', detail: `DB instance ${spec.source} was not found in this account/region` };
    })));
  }
  let guards;
  try {
    guards = guardsOf(spec, ctx.stepId).filter((g) => known(g.instance));
  } catch (err) {
    return [...results, { status: 'fail', check: 'guards', detail: (err as Error).message }];
  }
  const queries: MetricQuery[] = replicaKnown ? lagWatchQueries(spec.replica, guards) : lagWatchQueries('unused', guards).slice(1);
  if (queries.length === 0) return results;
  results.push(...(await guarded('metrics readable', async () => {
    const now = nowOf(ctx);
    const series = seriesById(await ctx.aws.send('cloudwatch', 'GetMetricData', metricDataParams(queries, now - 15 * MINUTE, now), { signal: ctx.signal }));
    const out: CheckResult[] = [];
    if (replicaKnown) {
      const lag = series.get('lag')?.[0];
      out.push(
        lag
          ? { status: 'pass', check: 'replica lag metric readable', detail: `RDSToAuroraPostgreSQLReplicaLag of ${spec.replica}: ${lag.v}s` }
          : { status: 'warn', check: 'replica lag metric readable', detail: `no RDSToAuroraPostgreSQLReplicaLag datapoint for ${spec.replica} in the last 15 minutes (the replica may not exist yet)` },
      );
    }
    for (const g of guards) {
      const p = series.get(g.id)?.[0];
      const check = `guard ${g.spec.metric} on ${g.spec.on} readable`;
      out.push(p ? { status: 'pass', check, detail: `${g.spec.metric} of ${g.instance}: ${fmtMetric(g.spec.metric, p.v)}` } : { status: 'warn', check, detail: `no ${g.spec.metric} datapoint for ${g.instance} in the last 15 minutes` });
    }
    const trip = trippedGuard(guards, series, ctx.stepId);
    if (trip) out.push({ status: 'fail', check: 'no guard trips now', detail: trip.replace(/^step "[^"]+" failed: /, '') });
    return out;
  })));
  return results;
}

export async function promotePreflight(spec: PromoteSpec, ctx: PreflightContext): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  if (!spec.replica) results.push({ status: 'warn', check: 'final lag check', detail: 'the step has no "replica": the final lag check before promotion will be skipped' });
  if (!known(spec.cluster)) return [...results, skipped('cluster is a read replica', 'cluster', spec.cluster)];
  results.push(...(await guarded('cluster is a read replica', async () => {
    const c = await findCluster(ctx.aws, spec.cluster, { signal: ctx.signal });
    if (!c) return { status: 'warn', check: 'cluster exists', detail: `DB cluster ${spec.cluster} does not exist yet (an earlier step may create it)` };
    if (!c.ReplicationSourceIdentifier) return { status: 'warn', check: 'cluster is a read replica', detail: `DB cluster ${spec.cluster} is not a read replica (already promoted?); promote will send nothing` };
    return { status: 'pass', check: 'cluster is a read replica', detail: `DB cluster ${spec.cluster} replicates from ${c.ReplicationSourceIdentifier} (${c.Status})` };
  })));
  return results;
}
