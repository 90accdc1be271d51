// What a reviewer sees of the fence before anything runs: `plan` lists every GRANT and REVOKE with
// the kept roles (the users of every connection from the freeze on, RDS's own roles, allowRoles),
// the read-back and the last check; `validate` warns that fence: read-only is cooperative and says
// what it does not stop; PUBLIC cannot be kept.
import { describe, expect, it } from 'vitest';
import { checkPlanText } from '../../../src/plan/load.js';
import { dryRun } from '../../../src/review/dry-run.js';
import { steps } from '../../../src/steps/index.js';

const planText = (freezeExtra = '') => `
version: 1
name: fence-review
steps:
  - id: freeze
    type: freeze-writes
    connection: { host: db.example, database: postgres, user: "\${env.PGUSER}", password: "\${env.PGPASSWORD}" }
    databases: [orders]
${freezeExtra}
  - id: promote
    type: promote
    cluster: orders-aurora
    replicaConnection: { host: replica.example, database: orders, user: checker, password: "\${env.PGPASSWORD}" }
`;

function load(text: string) {
  const r = checkPlanText('plans/fence-review.yaml', text);
  if (!r.ok) throw new Error(JSON.stringify(r.diagnostics));
  return r;
}

describe('the fence in review', () => {
  it('plan shows the kept roles, every GRANT and REVOKE, the read-back, and the last check; never a secret', () => {
    const { plan } = load(planText('    allowRoles: [monitoring]'));
    const review = dryRun({ plan, env: { PGUSER: 'migrator', PGPASSWORD: 'hunter2-secret' }, registry: steps });
    const sql = review.steps[0].actions.filter((a) => a.kind === 'sql').map((a) => (a as { sql: string }).sql);
    expect(sql).toContain(
      ['migrator', 'checker', 'rdsadmin', 'rdsrepladmin', 'monitoring']
        .map((r) => `GRANT CONNECT ON DATABASE "orders" TO "${r}"`)
        .join(';\n'),
    );
    expect(sql).toContain('REVOKE CONNECT ON DATABASE "orders" FROM PUBLIC CASCADE');
    expect(review.steps[0].actions.some((a) => a.kind === 'sql' && a.note?.startsWith('read back'))).toBe(true);
    expect(review.cutover?.rules.join('\n')).toMatch(
      /the fence: CONNECT on orders is taken from every role but the kept ones \(.*monitoring\)/,
    );
    expect(review.cutover?.rules.join('\n')).toMatch(
      /right before the point of no return, the last check: no session of a role that lost CONNECT/,
    );
    expect(JSON.stringify(review)).not.toContain('hunter2-secret');
  });

  it('validate warns that fence: read-only is cooperative; plan says what it does not stop', () => {
    const r = load(planText('    fence: read-only'));
    const warnings = r.diagnostics.filter((d) => d.severity === 'warning');
    expect(warnings.map((d) => [d.path, d.message])).toEqual([
      [
        '/steps/0/fence',
        'steps[0].fence: read-only is cooperative only: an application that opens its transactions READ WRITE (or sets default_transaction_read_only = off) still writes during the cutover, and those writes are not on the target. Use fence: connections (the default) unless every writer is stopped by other means',
      ],
    ]);
    const review = dryRun({ plan: r.plan, env: {}, registry: steps });
    expect(
      review.steps[0].actions.some(
        (a) => a.kind === 'check' && /does NOT stop a session that runs BEGIN READ WRITE/.test(a.description),
      ),
    ).toBe(true);
    expect(review.steps[0].actions.some((a) => a.kind === 'sql' && a.sql.startsWith('GRANT'))).toBe(false);
  });

  it('PUBLIC cannot be kept', () => {
    const r = checkPlanText('plans/fence-review.yaml', planText('    allowRoles: [PUBLIC]'));
    expect(r.ok).toBe(false);
    expect(r.diagnostics.map((d) => d.message)).toContain(
      'steps[0].allowRoles[0]: PUBLIC cannot be kept: it is every role, so no fence would hold',
    );
  });
});
