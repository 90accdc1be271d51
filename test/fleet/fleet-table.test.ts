// The fleet row of a plan whose cutover finished (outcome and write downtime from the window's step
// outputs), one whose cutover rolled back, and one that failed, rendered as the text and markdown
// tables print them (the CLI test covers reading states; this pins what a reader sees of a cutover).
import { describe, expect, it } from 'vitest';
import { fleetRowFromState } from '../../src/fleet/fleet-row.js';
import type { StateFile, StepState } from '../../src/engine/state-file.js';
import { renderFleetText } from '../../src/render/fleet-text.js';
import { renderFleetMarkdown } from '../../src/render/fleet-markdown.js';
import { makePlan } from '../support/test-steps.js';

const plan = (name: string) =>
  makePlan(name, [
    { id: 'replica', type: 'aurora-read-replica' },
    { id: 'freeze', type: 'freeze-writes' },
    { id: 'promote', type: 'promote' },
    { id: 'switch', type: 'switch-endpoint' },
  ]);
const step = (type: string, status: StepState['status'], extra: Partial<StepState> = {}): StepState => ({
  type,
  hash: 'h',
  status,
  attempts: 1,
  warnings: [],
  ...extra,
});
const T = '2026-12-05T02:00:00.000Z';

function state(name: string, steps: Record<string, StepState>, extra: Partial<StateFile> = {}): StateFile {
  return {
    version: 1,
    plan: name,
    runId: 'run-1',
    createdAt: T,
    updatedAt: '2026-12-05T02:04:10.000Z',
    steps,
    approvals: [],
    ...extra,
  };
}

describe('fleet rows of cutovers', () => {
  const done = fleetRowFromState(
    plan('orders'),
    'plans/orders.yaml',
    's3://team-migrations/orders',
    state(
      'orders',
      {
        replica: step('aurora-read-replica', 'succeeded'),
        freeze: step('freeze-writes', 'succeeded'),
        promote: step('promote', 'succeeded', {
          outputs: { caughtUpAt: '2026-12-05T02:00:03.000Z', promotedAt: '2026-12-05T02:03:00.000Z' },
        }),
        switch: step('switch-endpoint', 'succeeded', {
          outputs: { switchedAt: '2026-12-05T02:04:05.000Z', writeDowntime: '4m5s' },
        }),
      },
      {
        finishedAt: '2026-12-05T02:04:10.000Z',
        cutover: {
          openedBy: 'freeze',
          runId: 'run-1',
          openedAt: T,
          frozenAt: T,
          deadline: '2026-12-05T02:10:00.000Z',
          status: 'committed',
          pointOfNoReturn: {
            stepId: 'promote',
            at: '2026-12-05T02:00:04.000Z',
            what: 'PromoteReadReplicaDBCluster sent',
          },
        },
      },
    ),
    undefined,
  );
  const rolledBack = fleetRowFromState(
    plan('billing'),
    'plans/billing.yaml',
    '.aurora-migrate/billing.state.json',
    state(
      'billing',
      {
        replica: step('aurora-read-replica', 'succeeded'),
        freeze: step('freeze-writes', 'rolled-back'),
        promote: step('promote', 'failed', {
          error: {
            code: 'WINDOW_EXPIRED',
            message: "the cutover window's deadline passed before PromoteReadReplicaDBCluster\nmore",
          },
        }),
        switch: step('switch-endpoint', 'pending'),
      },
      {
        cutover: {
          openedBy: 'freeze',
          runId: 'run-1',
          openedAt: T,
          frozenAt: T,
          deadline: '2026-12-05T02:05:00.000Z',
          status: 'rolled-back',
          rolledBackAt: '2026-12-05T02:05:01.000Z',
          reason: 'deadline',
          history: [
            { openedBy: 'freeze', runId: 'run-1', openedAt: T, frozenAt: T, deadline: T, status: 'rolled-back' },
          ],
        },
      },
    ),
    {
      holder: { host: 'ci-3', pid: 77, user: 'runner', since: T, token: 't' },
      heartbeatAgeMs: 2000,
      holderGone: false,
      stale: false,
    },
  );

  it("a finished cutover shows when it switched and the write downtime; a rolled-back one says so, with the failed step's error", () => {
    expect(done).toMatchObject({
      phase: 'finished',
      step: { id: 'switch', status: 'succeeded', number: 4, of: 4 },
      done: 4,
      cutover: { status: 'committed', switchedAt: '2026-12-05T02:04:05.000Z', writeDowntime: '4m5s' },
    });
    expect(rolledBack).toMatchObject({
      phase: 'failed',
      step: { id: 'promote', status: 'failed' },
      detail: expect.stringMatching(/^the cutover window's deadline passed/),
      cutover: { status: 'rolled-back', rolledBackBefore: 1 },
    });
    expect(renderFleetText([done, rolledBack], { color: false })).toMatchInlineSnapshot(`
      "PLAN     STEP           STATUS    UPDATED                   LOCK
      orders   switch (4/4)   finished  2026-12-05T02:04:10.000Z  -
               cutover: switched at 2026-12-05T02:04:05.000Z, write downtime 4m5s
               state s3://team-migrations/orders
      billing  promote (3/4)  failed    2026-12-05T02:04:10.000Z  pid 77 on ci-3 (heartbeat 2s ago)
               failed: the cutover window's deadline passed before PromoteReadReplicaDBCluster
               cutover: rolled back, 1 earlier attempt rolled back
               state .aurora-migrate/billing.state.json

      2 plans: 1 failed, 1 finished.
      "
    `);
    expect(
      renderFleetMarkdown([done, rolledBack])
        .split('\n')
        .filter((l) => l.startsWith('| `')),
    ).toEqual([
      '| `orders`<br>plans/orders.yaml | `switch` 4/4 | ✅ finished |  |  | switched at 2026-12-05T02:04:05.000Z, write downtime 4m5s | 2026-12-05T02:04:10.000Z |  | `s3://team-migrations/orders` |',
      "| `billing`<br>plans/billing.yaml | `promote` 3/4 (failed) | ❌ failed | the cutover window's deadline passed before PromoteReadReplicaDBCluster |  | rolled back, 1 earlier attempt rolled back | 2026-12-05T02:04:10.000Z | pid 77 on ci-3 (heartbeat 2s ago) | `.aurora-migrate/billing.state.json` |",
    ]);
  });
});
