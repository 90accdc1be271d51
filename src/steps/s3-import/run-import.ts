// s3-import's run(): set up (role, extension, ledger, tables), then `concurrency` workers each with
// their own connection pull files from one shared, streamed source (listing page by page, skipping
// what the ledger already has) and import them exactly once. A lost connection is retried on a new
// one (the ledger makes that safe); a file the database refuses is a file failure (onError decides);
// anything else stops the run. At the end: failures listed, expectRows checked against the ledger.
import type { DbSession, ResolvedConnection } from '../../db/api.js';
import { isDbError } from '../../db/errors.js';
import { toResolvedConnection } from '../../db/connection.js';
import { Interrupted, StepFailed } from '../../errors.js';
import type { S3ImportSpec } from '../../plan/types.js';
import type { StepContext } from '../step.js';
import { ensureClusterRole } from './iam-role.js';
import { FileFailed, importFile, type FileJob } from './import-file.js';
import { LEDGER_DDL, LEDGER_TABLE, RESOLVE_TABLE_SQL, importedKeys, ledgerTotals } from './ledger.js';
import { ensureDatabaseSetup, sentence } from './db-setup.js';
import { objectPages } from './objects.js';
import { checkImportSpec, columnListText } from './spec-checks.js';
import { ImportProgress } from './progress.js';

const MAX_RETRIES = 5;
const FATAL_CONNECT_STATES = new Set(['28P01', '28000', '3D000', '42501']);
const LISTED_FAILURES = 20;

