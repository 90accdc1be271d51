// The one step interface. A step module is plain data + functions: what it would do (dry-run, as a
// list of PlannedAction), optional read-only preflight checks, and run(). Steps never reach for
// globals: everything comes through the context (clock, sleep, abort signal, events, AWS, database,
// checkpoint store). Engine code never imports @aws-sdk/* or pg.
import type { AwsApi, AwsService } from '../aws/api.js';
import type { DbConnector } from '../db/api.js';
import type { ConnectionSpec, StepSpec, StepType } from '../plan/types.js';
import type { ApprovalRule, ApproverSource } from '../plan/approval-rule.js';
import type { Checkpoint, PollOptions } from '../rds/context.js';
import type { CommandRunner } from './commands.js';

export type { Checkpoint, PollOptions } from '../rds/context.js';

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
  /** Set when this step comes after the plan's freeze-writes step: where it stands in the cutover window. */
  cutover?: { freezeStepId: string; role: 'inside' | 'point-of-no-return' | 'after'; windowMs?: number };
  /** For the step that opens the cutover window: the users of the plan's connections from it on (display form). */
  windowUsers?: string[];
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

export interface StepContext<C = Record<string, unknown>> {
  planName: string;
  stepId: string;
  /** Attempt number, 1 on the first run of this step. */
  attempt: number;
  region?: string;
  aws: AwsApi;
  db: DbConnector;
  clock: Clock;
  /** AURORA_MIGRATE_TIME_SCALE (1 against real AWS): waits and timeouts the step computes itself are divided by it. */
  timeScale: number;
  /** Sleeps `ms` real-AWS milliseconds (divided by the time scale); rejects with Interrupted on abort. */
  sleep(ms: number): Promise<void>;
  /** Cancellable polling loop: checks, sleeps, reports progress, throws StepFailed on timeout. */
  poll<T>(options: PollOptions<T>): Promise<T>;
  signal: AbortSignal;
  /** `apply --max-runtime` (set with the flag): true once the run's time is up; never inside a cutover window. */
  timeUp?(): boolean;
  /**
   * A safe point for `apply --max-runtime` besides sleep and poll (which are ones): when the time is up,
   * stops the run here by throwing Interrupted; the step stays `running` and resumes from its checkpoint.
   */
  safePoint?(where: string): void;
  /** Current detail for live progress ("cluster orders-aurora: creating (12m)"). */
  progress(detail: string): void;
  /** A warning shown in output and kept in the state and event log. */
  warn(message: string): void;
  /** Records something notable in the event log (secrets are redacted by the engine). */
  event(type: string, data?: Record<string, unknown>): void;
  checkpoint: Checkpoint<C>;
  /** The run id (stable across resumes of one run of the plan; new after the plan finished). */
  runId: string;
  /** The open cutover window, when a freeze-writes step before this one opened one (docs/design.md "Cutover"). */
  cutover?: CutoverHandle;
  /**
   * For a step that opens a cutover window (freeze-writes): call before the first change to the
   * source, with the freeze time and deadline. Recorded in the state (persisted); idempotent.
   */
  openCutoverWindow?(window: { frozenAt: string; deadline: string }): Promise<void>;
  /**
   * For a step that opens a cutover window: the users of every database connection in the plan
   * from it onward (resolved; values not known yet are left out). A fence keeps CONNECT for them.
   */
  windowUsers?: readonly string[];
  /** Runs external programs (pg_dump, pg_dumpall, psql); default: node:child_process. Tests inject their own. */
  commands?: CommandRunner;
  /**
   * The engine's approval gate, on the context of every step it runs (the approval step is the one
   * that asks; src/steps/approval-context.ts). Approved when enough distinct, allowed people approved
   * this step in this run (recorded in the state), counting the one running apply now if they passed
   * `--approve <this step>` or answer yes at a TTY prompt. Otherwise pending (with what is still
   * needed) or undefined: the step then pauses the run (exit 3). Every approval is recorded with who,
   * when and from where before it counts.
   */
  requestApproval?(message: string, rule?: ApprovalRule): Promise<ApprovalDecision | ApprovalPending | undefined>;
}

export interface ApprovalDecision {
  approvedBy: string;
  approvedAt: string;
  via: 'flag' | 'prompt';
  source?: ApproverSource;
  host?: string;
  ciRun?: string;
}

