// The report's model and renderings on event logs that a short real run does not produce: a cutover
// rolled back and then done again, a step whose process was killed and one that was interrupted, the
// logical copy's copy-progress records, byte lag (a logical replica's), a failed notification.
import { describe, expect, it } from 'vitest';
import type { StateFile } from '../../src/engine/state-file.js';
import { collectPlanRun } from '../../src/report/collect.js';
import { renderHtml } from '../../src/report/html.js';
import { renderMarkdown } from '../../src/report/markdown.js';

const T0 = Date.parse('2026-11-20T02:00:00.000Z');
const t = (s: number) => new Date(T0 + s * 1000).toISOString();

const plan = {
  name: 'orders',
  steps: [
    { id: 'copy', type: 'logical-copy' },
    { id: 'freeze', type: 'freeze-writes' },
    { id: 'promote', type: 'promote' },
  ],
};

function state(over: Partial<StateFile> = {}): StateFile {
  const step = (type: string, status: StateFile['steps'][string]['status'], attempts: number) => ({
    type,
    hash: 'h',
    status,
    attempts,
    warnings: [],
  });
  return {
    version: 1,
    plan: 'orders',
    runId: 'r1',
    createdAt: t(0),
    updatedAt: t(400),
    steps: {
      copy: step('logical-copy', 'succeeded', 2),
      freeze: step('freeze-writes', 'succeeded', 2),
      promote: step('promote', 'succeeded', 2),
    },
    approvals: [],
    ...over,
  };
}

const status = (
  s: number,
  stepId: string,
  from: string,
  to: string,
  attempt: number,
  extra: Record<string, unknown> = {},
) => ({ ts: t(s), type: 'status', stepId, from, to, attempt, runId: 'r1', ...extra });

const LOG = [
  { ts: t(0), type: 'run-start', runId: 'r1', resumed: false, user: 'ci' },
  status(1, 'copy', 'pending', 'running', 1),
  { ts: t(10), type: 'copy-progress', stepId: 'copy', at: t(10), table: 'public.orders', rows: 1000, totalRows: 4000 },
  { ts: t(20), type: 'copy-progress', stepId: 'copy', at: t(20), table: 'public.orders', rows: 2500, totalRows: 4000 },
  {
    ts: t(21),
    type: 'lag-sample',
    stepId: 'copy',
    at: t(21),
    value: 8 * 1024 * 1024,
    unit: 'bytes',
    metric: 'pg_replication_slots',
    of: 'sub_orders',
  },
  // killed here (no end recorded for copy's first attempt)
  { ts: t(60), type: 'run-start', runId: 'r1', resumed: true, user: 'ci' },
  status(61, 'copy', 'running', 'running', 2, { resumedFromCheckpoint: true }),
  { ts: t(70), type: 'copy-progress', stepId: 'copy', at: t(70), table: 'public.orders', rows: 4000, totalRows: 4000 },
  {
    ts: t(71),
    type: 'lag-sample',
    stepId: 'copy',
    at: t(71),
    value: null,
    unit: 'bytes',
    metric: 'pg_replication_slots',
    of: 'sub_orders',
  },
  {
    ts: t(72),
    type: 'lag-sample',
    stepId: 'copy',
    at: t(72),
    value: 0,
    unit: 'bytes',
    metric: 'pg_replication_slots',
    of: 'sub_orders',
  },
  status(73, 'copy', 'running', 'succeeded', 2),
  status(74, 'freeze', 'pending', 'running', 1),
  { ts: t(75), type: 'cutover-window-opened', stepId: 'freeze', frozenAt: t(75), deadline: t(375) },
  {
    ts: t(75),
    type: 'notification',
    key: 'r1/cutover-window-opened/freeze/1',
    event: 'cutover-window-opened',
    targets: ['webhook SLACK_URL'],
  },
  {
    ts: t(76),
    type: 'notification-failed',
    key: 'r1/cutover-window-opened/freeze/1',
    target: 'webhook SLACK_URL',
    reason: 'HTTP 500',
  },
  status(77, 'freeze', 'running', 'succeeded', 1),
  status(78, 'promote', 'pending', 'running', 1),
  { ts: t(90), type: 'interrupted', stepId: 'promote', reason: 'SIGINT' },
  status(90, 'promote', 'running', 'running', 1, { interrupted: true }),
  { ts: t(91), type: 'cutover-rollback', stepId: 'freeze', reason: 'the run was interrupted in step "promote"' },
  {
    ts: t(92),
    type: 'cutover-rolled-back',
    stepId: 'freeze',
    reason: 'the run was interrupted in step "promote"',
    at: t(92),
  },
  { ts: t(93), type: 'run-end', outcome: 'interrupted', runId: 'r1' },
  { ts: t(300), type: 'run-start', runId: 'r1', resumed: true, user: 'ci' },
  status(301, 'freeze', 'pending', 'running', 2),
  { ts: t(302), type: 'cutover-window-opened', stepId: 'freeze', frozenAt: t(302), deadline: t(602) },
  status(303, 'freeze', 'running', 'succeeded', 2),
  status(304, 'promote', 'pending', 'running', 2),
  { ts: t(305), type: 'cutover-caught-up', stepId: 'promote', caughtUpAt: t(305), polls: 2 },
  {
    ts: t(306),
    type: 'cutover-point-of-no-return',
    stepId: 'promote',
    at: t(306),
    what: 'PromoteReadReplicaDBCluster sent',
  },
  {
    ts: t(306),
    type: 'aws-call',
    stepId: 'promote',
    service: 'rds',
    operation: 'PromoteReadReplicaDBCluster',
    params: {},
  },
  status(340, 'promote', 'running', 'succeeded', 2),
  { ts: t(341), type: 'run-finished', runId: 'r1' },
  { ts: t(341), type: 'run-end', outcome: 'succeeded', runId: 'r1' },
];

