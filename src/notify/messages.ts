// What a notification says. One event → one subject (SNS Subject: at most 100 characters, one line)
// and one text body, the same for every target; webhooks also get the facts as JSON fields. Text is
// built from plan data and step error messages the engine already redacted, and passes through the
// engine's redaction again before it leaves (notifier.ts): a secret never reaches a message.
import type { StepError } from '../engine/state-file.js';
import { describeTally, type ApprovalTally } from '../plan/approval-rule.js';

export type NotifyEvent =
  | { kind: 'awaiting-approval'; stepId: string; message: string; tally: ApprovalTally; approveCommand: string }
  | { kind: 'step-failed'; stepId: string; attempt: number; error: StepError; resumeCommand: string }
  | { kind: 'plan-finished'; steps: number; finishedAt: string }
  | { kind: 'cutover-window-opened'; stepId: string; frozenAt?: string; deadline?: string }
  | { kind: 'cutover-window-closed'; stepId: string; how: string; detail?: string };

export type NotifyEventKind = NotifyEvent['kind'];

export interface RunFacts {
  plan: string;
  planFile: string;
  runId: string;
  /** State file path or s3:// location. */
  state: string;
  host: string;
}

export interface NotificationMessage {
  subject: string;
  text: string;
  /** The webhook body (JSON), also the source of `text` for chat webhooks that show only `text`. */
  json: Record<string, unknown>;
}

/**
 * The key that makes an event happen once: run id + event + step + what distinguishes a repeat of
 * the same event (the failed attempt; the number of approvals already given at a gate).
 */
export function notificationKey(runId: string, e: NotifyEvent): string {
  switch (e.kind) {
    case 'awaiting-approval':
      return `${runId}/awaiting-approval/${e.stepId}/${e.tally.approvedBy.length}`;
    case 'step-failed':
      return `${runId}/step-failed/${e.stepId}/${e.attempt}`;
    case 'plan-finished':
      return `${runId}/plan-finished`;
    case 'cutover-window-opened':
      return `${runId}/cutover-window-opened/${e.stepId}/${e.frozenAt ?? ''}`;
    case 'cutover-window-closed':
      return `${runId}/cutover-window-closed/${e.stepId}/${e.how}`;
  }
}

export function buildMessage(run: RunFacts, e: NotifyEvent, key: string, at: string): NotificationMessage {
  const head = `aurora-migrate: ${run.plan}: `;
  let what: string;
  const lines: string[] = [];
  switch (e.kind) {
    case 'awaiting-approval': {
      what = `waiting for approval at "${e.stepId}"`;
      lines.push(`Step "${e.stepId}" is waiting for approval: ${e.message}`);
      const tally = describeTally(e.tally);
      if (tally) lines.push(`Approvals: ${tally}.`);
      if (e.tally.remaining) lines.push(`May approve: ${e.tally.remaining.join(', ')}.`);
      lines.push('', 'To approve and continue, run:', `  ${e.approveCommand}`);
      break;
    }
    case 'step-failed':
      what = `step "${e.stepId}" failed`;
      lines.push(
        `Step "${e.stepId}" failed (attempt ${e.attempt}, ${e.error.code}):`,
        `  ${e.error.message}`,
        '',
        'The state is saved. Fix the cause, then resume with:',
        `  ${e.resumeCommand}`,
      );
      break;
    case 'plan-finished':
      what = 'finished';
      lines.push(
        `Plan ${run.plan} finished at ${e.finishedAt}: all ${e.steps} step${e.steps === 1 ? '' : 's'} succeeded.`,
      );
      break;
    case 'cutover-window-opened':
      what = `cutover window opened by "${e.stepId}"`;
      lines.push(
        `Step "${e.stepId}" froze writes on the source: the cutover window is open` +
          (e.frozenAt ? ` since ${e.frozenAt}` : '') +
          (e.deadline ? `; it rolls back unless promoted by ${e.deadline}` : '') +
          '.',
      );
      break;
    case 'cutover-window-closed':
      what = `cutover window closed (${e.how})`;
      lines.push(`The cutover window opened by "${e.stepId}" closed: ${e.how}.` + (e.detail ? ` ${e.detail}` : ''));
      break;
  }
  lines.push(
    '',
    `Plan file ${run.planFile}, run ${run.runId}, state ${run.state}.`,
    `Sent by aurora-migrate from ${run.host} at ${at}. Notification id: ${key}`,
  );
  const subject = oneLine(head + what, 100);
  const text = lines.join('\n');
  const { kind, ...facts } = e;
  return {
    subject,
    text,
    json: {
      version: 1,
      event: kind,
      key,
      plan: run.plan,
      planFile: run.planFile,
      runId: run.runId,
      state: run.state,
      host: run.host,
      at,
      ...facts,
      subject,
      text: `${subject}\n${text}`,
    },
  };
}

/** One line of at most `max` characters (SNS rejects a Subject with a line break or over 100). */
export function oneLine(s: string, max: number): string {
  const flat = s.replace(/[\r\n\t]+/g, ' ');
  return flat.length <= max ? flat : flat.slice(0, max - 1) + '…';
}

/** A command line argument as a POSIX shell would need it. */
export function shellArg(s: string): string {
  return /^[A-Za-z0-9_./:@=+,-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
