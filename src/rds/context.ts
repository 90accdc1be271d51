// What the RDS helpers (ensure a cluster, wait for a snapshot, ...) need from a running step. The
// steps layer's StepContext has all of it; this layer states the subset so it imports nothing above.
import type { AwsApi } from '../aws/api.js';

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

export interface RdsContext {
  planName: string;
  stepId: string;
  aws: AwsApi;
  signal: AbortSignal;
  /** Cancellable polling loop: checks, sleeps, reports progress, throws StepFailed on timeout. */
  poll<T>(options: PollOptions<T>): Promise<T>;
  /** Records something notable in the event log. */
  event(type: string, data?: Record<string, unknown>): void;
  checkpoint: Checkpoint;
}
