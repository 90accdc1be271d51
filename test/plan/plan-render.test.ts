// The plan renderers on hand-built reviews (not other developers' describe output): every action
// kind, statuses, unresolved values, time scale and preflight, in text, markdown and JSON.
import { describe, expect, it } from 'vitest';
import { renderPlanJson } from '../../src/render/plan-json.js';
import { renderPlanMarkdown } from '../../src/render/plan-markdown.js';
import { renderPlanText } from '../../src/render/plan-text.js';
import type { PlanView } from '../../src/render/plan-view.js';

const view: PlanView = {
  plan: { name: 'orders-to-aurora', file: 'plans/orders.yaml', region: 'us-east-1', steps: 3 },
  state: { path: '.aurora-migrate/orders-to-aurora.state.json', found: true },
  steps: [
    {
      id: 'replica',
      type: 'aurora-read-replica',
      description: 'replica of orders-pg',
      status: 'succeeded',
      actions: [
        { kind: 'check', description: 'DescribeDBInstances orders-pg' },
        {
          kind: 'aws',
          service: 'rds',
          operation: 'CreateDBCluster',
          params: {
            DBClusterIdentifier: 'orders-aurora',
            VpcSecurityGroupIds: ['sg-1'],
            ReplicationSourceIdentifier: '<ARN of orders-pg>',
          },
          note: 'adopted when it exists',
        },
        { kind: 'wait', for: 'cluster orders-aurora to be available', timeoutMs: 8 * 3_600_000, pollEveryMs: 30_000 },
      ],
    },
    {
      id: 'cutover',
      type: 'approval',
      status: 'awaiting-approval',
      actions: [{ kind: 'approval', message: 'Stop writes | then approve.' }],
    },
    {
      id: 'backfill',
      type: 's3-import',
      actions: [
        {
          kind: 'sql',
          sql: "SELECT aws_s3.table_import_from_s3(\n  'public.t', '', '(format csv)', $1)",
          params: ['***'],
          note: 'once per file',
        },
      ],
    },
  ],
  unresolved: [{ ref: '${env.PGPASSWORD}', steps: ['backfill'] }],
};

describe('plan text', () => {
  it('numbers steps and lists each action with its parameters, limits and status', () => {
    expect(renderPlanText(view)).toMatchInlineSnapshot(`
      "Plan orders-to-aurora (plans/orders.yaml): 3 steps, region us-east-1
      State: .aurora-migrate/orders-to-aurora.state.json

      1. replica (aurora-read-replica) [succeeded]
         replica of orders-pg
         - check: DescribeDBInstances orders-pg
         - RDS CreateDBCluster
             DBClusterIdentifier: orders-aurora
             VpcSecurityGroupIds: ["sg-1"]
             ReplicationSourceIdentifier: <ARN of orders-pg>
             note: adopted when it exists
         - wait for cluster orders-aurora to be available (at most 8h, checking every 30s)

      2. cutover (approval) [awaiting-approval]
         - approval gate: Stop writes | then approve.

      3. backfill (s3-import)
         - SQL:
             SELECT aws_s3.table_import_from_s3(
               'public.t', '', '(format csv)', $1)
             params: ["***"]
             note: once per file

      Unresolved values (not set in the environment now; apply needs them):
        \${env.PGPASSWORD}  used by backfill
      "
    `);
  });

  it('shows the time scale, a step without actions, a describe failure and preflight results', () => {
    const text = renderPlanText({
      ...view,
      timeScale: 60,
      state: { path: 'x.json', found: false },
      steps: [
        { id: 'a', type: 'promote', actions: [] },
        { id: 'b', type: 'promote', actions: [], error: 'describe() failed: boom' },
        { id: 'c', type: 'lag-watch', actions: [{ kind: 'wait', for: 'lag', timeoutMs: 86_400_000 }] },
      ],
      unresolved: [],
      preflight: {
        failed: true,
        steps: [
          {
            stepId: 'a',
            type: 'promote',
            checks: [
              { status: 'pass', check: 'cluster exists', detail: 'ok' },
              { status: 'fail', check: 'is a replica', detail: 'it is not' },
            ],
          },
        ],
      },
    });
    expect(text).toContain(
      'Time scale: AURORA_MIGRATE_TIME_SCALE=60: apply divides every wait, poll interval and timeout by 60',
    );
    expect(text).toContain('State: none yet (x.json); every step is pending');
    expect(text).toContain('1. a (promote)\n   (this step type does not describe its actions yet)');
    expect(text).toContain('   ! describe() failed: boom');
    expect(text).toContain('- wait for lag (at most 24h (24m at time scale 60))');
    expect(text).toContain(
      'Preflight:\n  a (promote)\n    PASS  cluster exists: ok\n    FAIL  is a replica: it is not\nPreflight failed',
    );
  });
});

