// What an `approval` step may ask of its context: the engine gives `requestApproval` (declared on
// StepContext, src/steps/step.ts) to the context of every step it runs and answers it with its gate
// (src/engine/approval-gate.ts); the approval step is the only one that uses it.
import type { ApprovalDecision, ApprovalPending, StepContext } from './step.js';

export type { ApprovalDecision, ApprovalPending } from './step.js';

export type ApprovalCapableContext = StepContext & Required<Pick<StepContext, 'requestApproval'>>;

export function hasApprovalGate(ctx: StepContext): ctx is ApprovalCapableContext {
  return typeof ctx.requestApproval === 'function';
}

export function isPending(x: ApprovalDecision | ApprovalPending | undefined): x is ApprovalPending {
  return !!x && 'pending' in x;
}
