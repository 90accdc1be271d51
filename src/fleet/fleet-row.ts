// One plan of a fleet as `status PLAN...` shows it (DESIGN.md "Long runs in CI, fleets, and the run
// report"): where its state is, the step it is at and that step's live detail as the state recorded
// it (lag, rows copied, sync state), a pending approval and who may give it, the cutover's outcome
// and write downtime, the last update and who holds the lock. Built from what `status` reads for one
// plan: the state document and the lease, nothing else.
import type { Plan, StepSpec } from '../plan/types.js';
import type { LeaseInfo } from '../engine/lock.js';
import type { StateFile, StepStatus } from '../engine/state-file.js';
import { cutoverTimeline } from '../engine/cutover-timeline.js';

/** The plan as a whole, in one word. */
export type FleetPhase =
  | 'not-started'
  | 'in-progress'
  | 'awaiting-approval'
  | 'failed'
  | 'rolled-back'
  | 'finished'
  | 'unknown';

export interface FleetRow {
  /** The plan's name (the file as given when the plan could not be loaded). */
  plan: string;
  planFile: string;
  /** Path or s3:// URL of the state (absent when the plan could not be loaded). */
  stateFile?: string;
  /** found / none yet / could not be read (`error` says why) / the plan itself is invalid. */
  state: 'found' | 'none' | 'unreadable' | 'invalid-plan';
  phase: FleetPhase;
  /** The step the plan is at: the first running, failed or waiting one, else the first not succeeded (the last when all have). */
  step?: { id: string; type: string; status: StepStatus; attempts: number; number: number; of: number };
  /** Steps succeeded so far. */
  done?: number;
  /** The current step's last progress line as recorded, or its error; `detailAt` when it was reported. */
  detail?: string;
  detailAt?: string;
  approval?: {
    stepId: string;
    message: string;
    approvers?: string[];
    required: number;
    approvedBy: string[];
    approveWith: string;
  };
  cutover?: { status: string; frozenAt: string; switchedAt?: string; writeDowntime?: string; rolledBackBefore: number };
  updatedAt?: string;
  finishedAt?: string;
  lock?: {
    host?: string;
    pid?: number;
    user?: string;
    since?: string;
    ciJobUrl?: string;
    heartbeatAgeMs: number;
    stale: boolean;
  };
  /** Why the state (or the plan) could not be read. */
  error?: string;
}

export function fleetRowFromState(
  plan: Plan,
  planFile: string,
  stateFile: string,
  state: StateFile | undefined,
  lease: LeaseInfo | undefined,
): FleetRow {
  const row: FleetRow = { plan: plan.name, planFile, stateFile, state: state ? 'found' : 'none', phase: 'not-started' };
  const statuses = plan.steps.map((s) => state?.steps[s.id]?.status ?? 'pending');
  const done = statuses.filter((s) => s === 'succeeded').length;
  const active = statuses.findIndex((s) => s === 'running' || s === 'failed' || s === 'awaiting-approval');
  const index =
    active >= 0
      ? active
      : done === plan.steps.length
        ? plan.steps.length - 1
        : Math.max(
            0,
            statuses.findIndex((s) => s !== 'succeeded'),
          );
  const spec = plan.steps[index];
  const s = state?.steps[spec.id];
  row.step = {
    id: spec.id,
    type: spec.type,
    status: statuses[index],
    attempts: s?.attempts ?? 0,
    number: index + 1,
    of: plan.steps.length,
  };
  row.done = done;
  if (lease) row.lock = lockOf(lease);
  if (!state) return row;

  row.updatedAt = state.updatedAt;
  if (state.finishedAt) row.finishedAt = state.finishedAt;
  row.phase = phaseOf(statuses, Boolean(state.finishedAt));
  if (s?.status === 'failed' && s.error) {
    row.detail = s.error.message;
  } else if (s?.progress && s.status === 'running') {
    row.detail = s.progress.detail;
    row.detailAt = s.progress.at;
  }
  const waiting = plan.steps.find((p) => state.steps[p.id]?.status === 'awaiting-approval');
  if (waiting) row.approval = approvalOf(waiting, state, planFile);
  const c = cutoverTimeline(plan, state);
  if (c) {
    row.cutover = { status: c.status, frozenAt: c.frozenAt, rolledBackBefore: c.rolledBackBefore };
    if (c.switchedAt) row.cutover.switchedAt = c.switchedAt;
    if (c.writeDowntime) row.cutover.writeDowntime = c.writeDowntime;
  }
  return row;
}

/** A row for a plan whose state could not be read (or whose file is not a valid plan). */
export function fleetRowError(
  planName: string,
  planFile: string,
  stateFile: string | undefined,
  error: string,
  kind: 'unreadable' | 'invalid-plan',
): FleetRow {
  return { plan: planName, planFile, ...(stateFile ? { stateFile } : {}), state: kind, phase: 'unknown', error };
}

function phaseOf(statuses: StepStatus[], finished: boolean): FleetPhase {
  if (finished && statuses.every((s) => s === 'succeeded')) return 'finished';
  if (statuses.includes('awaiting-approval')) return 'awaiting-approval';
  if (statuses.includes('failed')) return 'failed';
  if (statuses.includes('rolled-back')) return 'rolled-back';
  if (statuses.every((s) => s === 'pending')) return 'not-started';
  return 'in-progress';
}

function approvalOf(spec: StepSpec, state: StateFile, planFile: string): NonNullable<FleetRow['approval']> {
  const a = spec as { message?: string; approvers?: string[]; required?: number };
  const given = state.approvals.filter((r) => r.stepId === spec.id && r.runId === state.runId).map((r) => r.approvedBy);
  return {
    stepId: spec.id,
    message: a.message ?? '',
    ...(a.approvers?.length ? { approvers: [...a.approvers] } : {}),
    required: a.required ?? 1,
    approvedBy: [...new Set(given)],
    approveWith: `aurora-migrate apply ${planFile} --approve ${spec.id}`,
  };
}

function lockOf(lease: LeaseInfo): NonNullable<FleetRow['lock']> {
  const h = lease.holder as (LeaseInfo['holder'] & { ciJobUrl?: string }) | undefined;
  return {
    ...(h ? { host: h.host, pid: h.pid, user: h.user, since: h.since } : {}),
    ...(h?.ciJobUrl ? { ciJobUrl: h.ciJobUrl } : {}),
    heartbeatAgeMs: Math.round(lease.heartbeatAgeMs),
    stale: lease.stale || lease.holderGone,
  };
}