describe('plan markdown', () => {
  it('starts with a summary table, then a section per step', () => {
    expect(renderPlanMarkdown(view)).toMatchInlineSnapshot(`
      "## aurora-migrate plan \`orders-to-aurora\`

      File \`plans/orders.yaml\` · 3 steps · region \`us-east-1\`

      State file \`.aurora-migrate/orders-to-aurora.state.json\`.

      | # | Step | Type | Status | Actions |
      |---|---|---|---|---|
      | 1 | \`replica\` | aurora-read-replica | succeeded | 1 AWS call, 1 wait, 1 check |
      | 2 | \`cutover\` | approval | awaiting-approval | 1 approval gate |
      | 3 | \`backfill\` | s3-import | pending | 1 SQL statement |

      **Unresolved values** (not set in the environment now; \`apply\` needs them):

      - \`\${env.PGPASSWORD}\`, used by \`backfill\`

      ### 1. \`replica\` (aurora-read-replica): succeeded

      replica of orders-pg

      - **Check**: DescribeDBInstances orders-pg
      - **RDS** \`CreateDBCluster\`
        _adopted when it exists_
        \`\`\`json
        {
          "DBClusterIdentifier": "orders-aurora",
          "VpcSecurityGroupIds": [
            "sg-1"
          ],
          "ReplicationSourceIdentifier": "<ARN of orders-pg>"
        }
        \`\`\`
      - **Wait** for cluster orders-aurora to be available: at most 8h, checking every 30s

      ### 2. \`cutover\` (approval): awaiting-approval

      - **Approval gate**: Stop writes | then approve.

      ### 3. \`backfill\` (s3-import)

      - **SQL**
        _once per file_
        \`\`\`sql
        SELECT aws_s3.table_import_from_s3(
          'public.t', '', '(format csv)', $1)
        -- params: ["***"]
        \`\`\`
      "
    `);
  });

  it('escapes pipes in table cells and lengthens fences around backticks', () => {
    const md = renderPlanMarkdown({
      ...view,
      steps: [{ id: 'x', type: 'promote', actions: [{ kind: 'sql', sql: 'SELECT "```"' }], error: 'a | b' }],
    });
    expect(md).toContain('| 1 | `x` | promote | pending | ⚠ a \\| b |');
    expect(md).toContain('  ````sql\n  SELECT "```"\n  ````');
  });
});

describe('plan json', () => {
  it('is one versioned document with steps, statuses, actions and unresolved values', () => {
    const doc = JSON.parse(renderPlanJson({ ...view, timeScale: 10 }));
    expect(doc.version).toBe(1);
    expect(doc.plan).toEqual(view.plan);
    expect(doc.timeScale).toBe(10);
    expect(doc.steps.map((s: { id: string; status?: string }) => [s.id, s.status])).toEqual([
      ['replica', 'succeeded'],
      ['cutover', 'awaiting-approval'],
      ['backfill', undefined],
    ]);
    expect(doc.steps[0].actions[1]).toEqual(view.steps[0].actions[1]);
    expect(doc.unresolved).toEqual([{ ref: '${env.PGPASSWORD}', steps: ['backfill'] }]);
  });
});
