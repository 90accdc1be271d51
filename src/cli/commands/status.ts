// `aurora-migrate status PLAN`: what the state file says, step by step (text or json). Read-only:
// never takes the lock, never writes. No state file yet → every step pending, exit 0.
import type { GlobalOptions, Io } from '../io.js';
import { useColor } from '../io.js';
import { ExitCode } from '../exit-codes.js';
import type { Plan } from '../../plan/types.js';
import type { RunStorage } from '../../engine/run-storage.js';
import { summarizeSteps } from '../../engine/result.js';
import { pendingApprovalText } from '../../plan/approval-rule.js';
import { stepContentHash } from '../../engine/hash.js';
import { timeScaleFromEnv } from '../../engine/time-scale.js';
import { renderStatusText, type StatusReport } from '../../render/status.js';
import { cutoverTimeline } from '../../engine/cutover-timeline.js';
import { loadPlanOrReport, type ApplyOverrides } from './apply.js';
import { runStorageFor } from '../run-storage-for.js';
import { present } from '../../invariant.js';

/** `storage`: the local file or S3, as runStorageFor chose it. */
export async function buildStatusReport(
  plan: Plan,
  planArg: string,
  storage: RunStorage,
  env: Io['env'],
): Promise<StatusReport> {
  const statePath = storage.location;
  const read = await storage.read(plan.name);
  const state = read.exists ? read.state : undefined;
  const steps = summarizeSteps(plan, state).map((s) => {
    const ran = state?.steps[s.id];
    const changed =
      ran &&
      ran.status !== 'pending' &&
      ran.hash !==
        stepContentHash(
          present(
            plan.steps.find((p) => p.id === s.id),
            `step "${s.id}" of the plan`,
          ),
        );
    return changed ? { ...s, changedSinceRun: true } : s;
  });
  const report: StatusReport = {
    version: 1,
    plan: plan.name,
    ...(plan.description !== undefined ? { description: plan.description } : {}),
    planFile: planArg,
    stateFile: statePath,
    exists: !!state,
    steps,
  };
  if (state) {
    report.runId = state.runId;
    report.updatedAt = state.updatedAt;
    if (state.finishedAt) report.finishedAt = state.finishedAt;
    const cutover = cutoverTimeline(plan, state);
    if (cutover) report.cutover = cutover;
  }
  const lease = await storage.inspectLease();
  if (lease) {
    const h = lease.holder;
    report.lock = {
      ...(h ? { host: h.host, pid: h.pid, user: h.user, since: h.since } : {}),
      heartbeatAgeMs: Math.round(lease.heartbeatAgeMs),
      stale: lease.stale || lease.holderGone,
    };
  }
  try {
    const ts = timeScaleFromEnv(env);
    if (ts.scale !== 1) report.timeScale = ts.scale;
  } catch {
    // apply reports a bad value; status only shows a valid one
  }
  const waiting = steps.find((s) => s.status === 'awaiting-approval');
  if (waiting) {
    const spec = plan.steps.find((p) => p.id === waiting.id) as { message?: string };
    report.pendingApproval = {
      stepId: waiting.id,
      message: pendingApprovalText(
        spec,
        state?.approvals.filter((a) => a.stepId === waiting.id && a.runId === state.runId) ?? [],
      ),
      approveWith: `aurora-migrate apply ${planArg} --approve ${waiting.id}`,
    };
  }
  return report;
}

export async function runStatus(
  file: string,
  opts: GlobalOptions,
  io: Io,
  overrides: Pick<ApplyOverrides, 'loadPlan'> = {},
): Promise<number> {
  const plan = await loadPlanOrReport(file, io, overrides.loadPlan, opts);
  if (typeof plan === 'number') return plan;
  const chosen = runStorageFor(plan, opts, io);
  let report: StatusReport;
  try {
    report = await buildStatusReport(plan, file, chosen.storage, io.env);
  } finally {
    chosen.close();
  }
  if (opts.format === 'json') io.stdout.write(JSON.stringify(report, null, 2) + '\n');
  else io.stdout.write(renderStatusText(report, { color: useColor(io, opts, 'stdout') }));
  return ExitCode.Ok;
}
