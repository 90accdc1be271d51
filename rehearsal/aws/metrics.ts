// CloudWatch metric series (namespace AWS/RDS, dimension DBInstanceIdentifier), generated from the
// RDS world and the clock, and GetMetricData over them: 1-minute datapoints, Average / Maximum /
// Minimum / Sum / SampleCount, StartTime inclusive and EndTime exclusive, newest first by default
// (ScanBy TimestampDescending), and a publishing delay so the newest minutes are missing.
//
// - RDSToAuroraPostgreSQLReplicaLag (seconds): for an instance of an Aurora replica cluster, from the
//   moment it is available until promotion starts; falls linearly from `initialSeconds` to
//   `steadySeconds` over durations.lagCatchUp. Fault: never below a floor.
// - FreeStorageSpace, OldestReplicationSlotLag, TransactionLogsDiskUsage (bytes): for a source
//   instance, from its seeded series or defaults. Fault: free storage falling.
// - Real-backed resources (real-backing.ts): the replica lag of a real standby and the
//   OldestReplicationSlotLag of a real source come from readings of the servers instead (a seeded
//   series still wins); the same windows, publishing delay, gaps and lag floor apply.
import { MINUTE } from './clock.js';
import type { Faults } from './faults.js';
import type { RdsWorld, SeriesSpec } from './rds-model.js';

export interface LagOptions {
  /** Lag when the replica instance becomes available (default 1800 s). */
  initialSeconds: number;
  /** Lag after catch-up (default 0). */
  steadySeconds: number;
}

export interface MetricOptions {
  lag?: Partial<LagOptions>;
  /** A datapoint for minute m is published once the clock passes m + 60 s + this (default 60 s). */
  publishDelayMs?: number;
}

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;
const STATS = ['Average', 'Maximum', 'Minimum', 'Sum', 'SampleCount'];

/** Readings of real servers; `null` = this resource is not real (use the synthetic series). */
export interface RealMetricSource {
  /** RDSToAuroraPostgreSQLReplicaLag of the cluster's standby at stand-in time t (undefined: nothing measured then). */
  replicaLagAt(clusterId: string, t: number): number | undefined | null;
  /** A source instance's metric at stand-in time t. */
  sourceMetricAt(metricName: string, instanceId: string, t: number): number | undefined | null;
}

type Result = { result: Record<string, unknown> } | { error: { code: string; message: string } };

export class MetricStore {
  lag: LagOptions;
  publishDelayMs: number;
  /** Set when some resources are real (stand-in option `real`). */
  real?: RealMetricSource;

  constructor(
    private readonly world: RdsWorld,
    private readonly faults: Faults,
    options: MetricOptions = {},
  ) {
    this.lag = { initialSeconds: 1800, steadySeconds: 0, ...options.lag };
    this.publishDelayMs = options.publishDelayMs ?? MINUTE;
  }

  /** The value of a metric of an instance at stand-in time t, or undefined when nothing is published. */
  valueAt(metricName: string, instanceId: string, t: number): number | undefined {
    const inst = this.world.instances.get(instanceId.toLowerCase());
    if (!inst || t < inst.createdAt) return undefined;
    if (metricName === 'RDSToAuroraPostgreSQLReplicaLag') return this.lagAt(instanceId.toLowerCase(), t);
    if (inst.clusterId) return undefined;
    const spec = inst.metrics[metricName];
    // A seeded series wins, then a real reading, then the synthetic default.
    const real = spec === undefined && this.real ? this.real.sourceMetricAt(metricName, inst.id, t) : null;
    let value =
      spec !== undefined
        ? evalSeries(spec, t, this.world.startedAt)
        : real !== null
          ? real
          : this.sourceDefault(metricName, instanceId, t);
    if (value === undefined) return undefined;
    const fall = this.faults.fallingStorage;
    if (
      metricName === 'FreeStorageSpace' &&
      fall &&
      (!fall.instanceId || fall.instanceId === inst.id) &&
      t > fall.from
    ) {
      value = Math.max(0, value - ((t - fall.from) / MINUTE) * fall.bytesPerMinute);
    }
    return value;
  }

