// lag-watch guards: `{metric, on: source|replica, below|above}` turned into metric queries and judged
// against the newest datapoint of each poll's answer.
import { StepFailed } from '../errors.js';
import type { GuardSpec, LagWatchSpec } from '../plan/types.js';
import { parseSize } from '../plan/units.js';
import { fmtMetric, LAG_METRIC, type MetricQuery, type Point } from './metrics.js';
import { present } from '../invariant.js';

export interface Guard {
  id: string;
  spec: GuardSpec;
  instance: string;
  bound: 'below' | 'above';
  threshold: number;
}

export function thresholdOf(value: string | number): number {
  if (typeof value === 'number') return value;
  const size = parseSize(value);
  if (size !== undefined) return size;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new Error(`not a number or size: ${JSON.stringify(value)}`);
  return n;
}

export function guardsOf(spec: LagWatchSpec, stepId: string): Guard[] {
  return (spec.guards ?? []).map((g, i) => {
    const instance = g.on === 'source' ? spec.source : spec.replica;
    if (!instance) {
      throw new StepFailed(
        stepId,
        `guard ${g.metric} is "on: source" but the step has no "source". Add source: <RDS instance id> to the step.`,
      );
    }
    const bound = g.below !== undefined ? 'below' : 'above';
    return {
      id: `g${i}`,
      spec: g,
      instance,
      bound,
      threshold: thresholdOf(present(g.below ?? g.above, `the below or above of guard ${g.metric}`)),
    };
  });
}

/** Query id "lag" for the replica lag, then one per guard: Minimum for `below`, Maximum for `above`. */
export function lagWatchQueries(replica: string, guards: Guard[]): MetricQuery[] {
  return [
    { id: 'lag', metric: LAG_METRIC, instance: replica, stat: 'Maximum' },
    ...guards.map(
      (g): MetricQuery => ({
        id: g.id,
        metric: g.spec.metric,
        instance: g.instance,
        stat: g.bound === 'below' ? 'Minimum' : 'Maximum',
      }),
    ),
  ];
}

export function describeGuard(g: Guard): string {
  return `${g.spec.metric} on ${g.spec.on} ${g.instance} ${g.bound} ${fmtMetric(g.spec.metric, g.threshold)}`;
}

/** The first tripped guard, judged on each guard's newest datapoint: what happened and what to do about it. */
export function trippedGuard(
  guards: Guard[],
  series: Map<string, Point[]>,
): { what: string; remedy: string } | undefined {
  for (const g of guards) {
    const newest = series.get(g.id)?.[0];
    if (!newest) continue;
    const tripped = g.bound === 'below' ? newest.v < g.threshold : newest.v > g.threshold;
    if (!tripped) continue;
    const value = fmtMetric(g.spec.metric, newest.v);
    const limit = fmtMetric(g.spec.metric, g.threshold);
    return {
      what:
        `guard tripped: ${g.spec.metric} on ${g.spec.on} ${g.instance} is ${value} ` +
        `(${g.bound === 'below' ? 'below' : 'above'} the threshold ${limit}) at ${new Date(newest.t).toISOString()}`,
      remedy: remedy(g.spec.metric),
    };
  }
  return undefined;
}

function remedy(metric: string): string {
  switch (metric) {
    case 'FreeStorageSpace':
      return 'The source is running out of storage while WAL accumulates for the replica: add storage to the source (ModifyDBInstance AllocatedStorage) or find what holds WAL back.';
    case 'OldestReplicationSlotLag':
    case 'ReplicationSlotDiskUsage':
    case 'TransactionLogsDiskUsage':
      return 'WAL is piling up on the source: check the replica is replicating (RDS events, pg_replication_slots) and that no unused replication slot holds WAL back.';
    default:
      return 'Look at the metric in CloudWatch and fix the cause, or change the guard in the plan if the threshold was wrong.';
  }
}
