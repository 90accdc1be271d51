// The run report's data (DESIGN.md "Long runs in CI, fleets, and the run report"): what `report`
// shows of one plan's run, collected from its state and event log (collect.ts) and rendered as HTML
// (html.ts) or markdown (markdown.ts). Every figure carries `ref`: the number of the event log
// record it comes from (1-based, in log order), so a reader can find it in the log; a figure read
// from the state file instead (a run whose log lacks it) has `ref: 0` and says so in the page.

/** 1-based number of the event log record a figure comes from; 0 = from the state file. */
export type Ref = number;

export type RunOutcome =
  | 'not started'
  | 'finished'
  | 'in progress'
  | 'awaiting approval'
  | 'failed'
  | 'rolled back'
  | 'interrupted';

export interface ReportModel {
  version: 1;
  generatedAt: string;
  plans: PlanRun[];
}

export interface PlanRun {
  plan: string;
  description?: string;
  planFile: string;
  stateLocation: string;
  eventLogLocation: string;
  /** Why the state or its event log could not be read (the rest is then empty). */
  problem?: string;
  hasState: boolean;
  /** Records in the event log. */
  eventCount: number;
  runId?: string;
  startedAt?: string;
  updatedAt?: string;
  finishedAt?: string;
  outcome: RunOutcome;
  /** Each `apply` (or `unlock`) that wrote to the log. */
  invocations: Invocation[];
  steps: StepRun[];
  lag: LagSeries[];
  copy: CopySeries[];
  cutover: CutoverWindow[];
  approvals: Approval[];
  notifications: Notification[];
  awsCalls: AwsCallCount[];
  /** Errors and warnings, in log order. */
  problems: Problem[];
}

export interface Invocation {
  at: string;
  user?: string;
  resumed: boolean;
  endedAt?: string;
  outcome?: string;
  ref: Ref;
  endRef?: Ref;
}

export interface StepRun {
  id: string;
  type: string;
  /** Status in the state file now. */
  status: string;
  attempts: number;
  runs: StepAttempt[];
  /** The state's error, when the step failed. */
  error?: string;
}

export interface StepAttempt {
  attempt: number;
  startedAt: string;
  /** Undefined when no end was recorded (the process was killed, or the step is running now). */
  endedAt?: string;
  /** succeeded, failed, awaiting-approval, rolled-back, interrupted, pending (reset by a rollback), or undefined. */
  endStatus?: string;
  /** Last record of the same invocation, for a run with no recorded end (drawn up to there). */
  lastSeenAt: string;
  ref: Ref;
  endRef?: Ref;
}

export interface LagSample {
  at: string;
  /** null: the poll found no datapoint (unknown). */
  value: number | null;
  ref: Ref;
}

export interface LagSeries {
  stepId: string;
  /** The replica (or subscription) measured. */
  of: string;
  metric: string;
  unit: 'seconds' | 'bytes';
  /** The step's maxLag in the same unit, when it has one. */
  threshold?: number;
  samples: LagSample[];
}

export interface CopySeries {
  stepId: string;
  table: string;
  samples: Array<{ at: string; rows: number; totalRows?: number; ref: Ref }>;
}

export interface Milestone {
  label:
    | 'frozen'
    | 'caught up'
    | 'promotion sent'
    | 'promoted'
    | 'switched over'
    | 'switched'
    | 'rollback started'
    | 'rolled back'
    | 'rollback failed';
  at: string;
  stepId: string;
  detail?: string;
  ref: Ref;
}

export interface CutoverWindow {
  openedBy: string;
  frozenAt: string;
  deadline: string;
  databases?: string[];
  outcome: 'open' | 'committed' | 'rolling-back' | 'rolled-back' | 'rollback-failed';
  milestones: Milestone[];
  /** From the freeze until the DNS change was INSYNC (switch-endpoint), in seconds. */
  writeDowntimeSeconds?: number;
  writeDowntimeRef?: Ref;
  rollbackReason?: string;
  ref: Ref;
}

export interface Approval {
  stepId: string;
  approvedBy: string;
  /** Where the identity came from: AURORA_MIGRATE_APPROVER, GITHUB_ACTOR, os-user. */
  source?: string;
  via: string;
  at: string;
  host?: string;
  ciRun?: string;
  ref: Ref;
}

export interface Notification {
  event: string;
  at: string;
  targets: string[];
  sent: string[];
  failed: Array<{ target: string; reason: string }>;
  ref: Ref;
}

export interface AwsCallCount {
  service: string;
  operation: string;
  count: number;
  /** The first few records, for finding them. */
  refs: Ref[];
}

export interface Problem {
  kind: 'error' | 'warning';
  at: string;
  stepId?: string;
  message: string;
  ref: Ref;
}