  private sourceDefault(metricName: string, instanceId: string, t: number): number | undefined {
    const inst = this.world.instances.get(instanceId.toLowerCase())!;
    const replicating = [...this.world.clusters.values()].some(
      (c) => c.sourceInstanceId === inst.id && t >= c.createdAt && (c.promoteAt === undefined || t < c.promoteAt),
    );
    switch (metricName) {
      case 'FreeStorageSpace':
        return inst.allocatedStorage * GiB * 0.6;
      case 'OldestReplicationSlotLag':
        return replicating ? 64 * MiB : 0;
      case 'TransactionLogsDiskUsage':
        return replicating ? 128 * MiB : 16 * MiB;
      case 'ReplicationSlotDiskUsage':
        return replicating ? 64 * MiB : 0;
      case 'DatabaseConnections':
        return 12;
      default:
        return undefined;
    }
  }

  private lagAt(instanceId: string, t: number): number | undefined {
    const inst = this.world.instances.get(instanceId)!;
    const cluster = inst.clusterId ? this.world.clusters.get(inst.clusterId) : undefined;
    if (!cluster?.replicationSourceArn) return undefined;
    const from = this.world.instanceAvailableAt(inst);
    if (t < from || (cluster.promoteAt !== undefined && t >= cluster.promoteAt)) return undefined;
    const real = this.real ? this.real.replicaLagAt(cluster.id, t) : null;
    if (real === undefined) return undefined;
    if (real !== null) return this.faults.lag ? Math.max(real, this.faults.lag.floorSeconds) : real;
    const catchUp = this.world.durations.lagCatchUp;
    const { initialSeconds, steadySeconds } = this.lag;
    const progress = catchUp > 0 ? Math.min(1, (t - from) / catchUp) : 1;
    let value = initialSeconds + (steadySeconds - initialSeconds) * progress;
    if (this.faults.lag) value = Math.max(value, this.faults.lag.floorSeconds);
    return Math.max(0, Math.round(value * 1000) / 1000);
  }

