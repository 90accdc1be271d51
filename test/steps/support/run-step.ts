// Runs one step module in-process the way the engine does (createStepContext), against any AwsApi,
// with sleeps that move a manual clock instead of wall time. A "crash" can be injected right after
// the Nth checkpoint was persisted, or right after a given AWS operation returned; running again
// with the same checkpoint store is the resume.
import type { AwsApi } from '../../../src/aws/api.js';
import { isReadOnlyOperation } from '../../../src/aws/api.js';
import type { DbConnector } from '../../../src/db/api.js';
import { createStepContext, memoryCheckpoint, type StepEvent } from '../../../src/engine/step-context.js';
import type { AnyStepModule, Checkpoint } from '../../../src/steps/step.js';

export class Crash extends Error {
  constructor(where: string) {
    super(`simulated crash ${where}`);
  }
}

export interface ManualClock {
  now(): number;
  advance(ms: number): void;
}

export interface CallRecord {
  service: string;
  operation: string;
  input: Record<string, unknown>;
}

export interface RunStepOptions {
  aws: AwsApi;
  clock: ManualClock;
  planName?: string;
  stepId?: string;
  runId?: string;
  region?: string;
  attempt?: number;
  checkpoint?: ReturnType<typeof memoryCheckpoint>;
  /** Crash right after the Nth checkpoint.set of this attempt has persisted (1-based). */
  crashAfterCheckpoint?: number;
  /** Crash right after this operation's call returned successfully (first time only). */
  crashAfterSend?: string;
}

export interface StepRun {
  outputs?: Record<string, unknown>;
  error?: Error;
  events: StepEvent[];
  calls: CallRecord[];
  checkpoint: ReturnType<typeof memoryCheckpoint>;
  warnings: string[];
  progress: string[];
}

const noDb: DbConnector = {
  connect: () => Promise.reject(new Error('no database in AWS step tests')),
};

export async function runStep(
  module: AnyStepModule,
  spec: Record<string, unknown>,
  opts: RunStepOptions,
): Promise<StepRun> {
  const checkpoint = opts.checkpoint ?? memoryCheckpoint();
  const events: StepEvent[] = [];
  const calls: CallRecord[] = [];
  let sets = 0;
  let crashed = false;
  const store: Checkpoint = {
    get: () => checkpoint.get() as Record<string, unknown> | undefined,
    async set(value) {
      await checkpoint.set(value);
      sets++;
      if (!crashed && opts.crashAfterCheckpoint === sets) {
        crashed = true;
        throw new Crash(`after checkpoint ${sets} (${JSON.stringify(value)})`);
      }
    },
  };
  const aws: AwsApi = {
    async send(service, operation, input, options) {
      calls.push({ service, operation, input });
      const out = await opts.aws.send(service, operation, input, options);
      if (!crashed && opts.crashAfterSend === operation) {
        crashed = true;
        throw new Crash(`after ${operation} returned`);
      }
      return out;
    },
  };
  const ctx = createStepContext({
    planName: opts.planName ?? 'orders',
    stepId: opts.stepId ?? String(spec.id),
    attempt: opts.attempt ?? 1,
    runId: opts.runId ?? '7f3a9c21-aaaa-bbbb',
    region: opts.region,
    aws,
    db: noDb,
    clock: opts.clock,
    timeScale: 1,
    signal: new AbortController().signal,
    checkpoint: store,
    onEvent: (e) => events.push(e),
    delay: async (ms) => opts.clock.advance(ms),
    monotonic: () => opts.clock.now(),
  });
  const run: StepRun = {
    events,
    calls,
    checkpoint,
    get warnings() {
      return events.flatMap((e) => (e.type === 'warning' ? [e.message] : []));
    },
    get progress() {
      return events.flatMap((e) => (e.type === 'progress' ? [e.detail] : []));
    },
  };
  try {
    run.outputs = await module.run(spec, ctx);
  } catch (err) {
    run.error = err as Error;
  }
  return run;
}

/** Mutating calls only (what the event log records). */
export const mutating = (calls: CallRecord[]) =>
  calls.filter((c) => !isReadOnlyOperation(c.operation)).map((c) => c.operation);

export const count = (calls: CallRecord[], operation: string) => calls.filter((c) => c.operation === operation).length;
