// validate's rules for approvers and notify: positioned diagnostics, a literal webhook URL refused
// without being echoed, `required` bounded by the approvers listed.
import { describe, expect, it } from 'vitest';
import { checkPlanText } from '../../src/plan/load.js';

const plan = (head: string, approval = '') => `version: 1
name: orders
${head}steps:
  - id: gate
    type: approval
    message: Stop writes, then approve.
${approval}`;

const errors = (text: string) => {
  const r = checkPlanText('p.yaml', text);
  return r.diagnostics.map((d) => `${d.line}:${d.column}: ${d.severity}: ${d.message}`);
};

describe('plan rules for approvers and notify', () => {
  it('accepts SNS ARNs, ${env.NAME}, approvers and required', () => {
    const r = checkPlanText(
      'p.yaml',
      plan(
        'notify:\n  - arn:aws:sns:us-east-1:111122223333:db-migrations\n  - ${env.MIGRATION_WEBHOOK_URL}\n',
        '    approvers: [dba-oncall, alice]\n    required: 2\n',
      ),
    );
    expect(r.diagnostics).toEqual([]);
    expect(r.ok && r.plan.notify).toEqual([
      'arn:aws:sns:us-east-1:111122223333:db-migrations',
      '${env.MIGRATION_WEBHOOK_URL}',
    ]);
  });

  it('refuses a literal webhook URL without repeating it, a var, and a malformed ARN', () => {
    const text = plan(
      'notify:\n  - https://hooks.slack.com/services/T000/B000/XXXXsecret\n  - ${vars.hook}\n  - arn:aws:sns:us-east-1:1234:db\n  - db-migrations\n',
    );
    const got = errors(text);
    expect(got).toEqual([
      '4:5: error: notify[0]: a webhook URL may carry a token and a plan file ends up in git: put the URL in an environment variable and write ${env.NAME} (e.g. ${env.MIGRATION_WEBHOOK_URL})',
      '5:5: error: notify[1]: a webhook URL must come from the environment as exactly one ${env.NAME} (a var is plain text in the plan file)',
      '6:5: error: notify[2]: is not a valid SNS topic ARN; write arn:aws:sns:REGION:ACCOUNT_ID:TOPIC_NAME (a 12-digit account id)',
      '7:5: error: notify[3]: must be an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT_ID:TOPIC_NAME) or ${env.NAME} holding an https webhook URL',
    ]);
    expect(got.join('\n')).not.toContain('XXXXsecret');
  });

  it('required cannot exceed the approvers listed; both must be sane', () => {
    expect(errors(plan('', '    approvers: [alice]\n    required: 2\n'))).toEqual([
      '8:15: error: steps[0].required: 2 distinct approvals required, but only 1 approver is listed (alice); list more approvers or lower required',
    ]);
    expect(errors(plan('', '    approvers: []\n    required: 0\n')).length).toBe(2);
    expect(errors(plan('', '    approvers: [alice, alice]\n'))[0]).toMatch(/^7:\d+: error: steps\[0\]\.approvers/);
  });
});
