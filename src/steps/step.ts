// The one step interface. A step module is plain data + functions: what it would do (dry-run, as a
// list of PlannedAction), optional read-only preflight checks, and run(). Steps never reach for
// globals: everything comes through the context (clock, sleep, abort signal, events, AWS, database,
// checkpoint store). Engine code never imports @aws-sdk/* or pg.
import type { AwsApi, AwsService } from '../aws/api.js';
import type { DbConnector } from '../db/api.js';
import type { StepSpec, StepType } from '../plan/types.js';

/** One thing a step will do, as data: `plan` prints these, `apply` performs them, the event log records them. */
export type PlannedAction =
  | { kind: 'aws'; service: AwsService; operation: string; params: Record<string, unknown>; note?: string }
  | { kind: 'sql'; sql: string; params?: unknown[]; note?: string }
  | { kind: 'wait'; for: string; timeoutMs: number; pollEveryMs?: number; note?: string }
  | { kind: 'approval'; message: string }
  | { kind: 'check'; description: string };

export interface DescribeEnv {
  planName: string;
  stepId: string;
  /** Region of the plan (or flag); undefined means the SDK's usual resolution. */
  region?: string;
}

export interface CheckResult {
  status: 'pass' | 'warn' | 'fail';
  check: string;
  detail: string;
}

export interface Clock {
  /** Milliseconds since the epoch, the tool's own clock (never scaled). */
  now(): number;
}

export interface PollOptions<T> {
  /** What we wait for, for progress and timeout messages: "cluster orders-aurora to be available". */
  what: string;
  /** Interval between checks in real-AWS milliseconds (the engine divides by the time scale). */
  everyMs: number;
  /** Give up after this long (real-AWS milliseconds; divided by the time scale). */
  timeoutMs: number;
  /** One observation: done with a value, or not yet with a progress detail. */
  check: () => Promise<{ done: true; value: T } | { done: false; detail?: string }>;
}

export interface Checkpoint<C = Record<string, unknown>> {
  /** What the step recorded last time (undefined on the first attempt). */
  get(): C | undefined;
  /** Persists atomically before it resolves; a crash after this sees the new value. */
  set(value: C): Promise<void>;
}

export interface StepContext<C = Record<string, unknown>> {
  planName: string;
  stepId: string;
  /** Attempt number, 1 on the first run of this step. */
  attempt: number;
  region?: string;
  aws: AwsApi;
  db: DbConnector;
  clock: Clock;
  /** Sleeps `ms` real-AWS milliseconds (divided by the time scale); rejects with Interrupted on abort. */
  sleep(ms: number): Promise<void>;
  /** Cancellable polling loop: checks, sleeps, reports progress, throws StepFailed on timeout. */
  poll<T>(options: PollOptions<T>): Promise<T>;
  signal: AbortSignal;
  /** Current detail for live progress ("cluster orders-aurora: creating (12m)"). */
  progress(detail: string): void;
  /** A warning shown in output and kept in the state and event log. */
  warn(message: string): void;
  /** Records something notable in the event log (secrets are redacted by the engine). */
  event(type: string, data?: Record<string, unknown>): void;
  checkpoint: Checkpoint<C>;
  /** The run id (stable across resumes of one run of the plan; new after the plan finished). */
  runId: string;
}

export interface StepModule<S extends StepSpec = StepSpec> {
  type: S['type'];
  /** Output names this step type produces (semantic checks reject references to anything else). */
  outputs: readonly string[];
  /** Dry-run: the actions run() would take, in order. `spec` has placeholders for unknown values. */
  describe(spec: S, env: DescribeEnv): PlannedAction[];
  /** Read-only checks against the account (plan --preflight). */
  preflight?(spec: S, ctx: PreflightContext): Promise<CheckResult[]>;
  /** Does the work, convergently (observe, adopt, checkpoint, act, wait). Returns the outputs. */
  run(spec: S, ctx: StepContext): Promise<Record<string, unknown>>;
}

export interface PreflightContext {
  planName: string;
  stepId: string;
  region?: string;
  aws: AwsApi;
  db: DbConnector;
  signal: AbortSignal;
  /** The tool's clock, for metric time windows (optional; the wall clock when absent). */
  clock?: Clock;
}

export type AnyStepModule = StepModule<any>;
export type StepRegistry = Readonly<Record<StepType, AnyStepModule>>;

/** Tags every resource a step creates carries, so a resume can adopt it and nothing else. */
export function ownershipTags(planName: string, stepId: string): Array<{ Key: string; Value: string }> {
  return [
    { Key: 'aurora-migrate:plan', Value: planName },
    { Key: 'aurora-migrate:step', Value: stepId },
  ];
}

/** True when a TagList marks the resource as created by this plan's step. */
export function isOurs(tags: ReadonlyArray<{ Key?: string; Value?: string }> | undefined, planName: string, stepId: string): boolean {
  const get = (k: string) => tags?.find((t) => t.Key === k)?.Value;
  return get('aurora-migrate:plan') === planName && get('aurora-migrate:step') === stepId;
}
