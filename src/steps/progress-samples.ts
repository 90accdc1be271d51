// Samples a long-running step records in the event log at every observation, so the run report
// (src/report, docs/report.md) can draw the run over time from the log alone:
// - `lag-sample`: one per lag poll. lag-watch records RDSToAuroraPostgreSQLReplicaLag in seconds; a
//   logical replica records its slot's byte lag the same way, with unit "bytes".
// - `copy-progress`: rows copied so far into one table (the logical copy; no step emits it yet).
// The engine stamps each record with `ts` and redacts it; `at` is the tool's clock at the observation.
import type { StepContext } from './step.js';

export interface LagSample {
  /** The observation time (ISO). */
  at: string;
  /** The newest lag value; null when the source had no datapoint (unknown, never zero). */
  value: number | null;
  unit: 'seconds' | 'bytes';
  /** What was measured: a CloudWatch metric name, or e.g. "pg_replication_slots". */
  metric: string;
  /** The replica or subscription the lag is of. */
  of: string;
  /** When the value itself was measured (the metric's datapoint minute), when not `at`. */
  measuredAt?: string;
}

export interface CopyProgress {
  at: string;
  /** schema.table */
  table: string;
  /** Rows copied into the table so far. */
  rows: number;
  /** Rows expected, when known (an estimate from the source's statistics). */
  totalRows?: number;
}

/** Event log: `{"ts","type":"lag-sample","stepId",...LagSample}`. */
export function recordLagSample(ctx: Pick<StepContext, 'event'>, sample: LagSample): void {
  ctx.event('lag-sample', { ...sample });
}

/** Event log: `{"ts","type":"copy-progress","stepId",...CopyProgress}`. */
export function recordCopyProgress(ctx: Pick<StepContext, 'event'>, progress: CopyProgress): void {
  ctx.event('copy-progress', { ...progress });
}
