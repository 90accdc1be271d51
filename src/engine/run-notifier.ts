// The engine's port for notifications (docs/approvals-and-notifications.md): the engine calls one
// method per event; the implementation (src/notify, made by the CLI and injected as
// EngineDeps.notifier) decides where messages go. Without one, nothing is sent.
import type { AwsApi } from '../aws/api.js';
import type { Plan } from '../plan/types.js';
import type { StateFile, StepError } from './state-file.js';

export interface NotifierDeps {
  plan: Plan;
  /** The live state the engine persists (the notifier adds to `notifications`). */
  state: StateFile;
  /** Persists the state as it is now; resolves when it is durable. */
  persist(): Promise<void>;
  /** Where the state lives (path or s3://…), for messages and the exact commands in them. */
  stateLocation: string;
  env: Readonly<Record<string, string | undefined>>;
  aws: AwsApi;
  /** A run-level warning (shown, kept in the result and the event log). */
  warn(message: string): void;
  /** An event log record (the engine stamps and redacts it). */
  log(record: { type: string } & Record<string, unknown>): void;
  /** The engine's redaction of secrets, applied to every message before it is sent. */
  redact<T>(value: T): T;
  nowIso(): string;
  fetch?: typeof fetch;
  timeoutMs?: number;
  cwd?: string;
  host?: string;
}

export interface RunNotifier {
  awaitingApproval(stepId: string): Promise<void>;
  stepFailed(stepId: string, attempt: number, error: StepError): Promise<void>;
  planFinished(): Promise<void>;
  cutoverWindowOpened(stepId: string, info: { frozenAt?: string; deadline?: string }): Promise<void>;
  cutoverWindowClosed(stepId: string, how: string, detail?: string): Promise<void>;
  /** Waits for sends in flight (each is bounded by its own timeout). */
  drain(): Promise<void>;
}

export const SILENT_NOTIFIER: RunNotifier = {
  awaitingApproval: async () => undefined,
  stepFailed: async () => undefined,
  planFinished: async () => undefined,
  cutoverWindowOpened: async () => undefined,
  cutoverWindowClosed: async () => undefined,
  drain: async () => undefined,
};

/** Makes the notifier of one run from what the engine knows of it (called once, in openRun). */
export type NotifierFactory = (deps: NotifierDeps) => RunNotifier;
