// The rollback of a cutover window takes back the window's steps that have an `undo` (the logical
// route's switchover) newest first, before the freeze's undo; a step that never ran is not undone;
// when a step's undo fails the fence is lifted anyway (writes first), the window stays
// `rolling-back`, and the next apply retries the rest. Engine only: fake steps, fake time.
import { afterEach, describe, expect, it } from 'vitest';
import { StepFailed } from '../../src/errors.js';
import type { StepModule } from '../../src/steps/step.js';
import { applyWith, fakeTime, workspace } from './harness.js';
import { makePlan, testRegistry } from '../support/test-steps.js';

const spaces: Array<ReturnType<typeof workspace>> = [];
afterEach(() => {
  for (const w of spaces.splice(0)) w.cleanup();
});
const MIN = 60_000;

function world(options: { failIn: 'freeze' | 'switchover' | 'check'; undoFailures?: number }) {
  const log: string[] = [];
  let undoFailures = options.undoFailures ?? 0;
  const freeze: StepModule<any> = {
    type: 'freeze-writes' as never,
    outputs: [],
    opensCutoverWindow: true,
    describe: () => [],
    async run(_spec, ctx) {
      const now = ctx.clock.now();
      await ctx.openCutoverWindow!({
        frozenAt: new Date(now).toISOString(),
        deadline: new Date(now + 10 * MIN).toISOString(),
      });
      log.push('freeze');
      if (options.failIn === 'freeze')
        throw new StepFailed(ctx.stepId, 'step "freeze" failed: the fence does not hold');
      return {};
    },
    async undo() {
      log.push('freeze-undo');
      return {};
    },
  };
  const step = (name: string, fails: boolean, withUndo: boolean): StepModule<any> => ({
    type: name as never,
    outputs: [],
    describe: () => [],
    async run(_spec, ctx) {
      log.push(name);
      if (fails) throw new StepFailed(ctx.stepId, 'role reporting has no password the tool knows of on the target');
      return {};
    },
    ...(withUndo
      ? {
          async undo() {
            if (undoFailures-- > 0) {
              log.push(`${name}-undo-failed`);
              throw new Error('the target cannot be reached');
            }
            log.push(`${name}-undo`);
            return {};
          },
        }
      : {}),
  });
  const registry = testRegistry({
    'freeze-writes': freeze,
    'logical-switchover': step('switchover', options.failIn === 'switchover', true),
    'verify-data': step('check', options.failIn === 'check', false),
    'switch-endpoint': step('switch', false, false),
  });
  const plan = makePlan('demo', [
    { id: 'freeze', type: 'freeze-writes' },
    { id: 'switchover', type: 'logical-switchover' },
    { id: 'check', type: 'verify-data' },
    { id: 'switch', type: 'switch-endpoint' },
  ]);
  return { log, registry, plan };
}

describe("cutover rollback undoes the window's steps, then the freeze", () => {
  it('a failure after the switchover: the switchover is taken back first, then the freeze', async () => {
    const w = workspace();
    spaces.push(w);
    const { log, registry, plan } = world({ failIn: 'check' });
    const r = await applyWith(plan, w.statePath, {}, { registry }, fakeTime());
    expect(r.outcome).toBe('rolled-back');
    expect(log).toEqual(['freeze', 'switchover', 'check', 'switchover-undo', 'freeze-undo']);
    expect(w.events().filter((e) => e.type === 'cutover-step-undone')).toMatchObject([{ stepId: 'switchover' }]);
    expect(w.state().steps.switchover.status).toBe('pending');
  });

  it('a failure of the freeze itself: the switchover never ran and is not undone', async () => {
    const w = workspace();
    spaces.push(w);
    const { log, registry, plan } = world({ failIn: 'freeze' });
    const r = await applyWith(plan, w.statePath, {}, { registry }, fakeTime());
    expect(r.outcome).toBe('rolled-back');
    expect(log).toEqual(['freeze', 'freeze-undo']);
  });

  it('an undo that fails: writes come back anyway, the rollback is reported unfinished, and the next apply finishes it', async () => {
    const w = workspace();
    spaces.push(w);
    const { log, registry, plan } = world({ failIn: 'switchover', undoFailures: 1 });
    const time = fakeTime();
    const r = await applyWith(plan, w.statePath, {}, { registry }, time);
    expect(r.outcome).toBe('failed');
    expect(r.failed).toMatchObject({ stepId: 'switchover', error: { code: 'ROLLBACK_FAILED' } });
    expect(r.failed!.error.message).toMatch(
      /^the cutover stopped before the point of no return \(step "switchover" failed\) and was rolled back on the source \(the frozen databases have their previous settings\), but step "switchover" could not be taken back: the target cannot be reached\. Run apply again to retry the rollback/,
    );
    expect(log).toEqual(['freeze', 'switchover', 'switchover-undo-failed', 'freeze-undo']);
    expect(w.state().cutover).toMatchObject({ status: 'rolling-back' });

    const again = await applyWith(plan, w.statePath, {}, { registry }, time);
    expect(again.outcome).toBe('rolled-back'); // the rollback finished; the run stops there (the same command then starts the cutover afresh)
    expect(log.slice(4)).toEqual(['switchover-undo', 'freeze-undo']);
    expect(w.state().cutover).toMatchObject({ status: 'rolled-back' });
  });
});
