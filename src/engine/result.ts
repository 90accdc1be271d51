// The data `apply` returns (and `--format json` prints): what happened in this invocation, and where
// every step of the plan stands now.
import type { Plan } from '../plan/types.js';
import type { ApprovalRecord, CutoverRecord, StateFile, StepError, StepStatus } from './state-file.js';

/** `max-runtime`: `apply --max-runtime` stopped at a safe point (exit 75); the run goes on with the next apply.
 * `rolled-back`: a failure or the deadline inside the cutover window; the freeze was undone (an interrupt there stays `interrupted`). */
export type ApplyOutcome =
  | 'succeeded'
  | 'until'
  | 'awaiting-approval'
  | 'failed'
  | 'interrupted'
  | 'rolled-back'
  | 'max-runtime';

export interface StepSummary {
  id: string;
  type: string;
  status: StepStatus;
  attempts: number;
  startedAt?: string;
  finishedAt?: string;
  durationMs?: number;
  outputs?: Record<string, unknown>;
  error?: StepError;
  warnings: string[];
  approval?: { approvedBy: string; approvedAt: string; via: 'flag' | 'prompt' };
  /** Every approval of this step in this run, oldest first, with where it came from (named approvers). */
  approvals?: Array<Omit<ApprovalRecord, 'stepId' | 'runId'>>;
}

export interface ApplyResult {
  version: 1;
  plan: string;
  planFile: string;
  stateFile: string;
  runId: string;
  outcome: ApplyOutcome;
  /** Steps that ran (started) in this invocation, in order. */
  ran: string[];
  steps: StepSummary[];
  awaitingApproval?: { stepId: string; message: string };
  failed?: { stepId: string; error: StepError };
  until?: string;
  /** `apply --max-runtime`: the limit and where the run stopped when it was reached. */
  maxRuntime?: { limit: string; stoppedAt?: string };
  /** The cutover window as this invocation left it (when the plan has one that opened). */
  cutover?: Omit<CutoverRecord, 'history'>;
  warnings: string[];
}

/** Per-step view of a state file in plan order (used by apply's result and by `status`). */
export function summarizeSteps(plan: Pick<Plan, 'steps'>, state: StateFile | undefined): StepSummary[] {
  return plan.steps.map((spec) => {
    const s = state?.steps[spec.id];
    const approvals = state?.approvals.filter((a) => a.stepId === spec.id && a.runId === state.runId) ?? [];
    const approval = approvals.at(-1);
    const summary: StepSummary = {
      id: spec.id,
      type: spec.type,
      status: s?.status ?? 'pending',
      attempts: s?.attempts ?? 0,
      warnings: s?.warnings ?? [],
    };
    if (s?.startedAt) summary.startedAt = s.startedAt;
    if (s?.finishedAt) summary.finishedAt = s.finishedAt;
    if (s?.startedAt && s.finishedAt) summary.durationMs = Date.parse(s.finishedAt) - Date.parse(s.startedAt);
    if (s?.outputs) summary.outputs = s.outputs;
    if (s?.error) summary.error = s.error;
    if (approval)
      summary.approval = { approvedBy: approval.approvedBy, approvedAt: approval.approvedAt, via: approval.via };
    if (approvals.length) summary.approvals = approvals.map(({ stepId: _s, runId: _r, ...a }) => a);
    return summary;
  });
}