  getMetricData(input: Record<string, any>): Result {
    const queries = (input.MetricDataQueries ?? []) as any[];
    if (queries.length === 0 || queries.length > 500)
      return invalid('The collection MetricDataQueries must not be empty and must not have more than 500 elements.');
    const start = toMs(input.StartTime);
    const end = toMs(input.EndTime);
    if (start === undefined || end === undefined)
      return { error: { code: 'MissingParameter', message: 'The parameters StartTime and EndTime are required.' } };
    if (start >= end) return invalid('The parameter StartTime must be less than the parameter EndTime.');
    const ascending = input.ScanBy === 'TimestampAscending';
    const maxDatapoints = input.MaxDatapoints === undefined ? 100_800 : Number(input.MaxDatapoints);
    if (!(Number.isInteger(maxDatapoints) && maxDatapoints > 0))
      return invalid('The parameter MaxDatapoints must be a positive integer.');
    let offset = 0;
    if (input.NextToken !== undefined) {
      const m = /^dp:(\d+)$/.exec(Buffer.from(String(input.NextToken), 'base64url').toString('utf8'));
      if (!m) return { error: { code: 'InvalidNextToken', message: "The service couldn't process the NextToken." } };
      offset = Number(m[1]);
    }
    const now = this.world.now();
    const series: Array<{ id: string; label: string; timestamps: number[]; values: number[] }> = [];
    for (const q of queries) {
      if (!/^[a-z][a-zA-Z0-9_]*$/.test(String(q.Id ?? '')))
        return invalid(
          `The value ${q.Id} for parameter MetricDataQueries.member.Id is invalid: it must start with a lowercase letter and contain only letters, digits and underscores.`,
        );
      const stat = q.MetricStat;
      if (!stat) return invalid('The stand-in supports MetricStat queries only (no Expression).');
      const period = Number(stat.Period);
      if (!(period >= 60 && period % 60 === 0))
        return invalid(
          'The parameter MetricDataQueries.member.MetricStat.Period must be a multiple of 60 for these metrics.',
        );
      if (!STATS.includes(stat.Stat)) return invalid(`The stand-in does not support the statistic ${stat.Stat}.`);
      const metric = stat.Metric ?? {};
      const dims = (metric.Dimensions ?? []) as Array<{ Name: string; Value: string }>;
      const instanceId = dims.length === 1 && dims[0]!.Name === 'DBInstanceIdentifier' ? dims[0]!.Value : undefined;
      const timestamps: number[] = [];
      const values: number[] = [];
      const periodMs = period * 1000;
      if (metric.Namespace === 'AWS/RDS' && instanceId) {
        for (let b = Math.floor(start / periodMs) * periodMs; b < end; b += periodMs) {
          if (b + periodMs + this.publishDelayMs > now) break;
          const v = this.aggregate(metric.MetricName, instanceId, b, periodMs, stat.Stat);
          if (v === undefined) continue;
          timestamps.push(b / 1000);
          values.push(v);
        }
      }
      if (!ascending) {
        timestamps.reverse();
        values.reverse();
      }
      if (q.ReturnData === false) continue;
      series.push({ id: q.Id, label: q.Label ?? metric.MetricName, timestamps, values });
    }
    // Pages of at most MaxDatapoints over all results, in query order; NextToken counts what was sent.
    let skip = offset;
    let room = maxDatapoints;
    let sent = offset;
    const results = series.map((s) => {
      const from = Math.min(skip, s.timestamps.length);
      skip -= from;
      const take = Math.min(room, s.timestamps.length - from);
      room -= take;
      sent += take;
      return {
        Id: s.id,
        Label: s.label,
        Timestamps: s.timestamps.slice(from, from + take),
        Values: s.values.slice(from, from + take),
        StatusCode: from + take < s.timestamps.length ? 'PartialData' : 'Complete',
      };
    });
    const total = series.reduce((n, s) => n + s.timestamps.length, 0);
    const nextToken = sent < total ? Buffer.from(`dp:${sent}`).toString('base64url') : undefined;
    return { result: { MetricDataResults: results, Messages: [], ...(nextToken ? { NextToken: nextToken } : {}) } };
  }

  private aggregate(
    metricName: string,
    instanceId: string,
    bucket: number,
    periodMs: number,
    stat: string,
  ): number | undefined {
    const samples: number[] = [];
    for (let minute = bucket; minute < bucket + periodMs; minute += MINUTE) {
      if (this.faults.isGap(metricName, `${metricName}|${instanceId}`, minute)) continue;
      for (let s = 0; s < 4; s++) {
        const v = this.valueAt(metricName, instanceId, minute + s * 15_000);
        if (v !== undefined) samples.push(v);
      }
    }
    if (samples.length === 0) return undefined;
    const sum = samples.reduce((a, b) => a + b, 0);
    switch (stat) {
      case 'Maximum':
        return Math.max(...samples);
      case 'Minimum':
        return Math.min(...samples);
      case 'Sum':
        return sum;
      case 'SampleCount':
        return samples.length;
      default:
        return sum / samples.length;
    }
  }
}

function invalid(message: string): Result {
  return { error: { code: 'InvalidParameterValue', message } };
}

/** JSON 1.0 timestamps are epoch seconds (numbers); accept ISO strings too. */
function toMs(v: unknown): number | undefined {
  if (typeof v === 'number') return v * 1000;
  if (typeof v === 'string') return /^\d+(\.\d+)?$/.test(v) ? Number(v) * 1000 : Date.parse(v);
  return undefined;
}

/** A series' value at time t; a linear series counts minutes from `origin` (the stand-in's start). */
export function evalSeries(spec: SeriesSpec, t: number, origin: number): number {
  if (typeof spec === 'number') return spec;
  if (typeof spec === 'function') return spec(t);
  return spec.start + spec.perMinute * ((t - origin) / MINUTE);
}
