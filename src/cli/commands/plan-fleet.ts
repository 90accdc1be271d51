// `aurora-migrate plan PLAN...`: one plan prints its review as always (plan.ts); several (or a glob
// matching several) print a summary table and then every plan's review (src/render/plan-fleet.ts says
// why). Exit 1 when a plan is invalid (its diagnostics on stderr, or in the JSON), else 2 when a
// --preflight check failed, else 0.
import { resolve } from 'node:path';
import { ExitCode } from '../exit-codes.js';
import { useColor, type Io, type PlanOptions } from '../io.js';
import { UsageError } from '../../errors.js';
import { loadPlan, type LoadResult } from '../../plan/load.js';
import type { Plan } from '../../plan/types.js';
import { mapLimit, FLEET_READ_CONCURRENCY } from '../../fleet/read-fleet.js';
import { formatDiagnostics } from '../../render/diagnostics.js';
import {
  renderPlanFleetJson,
  renderPlanFleetMarkdown,
  renderPlanFleetText,
  type PlanFleetEntry,
} from '../../render/plan-fleet.js';
import { expandPlanArgs } from '../expand-plan-args.js';
import { reviewPlan, runPlan } from './plan.js';

export async function runPlanMany(args: readonly string[], opts: PlanOptions, io: Io): Promise<number> {
  const files = await expandPlanArgs(args, io.cwd);
  if (files.length === 1) return runPlan(files[0], opts, io);
  if (opts.state !== undefined) {
    throw new UsageError(
      "--state names the state of one plan; with several plans each reads its own (the plan's state.s3, else .aurora-migrate/<plan name>.state.json).",
    );
  }
  const color = useColor(io, opts);
  let exit: number = ExitCode.Ok;
  const entries = await mapLimit(files, FLEET_READ_CONCURRENCY, async (file): Promise<PlanFleetEntry> => {
    let loaded: LoadResult;
    try {
      loaded = await loadPlan(resolve(io.cwd, file));
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      exit = ExitCode.Invalid;
      return { file, error: e.code === 'ENOENT' ? 'no such file' : `cannot read the plan: ${e.message}` };
    }
    const diagnostics = loaded.diagnostics.map((d) => ({ ...d, file }));
    if (opts.format !== 'json') io.stderr.write(formatDiagnostics(diagnostics, color)); // errors, or warnings only
    if (!loaded.ok) {
      exit = ExitCode.Invalid;
      return { file, invalid: diagnostics };
    }
    const reviewed = await reviewPlan({ ...loaded.plan, file } as Plan, diagnostics, opts, io);
    if (reviewed.exit === ExitCode.Failed && exit === ExitCode.Ok) exit = ExitCode.Failed;
    return { file, view: reviewed.view };
  });
  if (opts.format === 'json') io.stdout.write(renderPlanFleetJson(entries));
  else if (opts.format === 'markdown') io.stdout.write(renderPlanFleetMarkdown(entries));
  else io.stdout.write(renderPlanFleetText(entries, useColor(io, opts, 'stdout')));
  return exit;
}
