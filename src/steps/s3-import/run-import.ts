// s3-import's run(): set up (role, extension, ledger, tables), then `concurrency` workers each with
// their own connection pull files from one shared, streamed source (listing page by page, skipping
// what the ledger already has) and import them exactly once. A lost connection is retried on a new
// one (the ledger makes that safe); a file the database refuses is a file failure (onError decides);
// anything else stops the run. At the end: failures listed, expectRows checked against the ledger.
import type { DbSession, ResolvedConnection } from '../../db/api.js';
import { toResolvedConnection } from '../../db/connection.js';
import { Interrupted, StepFailed } from '../../errors.js';
import type { S3ImportSpec } from '../../plan/types.js';
import type { StepContext } from '../step.js';
import { ensureDatabaseSetup, sentence } from './db-setup.js';
import { fileJobs } from './file-jobs.js';
import { ensureClusterRole } from './iam-role.js';
import { ledgerOutputs, throwIfUnfinished } from './import-verdict.js';
import { runWorkers, type ImportTally } from './import-workers.js';
import { LEDGER_DDL, LEDGER_TABLE, RESOLVE_TABLE_SQL } from './ledger.js';
import { ImportProgress } from './progress.js';
import { checkImportSpec } from './spec-checks.js';

export async function runImport(spec: S3ImportSpec, ctx: StepContext): Promise<Record<string, unknown>> {
  const conn = await prepare(spec, ctx);
  const control = await open(ctx, conn);
  // Worker connections open while the setup runs (logins cost tens of ms each).
  const early: Array<Promise<DbSession | Error>> = Array.from({ length: spec.concurrency ?? 4 }, () =>
    ctx.db.connect(conn, { signal: ctx.signal }).catch((err: Error) => err),
  );
  try {
    await ensureDatabaseSetup(control, ctx, LEDGER_TABLE, LEDGER_DDL);
    const tables = await resolveTables(control, ctx, spec, conn);
    await ctx.checkpoint.set({ ...(ctx.checkpoint.get() ?? {}), setup: 'done' });

    const progress = new ImportProgress(ctx, spec.tables.length);
    const tally: ImportTally = { failures: [], failureCount: 0, stopping: false };
    const jobs = fileJobs(spec, tables, control, ctx, progress, () => tally.stopping);
    await runWorkers({ spec, ctx, conn, early, jobs, progress, tally });
    await jobs.close();
    progress.report(true);
    const summary = progress.summary();
    await ctx.checkpoint.set({
      setup: 'done',
      lastAttempt: summary,
      failedFiles: tally.failureCount,
      failedKeys: tally.failures.slice(0, 10).map((f) => `s3://${f.job.bucket}/${f.job.key}`),
    });

    if (jobs.cut && !tally.fatal)
      ctx.safePoint?.(
        `between s3-import files (step "${ctx.stepId}", ${summary.filesImported} file(s) imported in this attempt)`,
      );
    throwIfUnfinished(ctx, spec, tally, summary.filesImported);
    return await ledgerOutputs(control, ctx, spec, tables);
  } finally {
    await control.close().catch(() => undefined);
    // Sessions opened early but never used (setup failed, or nothing to import): close them.
    await Promise.all(
      early.map((p) => p.then((s) => (s instanceof Error ? undefined : s.close())).catch(() => undefined)),
    );
  }
}

/** Checks the definition and the cluster's role for s3Import, and resolves the connection. */
async function prepare(spec: S3ImportSpec, ctx: StepContext): Promise<ResolvedConnection> {
  const problems = checkImportSpec(spec);
  if (problems.length)
    throw new StepFailed(
      ctx.stepId,
      `the step's definition has problems:\n  ${problems.join('\n  ')}\nFix the plan, then run apply again.`,
    );

  if (spec.cluster && spec.iamRole) {
    await ensureClusterRole(ctx, spec.cluster, spec.iamRole, 's3Import').catch((err) => {
      if (err instanceof StepFailed || err instanceof Interrupted) throw err;
      throw new StepFailed(ctx.stepId, `${sentence((err as Error).message)} Then run apply again.`, { cause: err });
    });
  }
  try {
    return toResolvedConnection(spec.connection);
  } catch (err) {
    throw new StepFailed(
      ctx.stepId,
      `${sentence((err as Error).message)} Fix the plan (or the environment variable it reads), then run apply again.`,
      { cause: err },
    );
  }
}

/** Each table's canonical quoted name, as the database knows it; a missing table fails the step. */
async function resolveTables(
  control: DbSession,
  ctx: StepContext,
  spec: S3ImportSpec,
  conn: ResolvedConnection,
): Promise<string[]> {
  const tables: string[] = [];
  for (const [i, t] of spec.tables.entries()) {
    const { rows } = await control.query<{ name: string; kind: string }>(RESOLVE_TABLE_SQL, [t.table]);
    if (!rows[0])
      throw new StepFailed(
        ctx.stepId,
        `tables[${i}].table: ${t.table} does not exist in database "${conn.database}" (or the user cannot see it). Create the table first.`,
      );
    tables.push(rows[0].name);
  }
  return tables;
}

async function open(ctx: StepContext, conn: ResolvedConnection): Promise<DbSession> {
  try {
    return await ctx.db.connect(conn, { signal: ctx.signal });
  } catch (err) {
    if (ctx.signal.aborted) throw new Interrupted('interrupted');
    throw new StepFailed(ctx.stepId, (err as Error).message, { cause: err });
  }
}
