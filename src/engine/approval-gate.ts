// How an `approval` step asks the engine whether it may pass. The engine adds `requestApproval` to
// the context of every step it runs; the approval step is the only one that uses it.
import type { StepContext } from '../steps/step.js';

export interface ApprovalDecision {
  approvedBy: string;
  approvedAt: string;
  via: 'flag' | 'prompt';
}

export interface ApprovalCapableContext extends StepContext {
  /**
   * Approved when the run was started with `--approve <this step>`, when it was approved earlier in
   * this run (recorded in the state), or when the user answers yes at a TTY prompt. Undefined means
   * "not approved": the step then pauses the run (exit 3). Records who approved and when.
   */
  requestApproval(message: string): Promise<ApprovalDecision | undefined>;
}

export function hasApprovalGate(ctx: StepContext): ctx is ApprovalCapableContext {
  return typeof (ctx as Partial<ApprovalCapableContext>).requestApproval === 'function';
}

/** What a TTY prompt is asked (the CLI supplies the prompt; the engine never reads stdin). */
export interface ApprovalPrompt {
  stepId: string;
  message: string;
  signal: AbortSignal;
}
