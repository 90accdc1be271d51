// apply --max-runtime in the engine (fake time, so no wall time passes): the run stops at the first
// safe point after the limit with the step still `running`, the lease released and the stop in the
// event log; the next apply goes on from the checkpoint with nothing done twice. The limit is divided
// by the time scale. A cutover window in progress runs to its end (the DNS switch) before the stop.
import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { StepModule } from '../../src/steps/step.js';
import { applyWith, engineDeps, fakeTime, T0, workspace } from './harness.js';
import { ledgerLines, makePlan, testRegistry } from '../support/test-steps.js';

const spaces: Array<ReturnType<typeof workspace>> = [];
afterEach(() => {
  for (const w of spaces.splice(0)) w.cleanup();
});
const ws = () => {
  const w = workspace();
  spaces.push(w);
  return w;
};
const MIN = 60_000;
const limit = (text: string, ms: number) => ({ maxRuntime: { limit: text, ms } });

describe('apply --max-runtime (engine)', () => {
  it('stops in a wait after the limit, keeps the step running with its checkpoint, releases the lease; the next runs go on until done, each unit once', async () => {
    const w = ws();
    const plan = makePlan('demo', [
      { id: 'copy', type: 'test-effect', units: 12, ledger: w.ledger, sleepMs: MIN },
      { id: 'after', type: 'test-effect', units: 1, ledger: w.ledger },
    ]);
    const time = fakeTime();
    const first = await applyWith(plan, w.statePath, limit('5m', 5 * MIN), {}, time);
    expect(first.outcome).toBe('max-runtime');
    expect(first.maxRuntime).toEqual({ limit: '5m', stoppedAt: 'while step "copy" was waiting' });
    expect(time.now() - T0).toBe(5 * MIN); // woke at the limit, not at the end of a sleep
    expect(w.state().steps.copy).toMatchObject({ status: 'running', checkpoint: { done: 5 } });
    expect(w.state().steps.after.status).toBe('pending');
    expect(existsSync(w.statePath + '.lock')).toBe(false);
    const stop = w.events().find((e) => e.type === 'max-runtime');
    expect(stop).toMatchObject({
      limit: '5m',
      where: 'while step "copy" was waiting',
      detail: '--max-runtime 5m reached while step "copy" was waiting',
    });
    expect(w.events().at(-1)).toMatchObject({ type: 'run-end', outcome: 'max-runtime' });

    const outcomes = [first.outcome];
    for (let i = 0; i < 5 && outcomes.at(-1) === 'max-runtime'; i++)
      outcomes.push((await applyWith(plan, w.statePath, limit('5m', 5 * MIN), {}, time)).outcome);
    expect(outcomes).toEqual(['max-runtime', 'max-runtime', 'succeeded']); // 5 + 5 + 2 units
    const copy = ledgerLines(w.ledger).filter((l) => l.includes(' copy '));
    expect(copy).toHaveLength(12);
    expect(new Set(copy).size).toBe(12);
    const starts = w.events().filter((e) => e.type === 'run-start');
    expect(starts.map((e) => e.resumed)).toEqual([false, true, true]);
    expect(new Set(starts.map((e) => e.runId)).size).toBe(1); // one run, resumed twice
  });

  it('stops between steps when the limit passed during a step that never waits', async () => {
    const w = ws();
    const busy: StepModule<any> = {
      type: 'test-busy' as never,
      outputs: [],
      describe: () => [],
      async run(_spec, ctx) {
        time.advance(10 * MIN); // work that takes 10 minutes without a wait (a long SQL statement)
        ctx.progress('done');
        return {};
      },
    };
    const time = fakeTime();
    const plan = makePlan('demo', [
      { id: 'busy', type: 'test-busy' },
      { id: 'next', type: 'test-effect', units: 1, ledger: w.ledger },
    ]);
    const r = await applyWith(
      plan,
      w.statePath,
      limit('5m', 5 * MIN),
      { registry: testRegistry({ 'test-busy': busy }) },
      time,
    );
    expect(r.outcome).toBe('max-runtime');
    expect(r.maxRuntime?.stoppedAt).toBe('before step "next"');
    expect(w.state().steps.busy.status).toBe('succeeded');
    expect(w.state().steps.next.status).toBe('pending');
    expect(ledgerLines(w.ledger)).toEqual([]);
  });

  it('divides the limit by the time scale, like every wait', async () => {
    const w = ws();
    const plan = makePlan('demo', [
      { id: 'copy', type: 'test-effect', units: 100, ledger: w.ledger, sleepMs: 5 * MIN },
    ]);
    const time = fakeTime();
    const r = await applyWith(plan, w.statePath, limit('2h', 120 * MIN), { timeScale: 60 }, time);
    expect(r.outcome).toBe('max-runtime');
    expect(time.now() - T0).toBe(2 * MIN); // 2h at time scale 60 is 2 real minutes
    expect(w.state().steps.copy.checkpoint).toEqual({ done: 24 }); // 24 units of 5 stand-in minutes
  });

  it('never stops inside a cutover: the window runs through the promotion and the DNS switch, then the run stops at the next wait', async () => {
    const w = ws();
    const time = fakeTime();
    const window: string[] = [];
    const freeze: StepModule<any> = {
      type: 'freeze-writes' as never,
      outputs: [],
      opensCutoverWindow: true,
      describe: () => [],
      async run(_spec, ctx) {
        const now = ctx.clock.now();
        await ctx.openCutoverWindow!({
          frozenAt: new Date(now).toISOString(),
          deadline: new Date(now + 60 * MIN).toISOString(),
        });
        window.push('frozen');
        await ctx.sleep(10 * MIN); // the drain: past the limit already
        return {};
      },
      async undo() {
        window.push('undo');
        return {};
      },
    };
    const waitThen = (what: string, crossing?: string): StepModule<any> => ({
      type: what as never,
      outputs: [],
      describe: () => [],
      async run(_spec, ctx) {
        let polls = 0;
        await ctx.poll({
          what,
          everyMs: MIN,
          timeoutMs: 60 * MIN,
          check: async () => (++polls >= 3 ? { done: true, value: polls } : { done: false }),
        });
        if (crossing) await ctx.cutover!.crossPointOfNoReturn(crossing);
        await ctx.sleep(5 * MIN); // waiting for the promotion / for INSYNC
        return {};
      },
    });
    const registry = testRegistry({
      'freeze-writes': freeze,
      promote: waitThen('promote', 'PromoteReadReplicaDBCluster sent'),
      'switch-endpoint': waitThen('switch-endpoint'),
    });
    const plan = makePlan('demo', [
      { id: 'freeze', type: 'freeze-writes' },
      { id: 'promote', type: 'promote' },
      { id: 'switch', type: 'switch-endpoint' },
      { id: 'backfill', type: 'test-effect', units: 5, ledger: w.ledger, sleepMs: MIN },
    ]);
    const r = await applyWith(plan, w.statePath, limit('1m', MIN), { registry }, time);
    expect(r.outcome).toBe('max-runtime');
    expect(window).not.toContain('undo');
    expect(r.cutover?.status).toBe('committed');
    const st = w.state();
    expect([st.steps.freeze.status, st.steps.promote.status, st.steps.switch.status]).toEqual([
      'succeeded',
      'succeeded',
      'succeeded',
    ]);
    // The first safe point after the switch: the first wait of the next step.
    expect(r.maxRuntime?.stoppedAt).toBe('before step "backfill"');
    expect(ledgerLines(w.ledger)).toHaveLength(0);
  });

  it('without --max-runtime nothing changes: no limit in the result, no stop', async () => {
    const w = ws();
    const plan = makePlan('demo', [{ id: 'copy', type: 'test-effect', units: 3, ledger: w.ledger, sleepMs: 60 * MIN }]);
    const r = await applyWith(plan, w.statePath, {}, engineDeps(), fakeTime());
    expect(r.outcome).toBe('succeeded');
    expect(r.maxRuntime).toBeUndefined();
  });
});
