// The import's workers: `concurrency` of them, each on its own connection (opened early, while the
// setup ran), pulling files from the shared stream until it ends. A lost connection is retried on a
// new one, backing off (the ledger makes a retry safe); a file the database refuses is a file failure
// (onError: stop ends the stream for everyone); anything else is fatal and stops the run.
import type { DbSession, ResolvedConnection } from '../../db/api.js';
import { isDbError } from '../../db/errors.js';
import type { S3ImportSpec } from '../../plan/types.js';
import type { StepContext } from '../step.js';
import type { FileJobs } from './file-jobs.js';
import { FileFailed, importFile, type FileJob, type ImportMeta } from './import-file.js';
import type { ImportProgress } from './progress.js';

const MAX_RETRIES = 5;
const FATAL_CONNECT_STATES = new Set(['28P01', '28000', '3D000', '42501']);
const LISTED_FAILURES = 20;

/** What the workers leave behind, shared by all of them while they run. */
export interface ImportTally {
  /** The first failed files, for the message (at most LISTED_FAILURES). */
  failures: FileFailed[];
  failureCount: number;
  /** What stopped the run, if anything did. */
  fatal?: unknown;
  /** No new file starts once this is set. */
  stopping: boolean;
}

export interface WorkerPool {
  spec: S3ImportSpec;
  ctx: StepContext;
  conn: ResolvedConnection;
  /** One connection attempt per worker, started early (an Error when it failed). */
  early: Array<Promise<DbSession | Error>>;
  jobs: FileJobs;
  progress: ImportProgress;
  tally: ImportTally;
}

/** A worker's connection: the early one until it is taken, then its own (dropped on a connection problem). */
interface WorkerSession {
  session?: DbSession;
  pending?: Promise<DbSession | Error>;
}

export async function runWorkers(pool: WorkerPool): Promise<void> {
  const { ctx, spec } = pool;
  const meta: ImportMeta = {
    planName: ctx.planName,
    stepId: ctx.stepId,
    runId: ctx.runId,
    credentials: spec.credentials,
    onSql: (text: string, params: unknown[]) => ctx.event('sql', { sql: text, params }),
  };
  await Promise.all(pool.early.map((pending) => worker(pool, meta, { pending })));
}

async function worker(pool: WorkerPool, meta: ImportMeta, ws: WorkerSession): Promise<void> {
  try {
    for (;;) {
      let job: FileJob | undefined;
      try {
        job = await pool.jobs.next();
      } catch (err) {
        pool.tally.fatal ??= err;
        pool.tally.stopping = true;
      }
      if (!job || !(await importWithRetries(pool, meta, ws, job))) return;
    }
  } finally {
    await ws.session?.close().catch(() => undefined);
  }
}

/** Imports one file, retrying on a new connection after a connection problem; false when this worker must stop. */
async function importWithRetries(
  pool: WorkerPool,
  meta: ImportMeta,
  ws: WorkerSession,
  job: FileJob,
): Promise<boolean> {
  const { ctx, progress, tally } = pool;
  for (let attempt = 1; ; attempt++) {
    try {
      const session = await sessionOf(pool, ws);
      const outcome = await importFile(session, job, meta);
      if (outcome.status === 'imported') progress.imported(outcome.rows);
      else progress.skipped();
      return true;
    } catch (err) {
      if (ctx.signal.aborted || isDbError(err, 'canceled')) return false;
      if (err instanceof FileFailed) {
        tally.failureCount++;
        if (tally.failures.length < LISTED_FAILURES) tally.failures.push(err);
        progress.failed();
        ctx.warn(`file failed: ${err.message}`);
        if ((pool.spec.onError ?? 'stop') === 'stop') tally.stopping = true;
        return true;
      }
      const retryable =
        isDbError(err, 'connection') || (isDbError(err, 'connect') && !FATAL_CONNECT_STATES.has(err.sqlstate ?? ''));
      if (retryable && attempt < MAX_RETRIES && !tally.stopping) {
        await ws.session?.close().catch(() => undefined);
        ws.session = undefined;
        ctx.warn(
          `connection problem while importing s3://${job.bucket}/${job.key} (attempt ${attempt} of ${MAX_RETRIES}): ${(err as Error).message}; retrying on a new connection`,
        );
        await ctx.sleep(Math.min(1000 * 2 ** (attempt - 1), 30_000)).catch(() => undefined);
        if (ctx.signal.aborted) return false;
        continue;
      }
      tally.fatal ??= err;
      tally.stopping = true;
      return false;
    }
  }
}

async function sessionOf(pool: WorkerPool, ws: WorkerSession): Promise<DbSession> {
  if (!ws.session && ws.pending) {
    const first = await ws.pending;
    ws.pending = undefined;
    if (first instanceof Error) throw first;
    ws.session = first;
  }
  ws.session ??= await pool.ctx.db.connect(pool.conn, { signal: pool.ctx.signal });
  return ws.session;
}
