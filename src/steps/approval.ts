// Step type "approval": pauses the run until a person approves it — `apply PLAN --approve ID`, or a
// yes at the TTY prompt. `--yes` never approves it. Who approved and when become its outputs.
import { AwaitingApproval } from '../errors.js';
import type { ApprovalSpec } from '../plan/types.js';
import type { StepModule } from './step.js';
import { hasApprovalGate } from '../engine/approval-gate.js';

export const approval: StepModule<ApprovalSpec> = {
  type: 'approval',
  outputs: ['approvedBy', 'approvedAt'],
  describe: (spec) => [{ kind: 'approval', message: spec.message }],
  run: async (spec, ctx) => {
    if (!hasApprovalGate(ctx)) {
      throw new Error(`step "${ctx.stepId}": an approval step can only run inside the apply engine`);
    }
    ctx.progress('waiting for approval');
    const decision = await ctx.requestApproval(spec.message);
    if (!decision) {
      throw new AwaitingApproval(ctx.stepId, `step "${ctx.stepId}" is waiting for approval: ${spec.message}`);
    }
    return { approvedBy: decision.approvedBy, approvedAt: decision.approvedAt };
  },
};
