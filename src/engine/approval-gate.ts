// The engine's approval gate: who is approving (identity and where it came from), checked against
// the step's rule (src/plan/approval-rule.ts: `approvers`, `required`), each approval recorded
// before it counts. The engine adds `requestApproval` (src/steps/approval-context.ts) to the context
// of every step it runs and answers it with passApprovalGate().
//
// Identity: AURORA_MIGRATE_APPROVER when set, else GITHUB_ACTOR when GITHUB_ACTIONS=true, else the OS
// user. It is what the person running apply says they are, not an authentication: `approvers` guards
// against the wrong person approving by mistake and records who did; who may run apply at all is for
// the CI system's permissions (e.g. a protected GitHub environment) to decide.
import { hostname } from 'node:os';
import { UsageError } from '../errors.js';
import {
  approvalRule,
  describeTally,
  mayApprove,
  tallyApprovals,
  type ApprovalRule,
  type ApproverSource,
} from '../plan/approval-rule.js';
import type { ApprovalDecision, ApprovalPending } from '../steps/approval-context.js';
import type { ApprovalRecord } from './state-file.js';
import { present } from '../invariant.js';

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

/** The refusal for `--approve` (exit 1) or a prompt offered to someone the step does not list. */
export function notAllowedMessage(stepId: string, rule: ApprovalRule, who: ApproverIdentity): string {
  return (
    `step "${stepId}" may be approved only by ${present(rule.approvers, `the approvers of step "${stepId}"`).join(', ')}; you are "${who.id}" (${describeSource(who.source)}). ` +
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
    const spec = steps.find((s) => s.id === id) as
      | { type: string; approvers?: string[]; required?: number }
      | undefined;
    if (spec?.type !== 'approval') continue;
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
    const last = present(
      [...g.records()].reverse().find((r) => r.approvedBy === t.approvedBy.at(-1)),
      'the record of the last approval',
    );
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
  const via = g.flagged ? 'flag' : g.prompt && (await g.prompt()) ? 'prompt' : undefined;
  if (!via) return pending();
  await g.record({
    approvedBy: who.id,
    approvedAt: g.nowIso(),
    via,
    source: who.source,
    host: who.host,
    ...(who.ciRun ? { ciRun: who.ciRun } : {}),
  });
  return opened() ?? pending();
}
