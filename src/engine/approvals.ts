// The engine's side of an approval gate: a step asks, the engine answers with the gate's rules
// (approval-gate.ts) from what this run already recorded, the `--approve` flags and a TTY prompt, and
// records every approval (state, event log, listeners) before it counts.
import { currentUser } from './lock.js';
import { passApprovalGate, resolveApprover } from './approval-gate.js';
import type { ApprovalRule } from '../plan/approval-rule.js';
import type { ApprovalDecision, ApprovalPending } from '../steps/approval-context.js';
import type { RunSession } from './run-session.js';

export async function requestApproval(
  session: RunSession,
  id: string,
  message: string,
  rule: ApprovalRule = { required: 1 },
): Promise<ApprovalDecision | ApprovalPending | undefined> {
  const { st, options, deps, log, emit, controller } = session;
  const prompt = deps.prompt;
  return passApprovalGate({
    stepId: id,
    message,
    rule,
    records: () => st.approvals.filter((a) => a.stepId === id && a.runId === st.runId),
    identity: () => resolveApprover(options.env, deps.user ?? currentUser),
    flagged: options.approve?.includes(id) ?? false,
    prompt: prompt
      ? () => {
          emit({ type: 'approval-needed', stepId: id, message });
          return prompt({ stepId: id, message, signal: controller.signal });
        }
      : undefined,
    async record(decision) {
      st.approvals.push({ stepId: id, ...decision, runId: st.runId });
      log.append({ type: 'approval', stepId: id, ...decision, runId: st.runId });
      await session.persist();
      emit({
        type: 'approval',
        stepId: id,
        approvedBy: decision.approvedBy,
        approvedAt: decision.approvedAt,
        via: decision.via,
      });
    },
    nowIso: () => session.iso(),
  });
}
