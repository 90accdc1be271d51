// How an s3-import attempt ends, once the workers are done: interrupted, stopped by a fatal error,
// failed files listed, or the ledger's totals checked against each table's expectRows.
import type { DbSession } from '../../db/api.js';
import { Interrupted, StepFailed } from '../../errors.js';
import type { S3ImportSpec } from '../../plan/types.js';
import type { StepContext } from '../step.js';
import { sentence } from './db-setup.js';
import type { ImportTally } from './import-workers.js';
import { ledgerTotals } from './ledger.js';

/** Throws when the attempt did not import every file: interrupted, a fatal error, or failed files. */
export function throwIfUnfinished(
  ctx: Pick<StepContext, 'stepId' | 'signal'>,
  spec: S3ImportSpec,
  tally: ImportTally,
  filesImported: number,
): void {
  if (ctx.signal.aborted)
    throw new Interrupted(
      `step "${ctx.stepId}" interrupted after ${filesImported} file(s) in this attempt; run apply again to import the rest`,
    );
  const { fatal, failures, failureCount } = tally;
  if (fatal) {
    if (fatal instanceof StepFailed || fatal instanceof Interrupted) throw fatal;
    throw new StepFailed(
      ctx.stepId,
      `${sentence((fatal as Error)?.message ?? String(fatal))} Files imported so far are recorded in aurora_migrate.s3_import_ledger; run apply again to import the rest.`,
      { cause: fatal },
    );
  }
  if (failureCount > 0) {
    const listed = failures.map((f) => `  - ${f.message}`).join('\n');
    const more = failureCount > failures.length ? `\n  ... and ${failureCount - failures.length} more` : '';
    const what =
      (spec.onError ?? 'stop') === 'stop'
        ? 'stopped at a file the database refused (onError: stop)'
        : `${failureCount} file(s) failed (onError: continue)`;
    throw new StepFailed(
      ctx.stepId,
      `${what}:\n${listed}${more}\nFix the file(s) or the table's options, then run apply again: files already imported are skipped.`,
    );
  }
}

/** The step's outputs from the ledger (every attempt's files), after checking each table's expectRows. */
export async function ledgerOutputs(
  control: DbSession,
  ctx: Pick<StepContext, 'stepId'>,
  spec: S3ImportSpec,
  tables: readonly string[],
): Promise<{ filesImported: number; rowsImported: number }> {
  let filesImported = 0;
  let rowsImported = 0;
  const mismatches: string[] = [];
  for (const [i, t] of spec.tables.entries()) {
    const totals = await ledgerTotals(control, tables[i], t.from);
    filesImported += totals.files;
    rowsImported += totals.rows;
    if (t.expectRows !== undefined && totals.rows !== t.expectRows) {
      mismatches.push(
        `  - ${tables[i]} from s3://${t.from.bucket}/${t.from.prefix ?? `(${t.from.keys?.length} keys)`}: expected ${t.expectRows} rows, the ledger records ${totals.rows} in ${totals.files} file(s)`,
      );
    }
  }
  if (mismatches.length) {
    throw new StepFailed(
      ctx.stepId,
      `row counts differ from expectRows:\n${mismatches.join('\n')}\nCheck the source files and the plan's expectRows; imported files stay recorded and are not imported again.`,
    );
  }
  return { filesImported, rowsImported };
}