export async function runImport(spec: S3ImportSpec, ctx: StepContext): Promise<Record<string, unknown>> {
  const problems = checkImportSpec(spec);
  if (problems.length) throw new StepFailed(ctx.stepId, `the step's definition has problems:\n  ${problems.join('\n  ')}\nFix the plan, then run apply again.`);

  if (spec.cluster && spec.iamRole) {
    await ensureClusterRole(ctx, spec.cluster, spec.iamRole, 's3Import').catch((err) => {
      if (err instanceof StepFailed || err instanceof Interrupted) throw err;
      throw new StepFailed(ctx.stepId, `${sentence((err as Error).message)} Then run apply again.`, { cause: err });
    });
  }

  let conn: ResolvedConnection;
  try {
    conn = toResolvedConnection(spec.connection);
  } catch (err) {
    throw new StepFailed(ctx.stepId, `${sentence((err as Error).message)} Fix the plan (or the environment variable it reads), then run apply again.`, { cause: err });
  }
  const control = await open(ctx, conn);
  // Worker connections open while the setup runs (logins cost tens of ms each).
  const concurrency = spec.concurrency ?? 4;
  const early: Array<Promise<DbSession | Error>> = Array.from({ length: concurrency }, () =>
    ctx.db.connect(conn, { signal: ctx.signal }).catch((err: Error) => err),
  );
  try {
    await ensureDatabaseSetup(control, ctx, LEDGER_TABLE, LEDGER_DDL);
    const tables: string[] = [];
    for (const [i, t] of spec.tables.entries()) {
      const { rows } = await control.query<{ name: string; kind: string }>(RESOLVE_TABLE_SQL, [t.table]);
      if (!rows[0]) throw new StepFailed(ctx.stepId, `tables[${i}].table: ${t.table} does not exist in database "${conn.database}" (or the user cannot see it). Create the table first.`);
      tables.push(rows[0].name);
    }
    await ctx.checkpoint.set({ ...(ctx.checkpoint.get() ?? {}), setup: 'done' });

    const progress = new ImportProgress(ctx, spec.tables.length);
    const failures: FileFailed[] = [];
    let failureCount = 0;
    let fatal: unknown;
    let stopping = false;
    const onError = spec.onError ?? 'stop';

    async function* jobs(): AsyncGenerator<FileJob> {
      for (const [tableIndex, t] of spec.tables.entries()) {
        const base = { tableIndex, table: tables[tableIndex], columns: columnListText(t.columns), options: t.options ?? '', bucket: t.from.bucket, region: t.from.region };
        for await (const page of objectPages(ctx.aws, t.from, ctx.signal)) {
          const done = await importedKeys(control, base.table, base.bucket, page.map((o) => o.key));
          for (const o of page) {
            progress.listed(tableIndex);
            const etags = done.get(o.key);
            if (etags?.has(o.etag)) {
              progress.skipped();
              continue;
            }
            if (etags) ctx.warn(`s3://${base.bucket}/${o.key} changed since it was imported into ${base.table} (ETag now ${o.etag}); importing the new version as well`);
            yield { ...base, key: o.key, etag: o.etag, size: o.size };
          }
        }
        progress.listingDone(tableIndex);
      }
    }
    const source = jobs();
    let cut = false; // apply --max-runtime: no new file once the time is up; files in flight finish
    const next = async (): Promise<FileJob | undefined> => {
      if (stopping || ctx.signal.aborted) return undefined;
      if (ctx.timeUp?.()) {
        cut = true;
        return undefined;
      }
      const r = await source.next();
      return r.done ? undefined : r.value;
    };

    const meta = {
      planName: ctx.planName,
      stepId: ctx.stepId,
      runId: ctx.runId,
      credentials: spec.credentials,
      onSql: (text: string, params: unknown[]) => ctx.event('sql', { sql: text, params }),
    };

    const worker = async (index: number) => {
      let session: DbSession | undefined;
      let pending: Promise<DbSession | Error> | undefined = early[index];
      try {
        for (;;) {
          let job: FileJob | undefined;
          try {
            job = await next();
          } catch (err) {
            fatal ??= err;
            stopping = true;
          }
          if (!job) return;
          for (let attempt = 1; ; attempt++) {
            try {
              if (!session && pending) {
                const first = await pending;
                pending = undefined;
                if (first instanceof Error) throw first;
                session = first;
              }
              session ??= await ctx.db.connect(conn, { signal: ctx.signal });
              const outcome = await importFile(session, job, meta);
              if (outcome.status === 'imported') progress.imported(outcome.rows);
              else progress.skipped();
              break;
            } catch (err) {
              if (ctx.signal.aborted || isDbError(err, 'canceled')) return;
              if (err instanceof FileFailed) {
                failureCount++;
                if (failures.length < LISTED_FAILURES) failures.push(err);
                progress.failed();
                ctx.warn(`file failed: ${err.message}`);
                if (onError === 'stop') stopping = true;
                break;
              }
              const retryable =
                isDbError(err, 'connection') || (isDbError(err, 'connect') && !FATAL_CONNECT_STATES.has(err.sqlstate ?? ''));
              if (retryable && attempt < MAX_RETRIES && !stopping) {
                await session?.close().catch(() => undefined);
                session = undefined;
                ctx.warn(`connection problem while importing s3://${job.bucket}/${job.key} (attempt ${attempt} of ${MAX_RETRIES}): ${(err as Error).message}; retrying on a new connection`);
                await ctx.sleep(Math.min(1000 * 2 ** (attempt - 1), 30_000)).catch(() => undefined);
                if (ctx.signal.aborted) return;
                continue;
              }
              fatal ??= err;
              stopping = true;
              return;
            }
          }
        }
      } finally {
        await session?.close().catch(() => undefined);
      }
    };

    await Promise.all(Array.from({ length: concurrency }, (_, i) => worker(i)));
    await source.return(undefined).catch(() => undefined);
    progress.report(true);
    const summary = progress.summary();
    await ctx.checkpoint.set({ setup: 'done', lastAttempt: summary, failedFiles: failureCount, failedKeys: failures.slice(0, 10).map((f) => `s3://${f.job.bucket}/${f.job.key}`) });

    if (cut && !fatal) ctx.safePoint?.(`between s3-import files (step "${ctx.stepId}", ${summary.filesImported} file(s) imported in this attempt)`);
    if (ctx.signal.aborted) throw new Interrupted(`step "${ctx.stepId}" interrupted after ${summary.filesImported} file(s) in this attempt; run apply again to import the rest`);
    if (fatal) {
      if (fatal instanceof StepFailed || fatal instanceof Interrupted) throw fatal;
      throw new StepFailed(ctx.stepId, `${sentence((fatal as Error)?.message ?? String(fatal))} Files imported so far are recorded in aurora_migrate.s3_import_ledger; run apply again to import the rest.`, { cause: fatal });
    }
    if (failureCount > 0) {
      const listed = failures.map((f) => `  - ${f.message}`).join('\n');
      const more = failureCount > failures.length ? `\n  ... and ${failureCount - failures.length} more` : '';
      const what = onError === 'stop' ? 'stopped at a file the database refused (onError: stop)' : `${failureCount} file(s) failed (onError: continue)`;
      throw new StepFailed(ctx.stepId, `${what}:\n${listed}${more}\nFix the file(s) or the table's options, then run apply again: files already imported are skipped.`);
    }

    let filesImported = 0;
    let rowsImported = 0;
    const mismatches: string[] = [];
    for (const [i, t] of spec.tables.entries()) {
      const totals = await ledgerTotals(control, tables[i], t.from);
      filesImported += totals.files;
      rowsImported += totals.rows;
      if (t.expectRows !== undefined && totals.rows !== t.expectRows) {
        mismatches.push(`  - ${tables[i]} from s3://${t.from.bucket}/${t.from.prefix ?? `(${t.from.keys?.length} keys)`}: expected ${t.expectRows} rows, the ledger records ${totals.rows} in ${totals.files} file(s)`);
      }
    }
    if (mismatches.length) {
      throw new StepFailed(ctx.stepId, `row counts differ from expectRows:\n${mismatches.join('\n')}\nCheck the source files and the plan's expectRows; imported files stay recorded and are not imported again.`);
    }
    return { filesImported, rowsImported };
  } finally {
    await control.close().catch(() => undefined);
    // Sessions opened early but never used (setup failed, or nothing to import): close them.
    await Promise.all(early.map((p) => p.then((s) => (s instanceof Error ? undefined : s.close())).catch(() => undefined)));
  }
}

async function open(ctx: StepContext, conn: ResolvedConnection): Promise<DbSession> {
  try {
    return await ctx.db.connect(conn, { signal: ctx.signal });
  } catch (err) {
    if (ctx.signal.aborted) throw new Interrupted('interrupted');
    throw new StepFailed(ctx.stepId, (err as Error).message, { cause: err });
  }
}

