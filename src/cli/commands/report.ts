// `aurora-migrate report PLAN... [--format html|markdown] [--output FILE]`: the run as a page, offline,
// from each plan's state and event log (local or S3, read as `status` reads them; never locked or
// written). HTML by default (one self-contained file), markdown for a pull request or a step summary.
// Exit 0; 1 for an invalid plan or command line; 4 when a state cannot be read (with several plans,
// after printing the others, the unreadable one as a row saying why).
import { expandPlanArgs } from '../expand-plan-args.js';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import type { GlobalOptions, Io } from '../io.js';
import { ExitCode, ExitError } from '../exit-codes.js';
import { UsageError } from '../../errors.js';
import type { Plan } from '../../plan/types.js';
import { redact, resolveDeep } from '../../plan/values.js';
import type { ReportModel } from '../../report/model.js';
import { readPlanRun } from '../../report/read-plan-run.js';
import { runStorageFor } from '../run-storage-for.js';
import { loadPlanOrReport, type ApplyOverrides } from './apply.js';

export interface ReportOptions extends Omit<GlobalOptions, 'format'> {
  format: 'html' | 'markdown';
  output?: string;
}

export interface ReportOverrides extends Pick<ApplyOverrides, 'loadPlan'> {
  /** The report's "generated at" (tests). */
  now?: () => Date;
}

export async function runReport(
  args: string[],
  opts: ReportOptions,
  io: Io,
  overrides: ReportOverrides = {},
): Promise<number> {
  if (opts.format !== 'html' && opts.format !== 'markdown')
    throw new UsageError(`report prints html or markdown, not ${opts.format}: use --format html or --format markdown.`);
  const files = await expandPlanArgs(args, io.cwd); // a quoted glob too, as status and plan do
  if (opts.state !== undefined && files.length > 1) {
    throw new UsageError(
      `--state names one state, but ${files.length} plans were given: each plan's report reads its own state (the plan's state.s3, else .aurora-migrate/<plan name>.state.json). Run report once per plan to name a state.`,
    );
  }
  const plans: Plan[] = [];
  for (const file of files) {
    const plan = await loadPlanOrReport(file, io, overrides.loadPlan, { format: 'text', color: opts.color });
    if (typeof plan === 'number') return plan;
    plans.push(plan);
  }
  const runs = await Promise.all(
    plans.map(async (plan, i) => {
      const chosen = runStorageFor(plan, opts, io);
      try {
        return await readPlanRun(plan, files[i], chosen.storage);
      } finally {
        chosen.close();
      }
    }),
  );
  const unreadable = runs.filter((r) => r.problem);
  if (runs.length === 1 && unreadable.length === 1)
    throw new ExitError(ExitCode.Conflict, `error: ${unreadable[0].problem}`);

  const model: ReportModel = { version: 1, generatedAt: (overrides.now?.() ?? new Date()).toISOString(), plans: runs };
  const text =
    opts.format === 'markdown'
      ? (await import('../../report/markdown.js')).renderMarkdown(model)
      : (await import('../../report/html.js')).renderHtml(model);
  // The event log is redacted when written; a secret the plan resolves to now never shows either.
  const safe = redact(
    text,
    plans.flatMap((p) => secretsOf(p, io.env)),
  );

  if (opts.output) {
    const path = isAbsolute(opts.output) ? opts.output : resolve(io.cwd, opts.output);
    try {
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, safe, 'utf8');
    } catch (err) {
      throw new UsageError(
        `cannot write the report to ${opts.output}: ${(err as Error).message}. Check the path and its permissions.`,
        { cause: err },
      );
    }
    io.stderr.write(
      `report (${opts.format}, ${runs.length} plan${runs.length === 1 ? '' : 's'}) written to ${opts.output}\n`,
    );
  } else {
    io.stdout.write(safe);
  }
  for (const r of unreadable) io.stderr.write(`error: ${r.plan}: ${r.problem}\n`);
  return unreadable.length ? ExitCode.Conflict : ExitCode.Ok;
}

function secretsOf(plan: Plan, env: Io['env']): string[] {
  try {
    return resolveDeep(plan.steps, { vars: plan.vars, env, outputs: {} }, 'display').secrets;
  } catch {
    return [];
  }
}