describe('report model from the event log', () => {
  const m = collectPlanRun({
    plan,
    planFile: 'orders.yaml',
    stateLocation: 's',
    eventLogLocation: 's.events.jsonl',
    state: state({ finishedAt: t(341) }),
    events: LOG,
  });

  it("a killed attempt has no end and is drawn up to its invocation's last record; an interrupted one ends interrupted", () => {
    const copy = m.steps.find((s) => s.id === 'copy')!;
    expect(copy.runs.map((r) => [r.attempt, r.endStatus, r.endedAt, r.lastSeenAt])).toEqual([
      [1, undefined, undefined, t(21)],
      [2, 'succeeded', t(73), t(93)],
    ]);
    const promote = m.steps.find((s) => s.id === 'promote')!;
    expect(promote.runs.map((r) => r.endStatus)).toEqual(['interrupted', 'succeeded']);
    expect(m.invocations.map((i) => i.outcome)).toEqual([undefined, 'interrupted', 'succeeded']);
  });

  it('a rolled-back window and the one after it, each with its milestones', () => {
    expect(m.cutover.map((w) => [w.outcome, w.milestones.map((x) => x.label)])).toEqual([
      ['rolled-back', ['frozen', 'rollback started', 'rolled back']],
      ['committed', ['frozen', 'caught up', 'promotion sent']],
    ]);
    expect(m.cutover[0].rollbackReason).toBe('the run was interrupted in step "promote"');
  });

  it('copy-progress makes a rows-over-time series per table; byte lag keeps its unit; unknown lag stays unknown', () => {
    expect(m.copy).toEqual([
      {
        stepId: 'copy',
        table: 'public.orders',
        samples: [
          expect.objectContaining({ rows: 1000, ref: 3 }),
          expect.objectContaining({ rows: 2500 }),
          expect.objectContaining({ rows: 4000, totalRows: 4000 }),
        ],
      },
    ]);
    expect(m.lag).toEqual([
      expect.objectContaining({
        unit: 'bytes',
        of: 'sub_orders',
        samples: [
          expect.objectContaining({ value: 8388608 }),
          expect.objectContaining({ value: null }),
          expect.objectContaining({ value: 0 }),
        ],
      }),
    ]);
    expect(m.lag[0].threshold).toBeUndefined();
  });

  it('renders them: markdown tables and a rows chart with one point per copy-progress record', () => {
    const md = renderMarkdown({ version: 1, generatedAt: t(500), plans: [m] });
    expect(md).toContain('| `copy` | public.orders | 4000 of ~4000 | 2026-11-20 02:01:10 UTC | 3 | #3–#8 |');
    expect(md).toContain('## Cutover window (attempt 1 of 2)');
    expect(md).toContain('outcome **rolled-back**. Rollback: the run was interrupted in step "promote".');
    expect(md).toMatch(/`sub_orders`, 3 polls \(#5–#10\), 1 unknown: `█ ▁` last 0B, highest 8MiB/);
    expect(md).toContain('| cutover-window-opened | 2026-11-20 02:01:15 UTC | — | webhook SLACK_URL: HTTP 500 | #14 |');
    const html = renderHtml({ version: 1, generatedAt: t(500), plans: [m] });
    const copyChart = /<svg[^>]*data-chart="copy"[\s\S]*?<\/svg>/.exec(html)![0];
    expect(copyChart.match(/<circle class="sample"/g)).toHaveLength(3);
    const lagChart = /<svg[^>]*data-chart="lag"[\s\S]*?<\/svg>/.exec(html)![0];
    expect(lagChart.match(/<circle class="sample"/g)).toHaveLength(2); // the unknown poll is a gap, not a zero
    expect(lagChart).toContain('8MiB');
    expect(html.match(/<rect class="bar/g)).toHaveLength(6);
  });

  it('no copy-progress and no lag-sample records: no such sections', () => {
    const bare = collectPlanRun({
      plan,
      planFile: 'orders.yaml',
      stateLocation: 's',
      eventLogLocation: 'l',
      state: state(),
      events: LOG.filter((e) => e.type !== 'copy-progress' && e.type !== 'lag-sample'),
    });
    const md = renderMarkdown({ version: 1, generatedAt: t(500), plans: [bare] });
    expect(md).not.toContain('Logical copy');
    expect(md).not.toContain('Replication lag');
    expect(renderHtml({ version: 1, generatedAt: t(500), plans: [bare] })).not.toMatch(/data-chart="(copy|lag)"/);
  });
});
