// `aurora-migrate validate PLAN...`: offline schema and semantic checks of each plan file.
// Text: diagnostics (gcc style) and one "ok" line per good file, all on stderr. JSON: one document on stdout.
import { resolve } from 'node:path';
import { ExitCode } from '../exit-codes.js';
import { useColor, type GlobalOptions, type Io } from '../io.js';
import { loadPlan } from '../../plan/load.js';
import { diagnosticsDocument, formatDiagnostics, type FileResult } from '../../render/diagnostics.js';
import { expandPlanArgs } from '../expand-plan-args.js';

export async function validateFiles(files: readonly string[], io: Pick<Io, 'cwd'>): Promise<FileResult[]> {
  const results: FileResult[] = [];
  for (const file of files) {
    const result = await loadPlan(resolve(io.cwd, file));
    const diagnostics = result.diagnostics.map((d) => ({ ...d, file }));
    results.push(
      result.ok
        ? { file, valid: true, steps: result.plan.steps.length, diagnostics }
        : { file, valid: false, diagnostics },
    );
  }
  return results;
}

export async function runValidate(files: string[], opts: GlobalOptions, io: Io): Promise<number> {
  const results = await validateFiles(await expandPlanArgs(files, io.cwd), io); // a quoted glob too
  if (opts.format === 'json') {
    io.stdout.write(diagnosticsDocument(results));
  } else {
    const color = useColor(io, opts);
    for (const r of results) {
      io.stderr.write(formatDiagnostics(r.diagnostics, color));
      if (r.valid) io.stderr.write(`${r.file}: ok (${r.steps} step${r.steps === 1 ? '' : 's'})\n`);
    }
  }
  return results.every((r) => r.valid) ? ExitCode.Ok : ExitCode.Invalid;
}
