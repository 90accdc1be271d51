// Runs a logical step (run, or undo with `undo: true`) in-process, the way the engine does
// (createStepContext), on real servers: the real pg connector, the real pg_dump/psql through a
// recording command runner, an AWS api when guards need CloudWatch, and a time scale so the step's
// polls are short.
import type { AwsApi } from '../../../src/aws/api.js';
import { createPgConnector } from '../../../src/db/pg-connector.js';
import { createStepContext, memoryCheckpoint, type StepEvent } from '../../../src/engine/step-context.js';
import { nodeRunner, type CommandRunner } from '../../../src/steps/commands.js';
import type { AnyStepModule, CutoverHandle } from '../../../src/steps/step.js';

export interface LocalRun {
  outputs?: Record<string, unknown>;
  error?: Error;
  events: StepEvent[];
  commands: Array<{ program: string; args: readonly string[] }>;
  checkpoint: ReturnType<typeof memoryCheckpoint>;
  warnings: string[];
  named(name: string): Array<Record<string, unknown>>;
}

const noAws: AwsApi = { send: () => Promise.reject(new Error('no AWS in this test')) };

export async function runLocal(
  module: AnyStepModule,
  spec: Record<string, unknown>,
  opts: {
    checkpoint?: ReturnType<typeof memoryCheckpoint>;
    aws?: AwsApi;
    timeScale?: number;
    signal?: AbortSignal;
    planName?: string;
    attempt?: number;
    onEvent?(e: StepEvent): void;
    cutover?: CutoverHandle;
    undo?: boolean;
  } = {},
): Promise<LocalRun> {
  const checkpoint = opts.checkpoint ?? memoryCheckpoint();
  const events: StepEvent[] = [];
  const commands: LocalRun['commands'] = [];
  const runner: CommandRunner = {
    run(program, args, o) {
      commands.push({ program, args });
      return nodeRunner.run(program, args, o);
    },
  };
  const ctx = {
    ...createStepContext({
      planName: opts.planName ?? 'orders',
      stepId: String(spec.id),
      attempt: opts.attempt ?? 1,
      runId: 'run-1',
      aws: opts.aws ?? noAws,
      db: createPgConnector(),
      clock: { now: () => Date.now() },
      timeScale: opts.timeScale ?? 10,
      signal: opts.signal ?? new AbortController().signal,
      checkpoint: checkpoint as never,
      onEvent: (e) => {
        events.push(e);
        opts.onEvent?.(e);
      },
    }),
    commands: runner,
    ...(opts.cutover ? { cutover: opts.cutover } : {}),
  };
  const run: LocalRun = {
    events,
    commands,
    checkpoint,
    get warnings() {
      return events.flatMap((e) => (e.type === 'warning' ? [e.message] : []));
    },
    named: (name) => events.flatMap((e) => (e.type === 'step-event' && e.name === name ? [e.data ?? {}] : [])),
  };
  try {
    run.outputs = opts.undo ? await module.undo!(spec, ctx) : await module.run(spec, ctx);
  } catch (err) {
    run.error = err as Error;
  }
  return run;
}
