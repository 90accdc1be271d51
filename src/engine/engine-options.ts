// What applyPlan takes: the run's options (plan, --approve, --until, env, region, --max-runtime) and
// everything injected from outside (where the run keeps its state, step types, AWS, database, clock,
// sleep, abort signal, listeners, prompt and confirmations, notifier). Its own module so that the
// engine's parts (run-session, run-step, cutover-window) share the types without importing engine.ts.
import type { AwsApi } from '../aws/api.js';
import type { DbConnector } from '../db/api.js';
import type { Plan } from '../plan/types.js';
import type { AnyStepModule, Clock } from '../steps/step.js';
import type { EngineListener } from './events.js';
import type { ApprovalPrompt } from './approval-gate.js';
import type { NotifierFactory } from './run-notifier.js';
import type { RunStorage } from './run-storage.js';

export interface ApplyEngineOptions {
  plan: Plan;
  /** Approval step ids approved on the command line (`--approve`). */
  approve?: readonly string[];
  /** Stop after this step (`--until`). */
  until?: string;
  /** Environment for ${env.NAME}. */
  env: Readonly<Record<string, string | undefined>>;
  /** Region from the command line; else the plan's. */
  region?: string;
  /** `--max-runtime`: stop at the first safe point after this long (real-AWS ms, divided by the time scale). */
  maxRuntime?: { ms: number; limit: string };
}

export interface EngineDeps {
  /**
   * Where the state, lease and event log live: the CLI picks local files or S3 (src/cli/run-storage-for.ts);
   * tests pass localRunStorage(path), wrapped to simulate a crash at any write.
   */
  storage: RunStorage;
  /** Step types by name (production: src/steps/index.ts; tests add their own). */
  registry: Readonly<Record<string, AnyStepModule>>;
  aws: AwsApi;
  db: DbConnector;
  clock?: Clock;
  /** Real sleep (already time-scaled); injected in tests so no wall time passes. */
  delay?(ms: number, signal: AbortSignal): Promise<void>;
  monotonic?(): number;
  /** AURORA_MIGRATE_TIME_SCALE (default 1). */
  timeScale?: number;
  /** Aborted on SIGINT/SIGTERM: the running step stops at its next safe point. */
  signal?: AbortSignal;
  listeners?: EngineListener[];
  /** Makes the run's notifier (src/notify's createRunNotifier in the CLI); without one nothing is sent. */
  notifier?: NotifierFactory;
  /** Asks a person at a TTY; absent when stdin/stderr are not TTYs (then approval needs --approve). */
  prompt?(question: ApprovalPrompt): Promise<boolean>;
  /**
   * Asks a person at a TTY to confirm a step's effect on production before it starts (the step's
   * `confirmation`); absent without a TTY or with `apply --yes`. A no stops the run before the step.
   */
  confirm?(question: { stepId: string; message: string; signal: AbortSignal }): Promise<boolean>;
  /** OS user recorded for approvals (default os.userInfo().username). */
  user?(): string;
  newRunId?(): string;
  /** false: no run lock (unit tests of the loop only). */
  lock?: false | { heartbeatMs?: number; staleMs?: number };
  /** `apply --take-over`: take a stale lease held by another machine (remote state). */
  takeOver?: boolean;
}
