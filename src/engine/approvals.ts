// The engine's side of an approval gate: a step asks, the engine answers from what this run already
// recorded, the `--approve` flags and a TTY prompt, and records every approval (state, event log,
// listeners) before it counts.
import { currentUser } from './lock.js';
import type { ApprovalDecision } from './approval-gate.js';
import type { RunSession } from './run-session.js';

export async function requestApproval(session: RunSession, id: string, message: string): Promise<ApprovalDecision | undefined> {
  const { st, options, deps, log, emit, controller } = session;
  const earlier = st.approvals.find((a) => a.stepId === id && a.runId === st.runId);
  if (earlier) return { approvedBy: earlier.approvedBy, approvedAt: earlier.approvedAt, via: earlier.via };
  let via: 'flag' | 'prompt' | undefined;
  if (options.approve?.includes(id)) via = 'flag';
  else if (deps.prompt) {
    emit({ type: 'approval-needed', stepId: id, message });
    if (await deps.prompt({ stepId: id, message, signal: controller.signal })) via = 'prompt';
  }
  if (!via) return undefined;
  const decision: ApprovalDecision = { approvedBy: (deps.user ?? currentUser)(), approvedAt: session.iso(), via };
  st.approvals.push({ stepId: id, ...decision, runId: st.runId });
  log.append({ type: 'approval', stepId: id, ...decision, runId: st.runId });
  await session.persist();
  emit({ type: 'approval', stepId: id, ...decision });
  return decision;
}
