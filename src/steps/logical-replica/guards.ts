// The guards of a logical copy, every poll: CloudWatch as in lag-watch (one GetMetricData for all
// guard metrics of the source instance), the slot's retained WAL against maxSlotLag (SQL), and DDL
// since the schema copy (the DDL guard's log). On a trip with onGuardTrip: drop-slot the
// subscription is dropped, and with it its slot on the source, so production storage stops growing;
// the step then fails saying the copy must start again.
import type { AwsApi } from '../../aws/api.js';
import type { LogicalReplicaSpec } from '../../plan/types.js';
import { formatBytes } from '../../plan/units.js';
import { guardsOf, lagWatchQueries, trippedGuard, type Guard } from '../../rds/guards.js';
import { metricDataParams, MINUTE, seriesById } from '../../rds/metrics.js';
import { ddlMessage, ddlSince } from './ddl-guard.js';
import type { Sql } from './session.js';
import type { SlotRow } from './subscription.js';

/** A slot PostgreSQL makes while a subscription copies one table (pg_<subscription oid>_sync_…). */
const TABLE_SYNC_SLOT = /^pg_\d+_sync_/;

export function cloudWatchGuards(spec: LogicalReplicaSpec, stepId: string): Guard[] {
  if (!spec.guards?.length || !spec.instance) return [];
  return guardsOf({ id: stepId, type: 'lag-watch', replica: '-', source: spec.instance, guards: spec.guards }, stepId);
}

export const guardQueries = (guards: Guard[]) => lagWatchQueries('-', guards).slice(1);

export interface GuardInputs {
  aws: AwsApi;
  signal: AbortSignal;
  now: number;
  guards: Guard[];
  maxSlotLagBytes?: number;
  slots: SlotRow[];
  source: Pick<Sql, 'read'>;
  ddlAfterId?: number;
}

/** The first guard that trips, as a sentence; undefined when all hold. */
export async function trippedLogicalGuard(
  g: GuardInputs,
): Promise<{ kind: 'cloudwatch' | 'slot' | 'ddl'; message: string } | undefined> {
  if (g.guards.length) {
    const out = await g.aws.send(
      'cloudwatch',
      'GetMetricData',
      metricDataParams(guardQueries(g.guards), g.now - 10 * MINUTE, g.now),
      { signal: g.signal },
    );
    const trip = trippedGuard(g.guards, seriesById(out));
    if (trip) return { kind: 'cloudwatch', message: `${trip.what}. ${trip.remedy}` };
  }
  if (g.maxSlotLagBytes !== undefined) {
    const worst = g.slots.reduce<SlotRow | undefined>(
      (w, s) => ((s.retained ?? 0) > (w?.retained ?? -1) ? s : w),
      undefined,
    );
    if (worst && (worst.retained ?? 0) > g.maxSlotLagBytes) {
      return {
        kind: 'slot',
        message: `guard tripped: replication slot ${worst.slot}${TABLE_SYNC_SLOT.test(worst.slot) ? " (the subscription's copy of one table)" : ''} keeps ${formatBytes(worst.retained ?? 0)} of WAL on the source, over maxSlotLag ${formatBytes(g.maxSlotLagBytes)}`,
      };
    }
  }
  if (g.ddlAfterId !== undefined) {
    const entries = await g.source.read<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_class WHERE oid = to_regclass('aurora_migrate.ddl_log')`,
    );
    if (entries[0]?.n) {
      const ddl = await ddlSince(g.source, g.ddlAfterId);
      if (ddl.length) return { kind: 'ddl', message: ddlMessage(ddl) };
    }
  }
  return undefined;
}
