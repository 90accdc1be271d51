// Rules for the team features the schema cannot express (docs/approvals-and-notifications.md):
// an approval's `required` is at most the number of `approvers`, and each `notify` entry is an SNS
// topic ARN or exactly ${env.NAME} (a literal webhook URL may carry a token, so it is refused and
// never echoed).
import { classifyNotifyEntry } from './notify-targets.js';
import type { Report } from './semantic-problem.js';

export function checkNotify(data: Record<string, unknown>, report: Report): void {
  if (!Array.isArray(data.notify)) return;
  data.notify.forEach((entry, i) => {
    if (typeof entry !== 'string' || entry === '') return; // the schema reports it
    const c = classifyNotifyEntry(entry);
    if ('problem' in c) report(`/notify/${i}`, c.problem);
  });
}

export function checkApproval(step: Record<string, unknown>, at: string, report: Report): void {
  const approvers = Array.isArray(step.approvers) ? step.approvers : undefined;
  if (
    approvers &&
    typeof step.required === 'number' &&
    Number.isInteger(step.required) &&
    step.required > approvers.length
  ) {
    report(
      `${at}/required`,
      `${step.required} distinct approvals required, but only ${approvers.length} approver${approvers.length === 1 ? ' is' : 's are'} listed (${approvers.join(', ')}); ` +
        `list more approvers or lower required`,
    );
  }
}
