// The files to import, as one stream the workers share: each table's objects listed page by page,
// what the ledger already holds skipped (a changed ETag is imported again, with a warning). The
// stream ends early when the run is stopping, interrupted, or out of time (apply --max-runtime: no
// new file once the time is up; files in flight finish, and `cut` says so).
import type { DbSession } from '../../db/api.js';
import type { S3ImportSpec } from '../../plan/types.js';
import type { StepContext } from '../step.js';
import type { FileJob } from './import-file.js';
import { importedKeys } from './ledger.js';
import { objectPages } from './objects.js';
import type { ImportProgress } from './progress.js';
import { columnListText } from './spec-checks.js';

export interface FileJobs {
  /** The next file, or undefined when there is none or no new file may start. */
  next(): Promise<FileJob | undefined>;
  /** Stops the listing. */
  close(): Promise<void>;
  /** True once a file was held back because the time was up. */
  readonly cut: boolean;
}

type Ctx = Pick<StepContext, 'aws' | 'signal' | 'warn' | 'timeUp'>;

export function fileJobs(
  spec: S3ImportSpec,
  tables: readonly string[],
  control: DbSession,
  ctx: Ctx,
  progress: ImportProgress,
  stopping: () => boolean,
): FileJobs {
  const source = listed(spec, tables, control, ctx, progress);
  let cut = false;
  return {
    async next() {
      if (stopping() || ctx.signal.aborted) return undefined;
      if (ctx.timeUp?.()) {
        cut = true;
        return undefined;
      }
      const r = await source.next();
      return r.done ? undefined : r.value;
    },
    async close() {
      await source.return(undefined).catch(() => undefined);
    },
    get cut() {
      return cut;
    },
  };
}

async function* listed(
  spec: S3ImportSpec,
  tables: readonly string[],
  control: DbSession,
  ctx: Ctx,
  progress: ImportProgress,
): AsyncGenerator<FileJob> {
  for (const [tableIndex, t] of spec.tables.entries()) {
    const base = {
      tableIndex,
      table: tables[tableIndex],
      columns: columnListText(t.columns),
      options: t.options ?? '',
      bucket: t.from.bucket,
      region: t.from.region,
    };
    for await (const page of objectPages(ctx.aws, t.from, ctx.signal)) {
      const done = await importedKeys(
        control,
        base.table,
        base.bucket,
        page.map((o) => o.key),
      );
      for (const o of page) {
        progress.listed(tableIndex);
        const etags = done.get(o.key);
        if (etags?.has(o.etag)) {
          progress.skipped();
          continue;
        }
        if (etags)
          ctx.warn(
            `s3://${base.bucket}/${o.key} changed since it was imported into ${base.table} (ETag now ${o.etag}); importing the new version as well`,
          );
        yield { ...base, key: o.key, etag: o.etag, size: o.size };
      }
    }
    progress.listingDone(tableIndex);
  }
}
