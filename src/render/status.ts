// `status` output: every step of the plan with what the state file says about it — status, timings,
// attempts, outputs, last error, warnings, a pending approval — plus who holds the run lock.
import type { StepSummary } from '../engine/result.js';
import { durationBetween, formatOutputs, pad, painter, statusWord } from './status-format.js';
import { approvalLine } from './approval-line.js';
import { descriptionLines } from './plan-view.js';
import { cutoverTimelineLines, type CutoverTimeline } from './cutover-timeline.js';

export interface StatusStep extends StepSummary {
  /** The plan's definition differs from the one that ran (apply would exit 4 if it succeeded). */
  changedSinceRun?: boolean;
}

export interface StatusReport {
  version: 1;
  plan: string;
  /** The plan's own description, when it has one. */
  description?: string;
  planFile: string;
  stateFile: string;
  /** false: no state file yet, every step pending. */
  exists: boolean;
  runId?: string;
  updatedAt?: string;
  finishedAt?: string;
  lock?: { host?: string; pid?: number; user?: string; since?: string; heartbeatAgeMs: number; stale: boolean };
  timeScale?: number;
  pendingApproval?: { stepId: string; message: string; approveWith: string };
  /** The cutover window and its timings, once a freeze-writes step opened one. */
  cutover?: CutoverTimeline;
  steps: StatusStep[];
}

export function renderStatusText(r: StatusReport, options: { color: boolean }): string {
  const paint = painter(options.color);
  const out: string[] = [];
  if (!r.exists) {
    out.push(
      `plan ${r.plan}: no state file yet (${r.stateFile}); nothing has run. ${r.steps.length === 1 ? 'Its one step is' : `All ${r.steps.length} steps are`} pending.`,
    );
  } else {
    out.push(
      `plan ${paint('bold', r.plan)} (run ${r.runId?.slice(0, 8)}), state ${r.stateFile}, updated ${r.updatedAt}` +
        (r.finishedAt ? `, finished ${r.finishedAt}` : ''),
    );
  }
  if (r.description) out.push(...descriptionLines(r.description, '  '));
  if (r.timeScale !== undefined)
    out.push(
      paint('yellow', `AURORA_MIGRATE_TIME_SCALE=${r.timeScale}: waits are divided by ${r.timeScale} (rehearsal).`),
    );
  if (r.lock) {
    const who =
      r.lock.pid !== undefined
        ? `pid ${r.lock.pid} on ${r.lock.host} (user ${r.lock.user}, since ${r.lock.since})`
        : 'an unknown process';
    out.push(
      r.lock.stale
        ? paint(
            'yellow',
            `lock: held by ${who}, but its heartbeat stopped; if that run is gone: aurora-migrate unlock ${r.planFile}`,
          )
        : `lock: a run is in progress: ${who}`,
    );
  }
  const idW = Math.max(...r.steps.map((s) => s.id.length), 4) + 2;
  out.push('');
  out.push(paint('gray', `  ${pad('STEP', idW)}${pad('STATUS', 19)}${pad('ATTEMPTS', 10)}${pad('STARTED', 26)}TOOK`));
  for (const s of r.steps) {
    const took = durationBetween(s.startedAt, s.finishedAt);
    out.push(
      `  ${pad(s.id, idW)}${pad(statusWord(s.status, paint), 19)}${pad(String(s.attempts), 10)}${pad(s.startedAt ?? '-', 26)}${took || '-'}`.trimEnd(),
    );
    const indent = ' '.repeat(idW + 2);
    if (s.outputs && Object.keys(s.outputs).length) out.push(`${indent}outputs: ${formatOutputs(s.outputs)}`);
    for (const a of s.approvals ?? (s.approval ? [s.approval] : [])) out.push(`${indent}${approvalLine(a)}`);
    if (s.error && s.status !== 'succeeded') out.push(`${indent}${paint('red', 'error')}: ${s.error.message}`);
    for (const w of s.warnings) out.push(`${indent}${paint('yellow', 'warning')}: ${w}`);
    if (s.changedSinceRun)
      out.push(`${indent}${paint('yellow', 'changed')}: the plan's definition differs from the one that ran`);
  }
  if (r.cutover) out.push('', ...cutoverTimelineLines(r.cutover));
  if (r.pendingApproval) {
    out.push('');
    out.push(`waiting for approval at "${r.pendingApproval.stepId}": ${r.pendingApproval.message}`);
    out.push(`approve with: ${r.pendingApproval.approveWith}`);
  }
  return out.join('\n') + '\n';
}
