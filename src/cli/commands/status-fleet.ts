// `aurora-migrate status PLAN...`: with one plan, the step-by-step status (status.ts, unchanged); with
// several (or a glob matching several), one table of the fleet — every plan's state read in parallel,
// local or S3 — as text, markdown (a dashboard for a PR or $GITHUB_STEP_SUMMARY) or JSON. Exit 1 when
// a plan file is invalid, else 4 when a state could not be read (its row says why), else 0.
import type { GlobalOptions, Io } from '../io.js';
import { useColor } from '../io.js';
import { ExitCode } from '../exit-codes.js';
import { UsageError } from '../../errors.js';
import { loadPlan } from '../../plan/load.js';
import type { Plan } from '../../plan/types.js';
import type { AwsApi } from '../../aws/api.js';
import { lazyAwsApi } from '../../engine/adapters.js';
import { timeScaleFromEnv } from '../../engine/time-scale.js';
import { readFleet, type FleetEntry } from '../../fleet/read-fleet.js';
import type { FleetRow } from '../../fleet/fleet-row.js';
import { formatDiagnostics } from '../../render/diagnostics.js';
import { renderFleetText } from '../../render/fleet-text.js';
import { renderFleetMarkdown } from '../../render/fleet-markdown.js';
import { renderFleetJson } from '../../render/fleet-json.js';
import { expandPlanArgs } from '../expand-plan-args.js';
import { runStorageFor } from '../run-storage-for.js';
import { runStatus } from './status.js';
import { isAbsolute, relative, resolve } from 'node:path';

export async function runStatusMany(args: readonly string[], opts: GlobalOptions, io: Io): Promise<number> {
  const files = await expandPlanArgs(args, io.cwd);
  // One plan: the step-by-step status as always (markdown, the dashboard format, stays a table).
  if (files.length === 1 && opts.format !== 'markdown') return runStatus(files[0], opts, io);
  const rows = await fleetStatus(files, opts, io);
  const timeScale = scaleOf(io);
  if (opts.format === 'json') io.stdout.write(renderFleetJson(rows, { timeScale }));
  else if (opts.format === 'markdown') io.stdout.write(renderFleetMarkdown(rows, { timeScale }));
  else io.stdout.write(renderFleetText(rows, { color: useColor(io, opts, 'stdout'), timeScale }));
  if (rows.some((r) => r.state === 'invalid-plan')) return ExitCode.Invalid;
  if (rows.some((r) => r.state === 'unreadable')) return ExitCode.Conflict;
  return ExitCode.Ok;
}

/** Loads every plan (an invalid one is a row, its diagnostics on stderr) and reads their states in parallel. */
export async function fleetStatus(files: readonly string[], opts: GlobalOptions, io: Io): Promise<FleetRow[]> {
  if (opts.state !== undefined) {
    throw new UsageError(
      "--state names the state of one plan; with several plans each reads its own (the plan's state.s3, else .aurora-migrate/<plan name>.state.json).",
    );
  }
  const entries: FleetEntry[] = await Promise.all(
    files.map(async (file): Promise<FleetEntry> => {
      try {
        const loaded = await loadPlan(resolve(io.cwd, file));
        const diagnostics = loaded.diagnostics.map((d) => ({ ...d, file }));
        if (!loaded.ok) {
          if (opts.format !== 'json') io.stderr.write(formatDiagnostics(diagnostics, useColor(io, opts)));
          const errors = diagnostics.filter((d) => d.severity === 'error');
          return {
            planFile: file,
            error: `the plan is invalid: ${errors[0]?.message ?? 'see the diagnostics'}${errors.length > 1 ? ` (and ${errors.length - 1} more problem${errors.length > 2 ? 's' : ''}; run aurora-migrate validate ${file})` : ''}`,
          };
        }
        return { planFile: file, plan: { ...loaded.plan, file } as Plan };
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        return { planFile: file, error: e.code === 'ENOENT' ? 'no such file' : `cannot read the plan: ${e.message}` };
      }
    }),
  );
  // One AWS client per region for every S3 state, not one per plan.
  const clients = new Map<string, AwsApi & { close(): void }>();
  const awsFor = (plan: Plan) => {
    const region = opts.region ?? plan.region ?? '';
    let api = clients.get(region);
    if (!api) {
      api = lazyAwsApi({
        region: region || undefined,
        profile: opts.profile,
        env: io.env as Record<string, string | undefined>,
      });
      clients.set(region, api);
    }
    return api;
  };
  try {
    const rows = await readFleet(entries, (plan) =>
      runStorageFor(plan, opts, io, plan.state?.s3 ? awsFor(plan) : undefined),
    );
    return rows.map((r) =>
      r.stateFile && isAbsolute(r.stateFile) ? { ...r, stateFile: shownPath(r.stateFile, io.cwd) } : r,
    );
  } finally {
    for (const api of clients.values()) api.close();
  }
}

/** A local state file relative to the current folder when it is under it (as `plan` shows it). */
function shownPath(path: string, cwd: string): string {
  const rel = relative(cwd, path);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}

function scaleOf(io: Io): number | undefined {
  try {
    const { scale } = timeScaleFromEnv(io.env);
    return scale === 1 ? undefined : scale;
  } catch {
    return undefined;
  }
}
