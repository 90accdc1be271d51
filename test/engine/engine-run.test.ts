import { afterEach, describe, expect, it } from 'vitest';
import { writeFileSync, rmSync } from 'node:fs';
import { applyWith, fakeTime, workspace } from './harness.js';
import { ledgerLines, makePlan } from '../support/test-steps.js';
import { exitCodeForOutcome } from '../../src/cli/exit-codes.js';

let ws: ReturnType<typeof workspace>;
afterEach(() => ws?.cleanup());

const effect = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  type: 'test-effect',
  units: 2,
  ledger: ws.ledger,
  ...extra,
});

describe('applyPlan', () => {
  it('runs steps in order, passes outputs on, and records every step in the state file', async () => {
    ws = workspace();
    const plan = makePlan(
      'demo',
      [
        effect('first', { echo: 'orders-aurora' }),
        effect('second', { echo: 'got ${steps.first.outputs.echo} in ${vars.region}' }),
      ],
      { vars: { region: 'us-east-1' } },
    );
    const result = await applyWith(plan, ws.statePath);
    expect(result.outcome).toBe('succeeded');
    expect(exitCodeForOutcome(result.outcome)).toBe(0);
    expect(result.steps.map((s) => [s.id, s.status, s.outputs?.echo])).toEqual([
      ['first', 'succeeded', 'orders-aurora'],
      ['second', 'succeeded', 'got orders-aurora in us-east-1'],
    ]);
    expect(ledgerLines(ws.ledger).map((l) => l.split(' ').slice(1).join(' '))).toEqual([
      'first 0',
      'first 1',
      'second 0',
      'second 1',
    ]);
    const st = ws.state();
    expect(st.version).toBe(1);
    expect(st.plan).toBe('demo');
    expect(st.finishedAt).toBeDefined();
    expect(st.steps.first).toMatchObject({
      type: 'test-effect',
      status: 'succeeded',
      attempts: 1,
      checkpoint: { done: 2 },
    });
    expect(st.steps.first.hash).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('stops after --until and resolves earlier outputs from the state file on the next run', async () => {
    ws = workspace();
    const plan = makePlan('demo', [
      effect('first', { echo: 'x1' }),
      effect('second', { echo: '${steps.first.outputs.echo}-y' }),
    ]);
    const first = await applyWith(plan, ws.statePath, { until: 'first' });
    expect(first.outcome).toBe('until');
    expect(exitCodeForOutcome(first.outcome)).toBe(0);
    expect(ws.state().steps.second.status).toBe('pending');
    const runId = ws.state().runId;
    const second = await applyWith(plan, ws.statePath);
    expect(second.ran).toEqual(['second']);
    expect(second.steps[1].outputs?.echo).toBe('x1-y');
    expect(ws.state().runId).toBe(runId);
  });

  it('fails with exit 2, keeps the error, and resumes the failed step as attempt 2 without redoing its effects', async () => {
    ws = workspace();
    const flag = ws.dir + '/locked';
    writeFileSync(flag, '');
    const plan = makePlan('demo', [effect('load', { failWhileExists: flag }), effect('after')]);
    const failed = await applyWith(plan, ws.statePath);
    expect(failed.outcome).toBe('failed');
    expect(exitCodeForOutcome(failed.outcome)).toBe(2);
    expect(ws.state().steps.load).toMatchObject({ status: 'failed', attempts: 1, error: { code: 'STEP_FAILED' } });
    expect(ws.state().steps.load.error?.message).toContain('the table is locked');
    rmSync(flag);
    const ok = await applyWith(plan, ws.statePath);
    expect(exitCodeForOutcome(ok.outcome)).toBe(0);
    expect(ws.state().steps.load).toMatchObject({ status: 'succeeded', attempts: 2 });
    expect(ws.state().steps.load.error).toBeUndefined();
    expect(ledgerLines(ws.ledger)).toHaveLength(4);
  });

  it('loads the Route 53 client at the start of a run whose plan switches a DNS name (not later, inside the cutover window), and no other', async () => {
    ws = workspace();
    const preloaded: string[] = [];
    const aws = { send: async () => ({}) as never, preload: async (service: string) => void preloaded.push(service) };
    await applyWith(makePlan('demo', [effect('first')]), ws.statePath, {}, { aws });
    expect(preloaded).toEqual([]);
    const withSwitch = makePlan('demo2', [
      effect('first'),
      { id: 'switch', type: 'switch-endpoint', hostedZoneId: 'Z1', record: 'db.example.com', target: 'x.example.com' },
    ]);
    const r = await applyWith(withSwitch, `${ws.dir}/demo2.state.json`, { until: 'first' }, { aws });
    expect(r.outcome).toBe('until');
    expect(preloaded).toEqual(['route53']);
  });

  it('fails a step type that is not built with "not implemented" (exit 2), never a fake success', async () => {
    ws = workspace();
    const plan = makePlan('demo', [{ id: 'later', type: 'test-unbuilt' }]);
    const r = await applyWith(plan, ws.statePath);
    expect(exitCodeForOutcome(r.outcome)).toBe(2);
    expect(r.failed?.error.message).toMatchInlineSnapshot(
      `"step "later": step type "test-unbuilt" is not implemented in this build of aurora-migrate"`,
    );
    expect(ws.state().steps.later.status).toBe('failed');
  });

  it('a missing ${env.X} fails the step with a remedy (exit 2)', async () => {
    ws = workspace();
    const plan = makePlan('demo', [effect('load', { password: '${env.PGPASSWORD}' })]);
    const r = await applyWith(plan, ws.statePath);
    expect(exitCodeForOutcome(r.outcome)).toBe(2);
    expect(r.failed?.error.message).toMatchInlineSnapshot(
      `"step "load" cannot start: environment variable PGPASSWORD is not set. Set what is missing (or fix the plan), then run apply again."`,
    );
    expect(ledgerLines(ws.ledger)).toEqual([]);
  });

  it('records mutating AWS calls (not Describe*) and status changes in the event log, and shows poll progress', async () => {
    ws = workspace();
    const time = fakeTime();
    const progress: string[] = [];
    const plan = makePlan('demo', [{ id: 'replica', type: 'test-aws', cluster: 'orders-aurora', polls: 3 }]);
    const r = await applyWith(
      plan,
      ws.statePath,
      {},
      { listeners: [(e) => e.type === 'progress' && progress.push(e.detail)] },
      time,
    );
    expect(exitCodeForOutcome(r.outcome)).toBe(0);
    expect(progress).toEqual([
      'cluster orders-aurora: creating (0ms)',
      'cluster orders-aurora: creating (30s)',
      'cluster orders-aurora: creating (1m)',
    ]);
    const ev = ws.events();
    expect(ev.filter((e) => e.type === 'aws-call').map((e) => e.operation)).toEqual(['CreateDBCluster']);
    expect(ev.filter((e) => e.type === 'status').map((e) => `${e.stepId}:${e.from}->${e.to}`)).toEqual([
      'replica:pending->running',
      'replica:running->succeeded',
    ]);
    expect(ev.every((e) => typeof e.ts === 'string')).toBe(true);
  });

  it('starts a new runId only when the plan had finished and there is new work', async () => {
    ws = workspace();
    const plan = makePlan('demo', [effect('a')]);
    await applyWith(plan, ws.statePath);
    const run1 = ws.state().runId;
    const again = await applyWith(plan, ws.statePath);
    expect(again.ran).toEqual([]);
    expect(ws.state().runId).toBe(run1);
    const grown = makePlan('demo', [effect('a'), effect('b')]);
    const r = await applyWith(grown, ws.statePath);
    expect(r.ran).toEqual(['b']);
    expect(ws.state().runId).not.toBe(run1);
  });
});
