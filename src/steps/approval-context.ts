// What an `approval` step may ask of its context: the engine adds `requestApproval` to the context of
// every step it runs and answers it with its gate (src/engine/approval-gate.ts); the approval step
// is the only one that uses it.
import type { ApprovalRule, ApproverSource } from '../plan/approval-rule.js';
import type { StepContext } from './step.js';

export interface ApprovalDecision {
  approvedBy: string;
  approvedAt: string;
  via: 'flag' | 'prompt';
  source?: ApproverSource;
  host?: string;
  ciRun?: string;
}

/** Not (yet) approved, and why: "1 of 2 approvals (alice); still needed: 1 more of bob, carol". */
export interface ApprovalPending {
  pending: true;
  detail: string;
}

export interface ApprovalCapableContext extends StepContext {
  /**
   * Approved when enough distinct, allowed people approved this step in this run (recorded in the
   * state), counting the one running apply now if they passed `--approve <this step>` or answer yes
   * at a TTY prompt. Otherwise pending (with what is still needed) or undefined: the step then pauses
   * the run (exit 3). Every approval is recorded with who, when and from where before it counts.
   */
  requestApproval(message: string, rule?: ApprovalRule): Promise<ApprovalDecision | ApprovalPending | undefined>;
}

export function hasApprovalGate(ctx: StepContext): ctx is ApprovalCapableContext {
  return typeof (ctx as Partial<ApprovalCapableContext>).requestApproval === 'function';
}

export function isPending(x: ApprovalDecision | ApprovalPending | undefined): x is ApprovalPending {
  return !!x && 'pending' in x;
}
