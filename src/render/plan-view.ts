// What the plan renderers (text, markdown, json) show: the dry-run review plus the context around it
// (time scale, state file, preflight). Shared helpers for describing actions live here too.
import type { PlanReview } from '../review/dry-run.js';
import type { Diagnostic } from '../plan/load.js';
import type { CheckResult, PlannedAction } from '../steps/step.js';
import { formatDuration } from '../plan/units.js';

export interface PreflightView {
  /** Set when preflight could not run (not implemented yet, no credentials, ...). */
  error?: string;
  failed: boolean;
  steps: Array<{ stepId: string; type: string; checks: CheckResult[] }>;
}

export interface PlanView extends PlanReview {
  /** Warnings from validation (a plan with errors never gets this far). */
  warnings?: Diagnostic[];
  /** AURORA_MIGRATE_TIME_SCALE when set (not 1). */
  timeScale?: number;
  state?: { path: string; found: boolean; warning?: string };
  preflight?: PreflightView;
}

export const SERVICE_NAMES: Record<string, string> = {
  rds: 'RDS',
  cloudwatch: 'CloudWatch',
  s3: 'S3',
  route53: 'Route 53',
  sns: 'SNS',
};

/** "at most 8h, checking every 30s" (with the scaled figure when a time scale is set). */
export function waitLimits(a: Extract<PlannedAction, { kind: 'wait' }>, timeScale?: number): string {
  const parts = [`at most ${formatDuration(a.timeoutMs)}`];
  if (timeScale && timeScale !== 1)
    parts[0] += ` (${formatDuration(a.timeoutMs / timeScale)} at time scale ${timeScale})`;
  if (a.pollEveryMs) parts.push(`checking every ${formatDuration(a.pollEveryMs)}`);
  return parts.join(', ');
}

/** A one-line value for a parameter: strings as they are, everything else as compact JSON. */
export function paramValue(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === undefined) return '(unset)';
  return JSON.stringify(v);
}

/**
 * GetMetricData's MetricDataQueries as one line per query, for a reviewer:
 * "lag: AWS/RDS RDSToAuroraPostgreSQLReplicaLag, DBInstanceIdentifier=orders-aurora-1, Maximum, period 60s".
 * A query of another shape (an Expression) stays JSON.
 */
export function metricQueryLine(q: unknown): string {
  const query = q as {
    Id?: unknown;
    MetricStat?: {
      Metric?: { Namespace?: unknown; MetricName?: unknown; Dimensions?: Array<{ Name?: unknown; Value?: unknown }> };
      Period?: unknown;
      Stat?: unknown;
    };
  };
  const stat = query?.MetricStat;
  if (!stat?.Metric || typeof stat.Metric.MetricName !== 'string') return JSON.stringify(q);
  const dims = (stat.Metric.Dimensions ?? []).map((d) => `${String(d.Name)}=${String(d.Value)}`).join(' ');
  const parts = [
    `${String(stat.Metric.Namespace)} ${stat.Metric.MetricName}`,
    dims,
    String(stat.Stat),
    `period ${String(stat.Period)}s`,
  ].filter(Boolean);
  return `${String(query.Id)}: ${parts.join(', ')}`;
}

/** A free-text description as indented lines (a YAML block scalar may span several). */
export function descriptionLines(text: string, indent: string): string[] {
  return text
    .trim()
    .split(/\r?\n/)
    .map((l) => `${indent}${l}`.trimEnd());
}

/** "2 AWS calls, 1 SQL statement, 1 wait" for summary tables. */
export function actionSummary(actions: readonly PlannedAction[]): string {
  const count = (kind: PlannedAction['kind']) => actions.filter((a) => a.kind === kind).length;
  const parts: string[] = [];
  const add = (n: number, one: string, many: string) => n && parts.push(`${n} ${n === 1 ? one : many}`);
  add(count('aws'), 'AWS call', 'AWS calls');
  add(count('sql'), 'SQL statement', 'SQL statements');
  add(count('wait'), 'wait', 'waits');
  add(count('approval'), 'approval gate', 'approval gates');
  add(count('check'), 'check', 'checks');
  return parts.join(', ') || 'nothing to show';
}

export function preflightSymbol(status: CheckResult['status']): string {
  return status === 'pass' ? 'PASS' : status === 'warn' ? 'WARN' : 'FAIL';
}
