// How an `approval` step asks the engine whether it may pass, and the rules of the gate: who is
// approving (identity and where it came from), who may approve (`approvers`), and how many distinct
// people must (`required`). The engine adds `requestApproval` to the context of every step it runs
// and answers it with passApprovalGate(); the approval step is the only one that uses it.
//
// Identity: AURORA_MIGRATE_APPROVER when set, else GITHUB_ACTOR when GITHUB_ACTIONS=true, else the OS
// user. It is what the person running apply says they are, not an authentication: `approvers` guards
// against the wrong person approving by mistake and records who did; who may run apply at all is for
// the CI system's permissions (e.g. a protected GitHub environment) to decide.
import { hostname } from 'node:os';
import { UsageError } from '../errors.js';
import type { StepContext } from '../steps/step.js';
import type { ApprovalRecord, ApproverSource } from './state-file.js';

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

/** An approval step's rule: anyone (no `approvers`) or only those listed; `required` distinct people. */
export interface ApprovalRule {
  approvers?: readonly string[];
  required: number;
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

/** What a TTY prompt is asked (the CLI supplies the prompt; the engine never reads stdin). */
export interface ApprovalPrompt {
  stepId: string;
  message: string;
  signal: AbortSignal;
}

export interface ApproverIdentity {
  id: string;
  source: ApproverSource;
  host: string;
  /** GitHub Actions run URL, when running in one. */
  ciRun?: string;
}

/** Who is approving: AURORA_MIGRATE_APPROVER, else GITHUB_ACTOR in GitHub Actions, else the OS user. */
export function resolveApprover(
  env: Readonly<Record<string, string | undefined>>,
  osUser: () => string,
  host: () => string = hostname,
): ApproverIdentity {
  const ciRun =
    env.GITHUB_ACTIONS === 'true' && env.GITHUB_SERVER_URL && env.GITHUB_REPOSITORY && env.GITHUB_RUN_ID
      ? `${env.GITHUB_SERVER_URL}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}`
      : undefined;
  const base = { host: host(), ...(ciRun ? { ciRun } : {}) };
  const explicit = env.AURORA_MIGRATE_APPROVER?.trim();
  if (explicit) return { id: explicit, source: 'AURORA_MIGRATE_APPROVER', ...base };
  const actor = env.GITHUB_ACTIONS === 'true' ? env.GITHUB_ACTOR?.trim() : undefined;
  if (actor) return { id: actor, source: 'GITHUB_ACTOR', ...base };
  return { id: osUser(), source: 'os-user', ...base };
}

export function describeSource(source: ApproverSource | undefined): string {
  switch (source) {
    case 'AURORA_MIGRATE_APPROVER':
      return 'from AURORA_MIGRATE_APPROVER';
    case 'GITHUB_ACTOR':
      return 'GitHub Actions actor';
    case 'os-user':
      return 'OS user';
    default:
      return 'OS user';
  }
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
export function tallyApprovals(rule: ApprovalRule, records: readonly Pick<ApprovalRecord, 'approvedBy'>[]): ApprovalTally {
  const approvedBy: string[] = [];
  for (const r of records) if (mayApprove(rule, r.approvedBy) && !approvedBy.includes(r.approvedBy)) approvedBy.push(r.approvedBy);
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

/** The refusal for `--approve` (exit 1) or a prompt offered to someone the step does not list. */
export function notAllowedMessage(stepId: string, rule: ApprovalRule, who: ApproverIdentity): string {
  return (
    `step "${stepId}" may be approved only by ${rule.approvers!.join(', ')}; you are "${who.id}" (${describeSource(who.source)}). ` +
    `Ask one of them to run the approval, or, if you are one of them under another login, set AURORA_MIGRATE_APPROVER to your approver id.`
  );
}

/**
 * `--approve STEP` given by someone the step does not list: refused before anything runs (exit 1),
 * so a long run does not stop at the gate only to say so.
 */
export function checkApproveFlags(
  steps: ReadonlyArray<{ id: string; type: string }>,
  approve: readonly string[] | undefined,
  identity: () => ApproverIdentity,
): void {
  for (const id of approve ?? []) {
    const spec = steps.find((s) => s.id === id) as { type: string; approvers?: string[]; required?: number } | undefined;
    if (!spec || spec.type !== 'approval') continue;
    const rule = approvalRule(spec);
    const who = identity();
    if (!mayApprove(rule, who.id)) throw new UsageError(`--approve ${id}: ${notAllowedMessage(id, rule, who)}`);
  }
}

export interface GateInput {
  stepId: string;
  message: string;
  rule: ApprovalRule;
  /** This step's approvals recorded in this run, oldest first. */
  records(): readonly ApprovalRecord[];
  identity(): ApproverIdentity;
  /** `--approve` named this step. */
  flagged: boolean;
  /** Asks at a TTY (absent without one). */
  prompt?(): Promise<boolean>;
  /** Records one approval: into the state (persisted), the event log and the listeners. */
  record(decision: ApprovalDecision): Promise<void>;
  nowIso(): string;
}

/** The gate: open once `required` distinct allowed people approved; each approval recorded first. */
export async function passApprovalGate(g: GateInput): Promise<ApprovalDecision | ApprovalPending | undefined> {
  const opened = () => {
    const t = tallyApprovals(g.rule, g.records());
    if (t.stillNeeded > 0) return undefined;
    const last = [...g.records()].reverse().find((r) => r.approvedBy === t.approvedBy.at(-1))!;
    const { stepId: _s, runId: _r, ...decision } = last;
    return { ...decision, approvedBy: t.approvedBy.join(', ') };
  };
  const pending = (extra?: string): ApprovalPending | undefined => {
    const detail = [describeTally(tallyApprovals(g.rule, g.records())), extra].filter(Boolean).join('; ');
    return detail ? { pending: true, detail } : undefined;
  };

  const before = opened();
  if (before) return before;
  if (!g.flagged && !g.prompt) return pending();
  const who = g.identity();
  if (!mayApprove(g.rule, who.id)) return pending(notAllowedMessage(g.stepId, g.rule, who));
  if (tallyApprovals(g.rule, g.records()).approvedBy.includes(who.id)) {
    return pending(`${who.id} has already approved; an approval counts once per person`);
  }
  const via = g.flagged ? 'flag' : (await g.prompt!()) ? 'prompt' : undefined;
  if (!via) return pending();
  await g.record({ approvedBy: who.id, approvedAt: g.nowIso(), via, source: who.source, host: who.host, ...(who.ciRun ? { ciRun: who.ciRun } : {}) });
  return opened() ?? pending();
}

/** What `status` says about a gate that waits: its message, then the tally when it says anything. */
export function pendingApprovalText(spec: { message?: string; approvers?: readonly string[]; required?: number }, records: readonly Pick<ApprovalRecord, 'approvedBy'>[]): string {
  const tally = describeTally(tallyApprovals(approvalRule(spec), records));
  return tally ? `${spec.message ?? ''} (${tally})` : (spec.message ?? '');
}