/** Not (yet) approved, and why: "1 of 2 approvals (alice); still needed: 1 more of bob, carol". */
export interface ApprovalPending {
  pending: true;
  detail: string;
}

/** What the source's frozen databases were before the freeze, to put back on the target (or the source). */
export interface FrozenBefore {
  /** Each frozen database's default_transaction_read_only before the freeze (null: none). */
  settings: Record<string, string | null>;
  /** Each frozen database's ACL before a connections fence (null: the owner's defaults); absent for read-only. */
  acl?: Record<string, string[] | null>;
  /** The database holding the fence's record (aurora_migrate.fence): the freeze connection's. */
  recordDatabase?: string;
}

/**
 * What a step inside a cutover window sees of it. The window opens when a freeze-writes step froze
 * the source and closes at the point of no return (promotion sent; on the snapshot route the DNS
 * change sent) or at a rollback.
 */
export interface CutoverHandle {
  /** The step that opened the window, its freeze time and deadline (ISO). */
  openedBy: string;
  frozenAt: string;
  deadline: string;
  /** Set once the point of no return was crossed (then the plan only goes forward). */
  pointOfNoReturn?: { stepId: string; at: string; what: string };
  /** The frozen source as the freeze step reached it (resolved; for the caught-up marker). */
  sourceConnection(): ConnectionSpec;
  /** Each frozen database's setting and ACL before the freeze, to restore them on the target. */
  frozenBefore(): FrozenBefore;
  /** How the source is held now, for messages after the point of no return ("fenced: CONNECT …"). */
  describeFence(): string;
  /**
   * Call right before the irreversible request (PromoteReadReplicaDBCluster, the Route 53 change).
   * Throws WindowExpired when the deadline has passed, Interrupted when the run is being stopped,
   * StepFailed when the freeze's last check finds the fence no longer holds (a session of a role
   * that should not be there, a write transaction); otherwise records the crossing in the state
   * (persisted) and disarms the deadline. A no-op when already crossed (resume, or a second
   * irreversible step).
   */
  crossPointOfNoReturn(what: string): Promise<void>;
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
  /**
   * Takes back what run() did (freeze-writes: the previous settings restored), from the step's own
   * checkpoint; the engine calls it for a cutover rollback. Convergent: safe to call twice.
   */
  undo?(spec: S, ctx: StepContext): Promise<Record<string, unknown>>;
  /** true for a step that opens a cutover window when it succeeds (freeze-writes). */
  opensCutoverWindow?: boolean;
  /**
   * true: its read-only preflight also runs at the start of `apply`, before the plan's first step
   * that has not run yet, so a refusal (a table without a replica identity, …) comes before any
   * earlier step changes production (a reboot, a new cluster). logical-replica.
   */
  preflightBeforeApply?: boolean;
  /**
   * A question for the person at a terminal before the step starts (not on a resume): what it is
   * about to do to production, e.g. a reboot or the start of a cutover window. `apply --yes` answers
   * it; without a terminal nothing is asked. Undefined: nothing to confirm for this spec.
   */
  confirmation?(spec: S): string | undefined;
  /**
   * For a step that opens a cutover window: the last check right before the point of no return,
   * from its own checkpoint. Returns what no longer holds (empty: go on); read-only.
   */
  lastCheck?(spec: S, ctx: StepContext): Promise<string[]>;
  /** For a step that opens a cutover window: one sentence on how the source stays held after the point of no return. */
  heldAfter?(spec: S, checkpoint: Record<string, unknown> | undefined): string;
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
  /** For the step that opens the cutover window: the users of the plan's connections from it on (known ones). */
  windowUsers?: readonly string[];
  /** The steps before this one in the plan (id and type), e.g. an enable-logical-replication step that will set wal_level. */
  earlierSteps?: ReadonlyArray<{ id: string; type: string }>;
  /** Runs external programs (pg_dump --version, …); default: node:child_process. */
  commands?: CommandRunner;
  /** Environment for PG_BINDIR (default: the process's). */
  env?: Readonly<Record<string, string | undefined>>;
}

// biome-ignore lint/suspicious/noExplicitAny: the registry holds modules of different spec types, and which spec a module gets is decided by its `type` at run time — an existential type TypeScript cannot spell (`StepModule<StepSpec>` rejects modules and specs that the engine and tests pass as they stand in the plan).
export type AnyStepModule = StepModule<any>;
export type StepRegistry = Readonly<Record<StepType, AnyStepModule>>;
