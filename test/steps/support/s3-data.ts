// Shared setup for the data-step tests: a real PostgreSQL (embedded) with the aws_s3 stand-in
// installed, the local AWS stand-in over HTTP on the same S3 folder, and a way to run a step with
// the real StepContext (instant, clock-advancing sleeps: no wall-time waiting).
import { createStepContext, memoryCheckpoint, type StepEvent } from '../../../src/engine/step-context.js';
import { createPgConnector } from '../../../src/db/pg-connector.js';
import { createAwsApi } from '../../../src/aws/sdk-api.js';
import type { DbConnector, DbSession, ResolvedConnection } from '../../../src/db/api.js';
import type { AwsApi } from '../../../src/aws/api.js';
import type { Checkpoint, StepModule } from '../../../src/steps/step.js';
import type { ConnectionSpec, StepSpec } from '../../../src/plan/types.js';
import { startPostgres, type TestPostgres } from '../../../rehearsal/postgres/server.js';
import { installAwsS3Standin } from '../../../rehearsal/postgres/aws-s3-extension.js';
import { startAwsStandin, type AwsStandin } from '../../../rehearsal/aws/index.js';

export interface DataWorld {
  pg: TestPostgres;
  aws: AwsStandin;
  api: ReturnType<typeof createAwsApi>;
  db: DbConnector;
  stop(): Promise<void>;
}

export async function startDataWorld(): Promise<DataWorld> {
  const pg = await startPostgres();
  try {
    await installAwsS3Standin(pg);
    const aws = await startAwsStandin({ s3Root: pg.s3Root, manualClock: true });
    const api = createAwsApi({ env: aws.env, maxAttempts: 2 });
    return {
      pg,
      aws,
      api,
      db: createPgConnector(),
      async stop() {
        api.destroy();
        await aws.close();
        await pg.stop();
      },
    };
  } catch (err) {
    await pg.stop();
    throw err;
  }
}

export function connectionSpec(conn: ResolvedConnection): ConnectionSpec {
  return {
    host: conn.host,
    port: conn.port,
    database: conn.database,
    user: conn.user,
    password: conn.password,
    ssl: false,
  };
}

export interface RunResult {
  outputs?: Record<string, unknown>;
  error?: Error;
  events: StepEvent[];
  checkpoint: Checkpoint & { history: unknown[] };
}

export interface RunOptions {
  world: DataWorld;
  db?: DbConnector;
  aws?: AwsApi;
  signal?: AbortSignal;
  checkpoint?: Checkpoint & { history: unknown[] };
  attempt?: number;
  onEvent?: (e: StepEvent) => void;
}

/** Runs a step once with a real StepContext; never throws (the error is in the result). */
export async function runStep<S extends StepSpec>(
  module: StepModule<S>,
  spec: S,
  options: RunOptions,
): Promise<RunResult> {
  const events: StepEvent[] = [];
  const checkpoint = options.checkpoint ?? memoryCheckpoint<Record<string, unknown>>();
  const ctx = createStepContext({
    planName: 'backfill-test',
    stepId: spec.id,
    attempt: options.attempt ?? 1,
    runId: 'run-1',
    aws: options.aws ?? options.world.api,
    db: options.db ?? options.world.db,
    clock: { now: () => options.world.aws.clock.now() },
    timeScale: 1,
    signal: options.signal ?? new AbortController().signal,
    checkpoint,
    onEvent: (e) => {
      events.push(e);
      options.onEvent?.(e);
    },
    // Waiting moves the stand-in's clock instead of the wall clock.
    delay: async (ms) => options.world.aws.clock.advance(ms),
    monotonic: () => options.world.aws.clock.now(),
  });
  try {
    const outputs = await module.run(spec, ctx);
    return { outputs, events, checkpoint };
  } catch (err) {
    return { error: err as Error, events, checkpoint };
  }
}

export type SqlHook = (info: {
  sql: string;
  params: readonly unknown[] | undefined;
  phase: 'before' | 'after';
  session: number;
}) => void | Promise<void>;

/**
 * A DbConnector that calls `hook` before and after every statement; a hook that throws makes the
 * statement "crash" there: the session is closed at once (the server rolls back what did not
 * commit), as when the process dies.
 */
export function hookedConnector(inner: DbConnector, hook: SqlHook): DbConnector {
  let sessions = 0;
  return {
    async connect(conn, options) {
      const s = await inner.connect(conn, options);
      const id = ++sessions;
      const wrapped: DbSession = {
        async query(sql, params) {
          try {
            await hook({ sql, params, phase: 'before', session: id });
            const result = await s.query(sql, params);
            await hook({ sql, params, phase: 'after', session: id });
            return result as never;
          } catch (err) {
            if ((err as Error).name === 'SimulatedCrash') await s.close();
            throw err;
          }
        },
        close: () => s.close(),
      };
      return wrapped;
    },
  };
}

export class SimulatedCrash extends Error {
  constructor(message = 'simulated crash') {
    super(message);
    this.name = 'SimulatedCrash';
  }
}

/** CSV body of rows `from`..`to-1`: "id,name\n" style lines. */
export function csvRows(from: number, to: number, line = (i: number) => `${i},name-${i}`): string {
  let out = '';
  for (let i = from; i < to; i++) out += line(i) + '\n';
  return out;
}

export function stepEvents(events: StepEvent[], name: string): Array<Record<string, unknown>> {
  return events.flatMap((e) => (e.type === 'step-event' && e.name === name ? [e.data ?? {}] : []));
}
