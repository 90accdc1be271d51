// Step type "approval": pauses the run until a person approves it — `apply PLAN --approve ID`, or a
// yes at the TTY prompt. `--yes` never approves it. With `approvers`, only those listed may approve;
// with `required: N`, N distinct people must (each recorded with who, when and from where). Who
// approved and when become its outputs (several approvers: comma-separated, the last one's time).
import { AwaitingApproval } from '../errors.js';
import type { ApprovalSpec } from '../plan/types.js';
import type { PlannedAction, StepModule } from './step.js';
import { approvalRule } from '../plan/approval-rule.js';
import { hasApprovalGate, isPending } from './approval-context.js';

export const approval: StepModule<ApprovalSpec> = {
  type: 'approval',
  outputs: ['approvedBy', 'approvedAt'],
  describe: (spec) => {
    const actions: PlannedAction[] = [{ kind: 'approval', message: spec.message }];
    const rule = approvalRule(spec);
    if (rule.approvers || rule.required > 1) actions.push({ kind: 'check', description: whoMayApprove(rule) });
    return actions;
  },
  run: async (spec, ctx) => {
    if (!hasApprovalGate(ctx)) {
      throw new Error(`step "${ctx.stepId}": an approval step can only run inside the apply engine`);
    }
    ctx.progress('waiting for approval');
    const decision = await ctx.requestApproval(spec.message, approvalRule(spec));
    if (!decision || isPending(decision)) {
      throw new AwaitingApproval(ctx.stepId, decision ? `${spec.message} (${decision.detail})` : spec.message);
    }
    return { approvedBy: decision.approvedBy, approvedAt: decision.approvedAt };
  },
};

/** "approvers: alice, bob; 2 distinct approvals required" — what `plan` shows for the gate. */
export function whoMayApprove(rule: { approvers?: readonly string[]; required: number }): string {
  const n = rule.required === 1 ? '1 approval required' : `${rule.required} distinct approvals required`;
  return rule.approvers ? `approvers: ${rule.approvers.join(', ')}; ${n}` : `anyone may approve; ${n}`;
}
