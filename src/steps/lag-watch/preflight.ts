// Read-only checks for lag-watch: the watched instances exist, the lag and guard metrics are
// readable (one GetMetricData), and no guard would trip right now.
import type { LagWatchSpec } from '../../plan/types.js';
import type { CheckResult, PreflightContext } from '../step.js';
import { guardsOf, lagWatchQueries, trippedGuard, type Guard } from '../../rds/guards.js';
import { fmtMetric, metricDataParams, MINUTE, seriesById, type MetricQuery } from '../../rds/metrics.js';
import { findInstance } from '../../rds/resources.js';
import { guarded, known, nowOf, skipped } from '../preflight-helpers.js';
import { present } from '../../invariant.js';

export async function lagWatchPreflight(spec: LagWatchSpec, ctx: PreflightContext): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  const replicaKnown = known(spec.replica);
  const sourceKnown = known(spec.source);
  if (!replicaKnown) results.push(skipped('replica lag metric readable', 'replica', spec.replica));
  if (spec.source !== undefined && !sourceKnown) results.push(skipped('source exists', 'source', spec.source));
  if (sourceKnown) {
    results.push(
      ...(await guarded('source exists', async () => {
        const src = await findInstance(ctx.aws, present(spec.source, 'the source of the step'), { signal: ctx.signal });
        return src
          ? { status: 'pass', check: 'source exists', detail: `DB instance ${spec.source}: ${src.DBInstanceStatus}` }
          : {
              status: 'fail',
              check: 'source exists',
              detail: `DB instance ${spec.source} was not found in this account/region`,
            };
      })),
    );
  }
  let guards: Guard[];
  try {
    guards = guardsOf(spec, ctx.stepId).filter((g) => known(g.instance));
  } catch (err) {
    return [...results, { status: 'fail', check: 'guards', detail: (err as Error).message }];
  }
  const queries: MetricQuery[] = replicaKnown
    ? lagWatchQueries(spec.replica, guards)
    : lagWatchQueries('unused', guards).slice(1);
  if (queries.length === 0) return results;
  results.push(
    ...(await guarded('metrics readable', async () => {
      const now = nowOf(ctx);
      const series = seriesById(
        await ctx.aws.send('cloudwatch', 'GetMetricData', metricDataParams(queries, now - 15 * MINUTE, now), {
          signal: ctx.signal,
        }),
      );
      const out: CheckResult[] = [];
      if (replicaKnown) {
        const lag = series.get('lag')?.[0];
        out.push(
          lag
            ? {
                status: 'pass',
                check: 'replica lag metric readable',
                detail: `RDSToAuroraPostgreSQLReplicaLag of ${spec.replica}: ${lag.v}s`,
              }
            : {
                status: 'warn',
                check: 'replica lag metric readable',
                detail: `no RDSToAuroraPostgreSQLReplicaLag datapoint for ${spec.replica} in the last 15 minutes (the replica may not exist yet)`,
              },
        );
      }
      for (const g of guards) {
        const p = series.get(g.id)?.[0];
        const check = `guard ${g.spec.metric} on ${g.spec.on} readable`;
        out.push(
          p
            ? { status: 'pass', check, detail: `${g.spec.metric} of ${g.instance}: ${fmtMetric(g.spec.metric, p.v)}` }
            : {
                status: 'warn',
                check,
                detail: `no ${g.spec.metric} datapoint for ${g.instance} in the last 15 minutes`,
              },
        );
      }
      const trip = trippedGuard(guards, series);
      if (trip) out.push({ status: 'fail', check: 'no guard trips now', detail: `${trip.what}. ${trip.remedy}` });
      return out;
    })),
  );
  return results;
}
