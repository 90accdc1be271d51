// The rule of an `approval` step, from the plan alone: who may approve (`approvers`; anyone when
// absent) and how many distinct people must (`required`, default 1); how a step's approvals so far
// count against it. Pure functions: the engine's gate, `status`, the notifier and the CLI's
// --approve check all use the same ones.

/** Where an approver's identity came from. */
export type ApproverSource = 'AURORA_MIGRATE_APPROVER' | 'GITHUB_ACTOR' | 'os-user';

/** An approval step's rule: anyone (no `approvers`) or only those listed; `required` distinct people. */
export interface ApprovalRule {
  approvers?: readonly string[];
  required: number;
}

export function approvalRule(spec: { approvers?: readonly string[]; required?: number }): ApprovalRule {
  return { ...(spec.approvers?.length ? { approvers: spec.approvers } : {}), required: spec.required ?? 1 };
}

export function mayApprove(rule: ApprovalRule, id: string): boolean {
  return !rule.approvers || rule.approvers.includes(id);
}

export interface ApprovalTally {
  /** Distinct allowed approvers so far, in the order they approved. */
  approvedBy: string[];
  required: number;
  /** How many more distinct people must approve (0: the gate is open). */
  stillNeeded: number;
  /** Listed approvers who have not approved yet (absent when anyone may approve). */
  remaining?: string[];
}

/** Counts distinct allowed approvers among a step's records of this run (a repeat counts once). */
export function tallyApprovals(rule: ApprovalRule, records: readonly { approvedBy: string }[]): ApprovalTally {
  const approvedBy: string[] = [];
  for (const r of records)
    if (mayApprove(rule, r.approvedBy) && !approvedBy.includes(r.approvedBy)) approvedBy.push(r.approvedBy);
  const stillNeeded = Math.max(0, rule.required - approvedBy.length);
  return {
    approvedBy,
    required: rule.required,
    stillNeeded,
    ...(rule.approvers ? { remaining: rule.approvers.filter((a) => !approvedBy.includes(a)) } : {}),
  };
}

/** "1 of 2 approvals (alice); still needed: 1 more of bob, carol", or "" before anyone approved a one-person gate. */
export function describeTally(t: ApprovalTally): string {
  if (t.stillNeeded === 0) return `${t.approvedBy.length} of ${t.required} approvals (${t.approvedBy.join(', ')})`;
  const who = t.remaining ? ` of ${t.remaining.join(', ')}` : ' (anyone but those who approved)';
  if (t.approvedBy.length === 0) {
    if (t.required === 1 && !t.remaining) return '';
    return `0 of ${t.required} approvals; still needed: ${t.stillNeeded}${who}`;
  }
  return `${t.approvedBy.length} of ${t.required} approvals (${t.approvedBy.join(', ')}); still needed: ${t.stillNeeded} more${who}`;
}

/** What `status` says about a gate that waits: its message, then the tally when it says anything. */
export function pendingApprovalText(
  spec: { message?: string; approvers?: readonly string[]; required?: number },
  records: readonly { approvedBy: string }[],
): string {
  const tally = describeTally(tallyApprovals(approvalRule(spec), records));
  return tally ? `${spec.message ?? ''} (${tally})` : (spec.message ?? '');
}
