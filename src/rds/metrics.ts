// CloudWatch for lag-watch and promote: one GetMetricData per poll for the replica lag and every
// guard, and the judgement of the answer alone (nothing is carried over between polls, docs/design.md
// "Rehearsal time scale"). A missing datapoint is unknown, never zero.
import { formatBytes } from '../plan/units.js';

export const LAG_METRIC = 'RDSToAuroraPostgreSQLReplicaLag';
export const MINUTE = 60_000;
/** Extra minutes each poll asks for beyond stableFor (recent datapoints are often late). */
export const WINDOW_MARGIN_MS = 5 * MINUTE;

const BYTE_METRICS = new Set([
  'FreeStorageSpace',
  'OldestReplicationSlotLag',
  'TransactionLogsDiskUsage',
  'ReplicationSlotDiskUsage',
  'FreeableMemory',
  'FreeLocalStorage',
]);

export const isByteMetric = (metric: string) => BYTE_METRICS.has(metric);

export interface MetricQuery {
  id: string;
  metric: string;
  instance: string;
  stat: 'Maximum' | 'Minimum' | 'Average';
}

/** The GetMetricData input for these queries over [start, end), 1-minute period, newest first. */
export function metricDataParams(queries: MetricQuery[], startMs: number, endMs: number): Record<string, unknown> {
  return {
    StartTime: new Date(Math.floor(startMs / MINUTE) * MINUTE),
    EndTime: new Date(Math.ceil(endMs / MINUTE) * MINUTE),
    ScanBy: 'TimestampDescending',
    MetricDataQueries: queries.map((q) => ({
      Id: q.id,
      MetricStat: {
        Metric: {
          Namespace: 'AWS/RDS',
          MetricName: q.metric,
          Dimensions: [{ Name: 'DBInstanceIdentifier', Value: q.instance }],
        },
        Period: 60,
        Stat: q.stat,
      },
      ReturnData: true,
    })),
  };
}

export interface Point {
  t: number;
  v: number;
}

function toMs(t: unknown): number {
  if (t instanceof Date) return t.getTime();
  if (typeof t === 'number') return t < 1e12 ? t * 1000 : t;
  return new Date(String(t)).getTime();
}

/** Series per query id, newest first, duplicates (same minute) collapsed to the first seen. */
export function seriesById(output: {
  MetricDataResults?: Array<{ Id?: string; Timestamps?: unknown[]; Values?: number[] }>;
}): Map<string, Point[]> {
  const result = new Map<string, Point[]>();
  for (const r of output.MetricDataResults ?? []) {
    if (!r.Id) continue;
    const points: Point[] = [];
    const seen = new Set<number>();
    (r.Timestamps ?? []).forEach((ts, i) => {
      const t = Math.floor(toMs(ts) / MINUTE) * MINUTE;
      const v = r.Values?.[i];
      if (!Number.isFinite(t) || typeof v !== 'number' || !Number.isFinite(v) || seen.has(t)) return;
      seen.add(t);
      points.push({ t, v });
    });
    points.sort((a, b) => b.t - a.t);
    result.set(
      r.Id,
      [...(result.get(r.Id) ?? []), ...points].sort((a, b) => b.t - a.t),
    );
  }
  return result;
}

export interface LagVerdict {
  satisfied: boolean;
  /** Newest lag value in seconds, undefined when there is no datapoint. */
  current?: number;
  /** How many of the newest consecutive minutes are present and at or under maxLag. */
  goodMinutes: number;
  needed: number;
  /** "rising 40s→12s" style summary over the window. */
  trend: string;
  /** Why it is not satisfied yet. */
  reason?: string;
}

/** Satisfied when the newest `needed` datapoints are consecutive minutes, all present and ≤ maxLag. */
export function judgeLag(points: Point[], maxLagSeconds: number, needed: number): LagVerdict {
  const trend = trendOf(points);
  if (points.length === 0)
    return { satisfied: false, goodMinutes: 0, needed, trend, reason: 'no lag datapoints yet (unknown)' };
  const newest = points[0];
  let good = 0;
  let reason: string | undefined;
  for (let i = 0; i < needed; i++) {
    const p = points[i];
    const expected = newest.t - i * MINUTE;
    if (!p || p.t !== expected) {
      reason = `datapoint for ${new Date(expected).toISOString().slice(11, 16)} UTC is missing (unknown)`;
      break;
    }
    if (p.v > maxLagSeconds) {
      reason = `lag ${fmtSeconds(p.v)} at ${new Date(p.t).toISOString().slice(11, 16)} UTC is over maxLag ${fmtSeconds(maxLagSeconds)}`;
      break;
    }
    good++;
  }
  return { satisfied: good >= needed, current: newest.v, goodMinutes: good, needed, trend, reason };
}

function trendOf(points: Point[]): string {
  if (points.length < 2) return 'no trend yet';
  const newest = points[0].v;
  const oldest = points[points.length - 1].v;
  const dir = newest < oldest ? 'falling' : newest > oldest ? 'rising' : 'steady';
  return `${dir} ${fmtSeconds(oldest)}→${fmtSeconds(newest)} over ${Math.round((points[0].t - points[points.length - 1].t) / MINUTE)}m`;
}

export function fmtSeconds(s: number): string {
  return Number.isInteger(s) ? `${s}s` : `${s.toFixed(1)}s`;
}

/** A metric value for people: sizes for byte metrics, plain numbers otherwise. */
export function fmtMetric(metric: string, value: number): string {
  if (isByteMetric(metric)) return formatBytes(value);
  if (metric === LAG_METRIC) return fmtSeconds(value);
  return Number.isInteger(value) ? String(value) : value.toFixed(2);
}
