// apply --yes: a step that is about to change production (a reboot, the start of a cutover window)
// asks the person at a terminal first, through the engine's `confirm`; a no stops the run before
// the step (nothing done, the state saved, the same command asks again); a step that already ran
// is never asked about again on a resume; the CLI passes no `confirm` with --yes or without a TTY.
import { afterEach, describe, expect, it } from 'vitest';
import { applyWith, workspace } from './harness.js';
import { ledgerLines, makePlan, testEffect, testRegistry } from '../support/test-steps.js';
import type { AnyStepModule } from '../../src/steps/step.js';
import { freezeWrites } from '../../src/steps/freeze-writes/index.js';
import { enableLogicalReplication } from '../../src/steps/enable-logical-replication/run.js';

const asking: AnyStepModule = {
  ...testEffect,
  type: 'test-asking' as never,
  confirmation: (spec: { units: number }) => `does ${spec.units} irreversible things.`,
};
const registry = testRegistry({ 'test-asking': asking });
let ws = workspace();
afterEach(() => {
  ws.cleanup();
  ws = workspace();
});

describe('confirmations at a terminal (apply --yes answers them)', () => {
  const plan = () =>
    makePlan('demo', [
      { id: 'load', type: 'test-effect', units: 1, ledger: ws.ledger },
      { id: 'risky', type: 'test-asking', units: 2, ledger: ws.ledger },
    ]);

  it('a no stops the run before the step: nothing done, the same command asks again', async () => {
    const asked: string[] = [];
    const r = await applyWith(
      plan(),
      ws.statePath,
      {},
      {
        registry,
        confirm: async (q) => {
          asked.push(`${q.stepId}: ${q.message}`);
          return false;
        },
      },
    );
    expect(r.outcome).toBe('interrupted');
    expect(asked).toEqual(['risky: does 2 irreversible things.']);
    expect(ledgerLines(ws.ledger)).toHaveLength(1); // only "load" ran
    expect(ws.state().steps.risky.status).toBe('pending');
    expect(ws.events().some((e) => e.type === 'confirmation-declined' && e.stepId === 'risky')).toBe(true);

    const again = await applyWith(plan(), ws.statePath, {}, { registry, confirm: async () => true });
    expect(again.outcome).toBe('succeeded');
    expect(ledgerLines(ws.ledger)).toHaveLength(3);
  });

  it('without a confirm (no terminal, or --yes) nothing is asked', async () => {
    const r = await applyWith(plan(), ws.statePath, {}, { registry });
    expect(r.outcome).toBe('succeeded');
  });

  it('a step that already started is not asked about again on a resume', async () => {
    const stop = new AbortController();
    const slow = makePlan('demo', [{ id: 'risky', type: 'test-asking', units: 3, ledger: ws.ledger, sleepMs: 1000 }]);
    let asked = 0;
    const first = await applyWith(
      slow,
      ws.statePath,
      {},
      {
        registry,
        signal: stop.signal,
        confirm: async () => {
          asked++;
          setTimeout(() => stop.abort(), 0);
          return true;
        },
      },
    );
    expect(first.outcome).toBe('interrupted');
    expect(ws.state().steps.risky.status).toBe('running');
    await applyWith(
      slow,
      ws.statePath,
      {},
      {
        registry,
        confirm: async () => {
          asked++;
          return true;
        },
      },
    );
    expect(asked).toBe(1);
  });

  it('freeze-writes asks before the cutover window opens; enable-logical-replication only when it may reboot', () => {
    const freeze = freezeWrites.confirmation!({
      id: 'freeze',
      type: 'freeze-writes',
      connection: { host: 'h', database: 'postgres', user: 'u' },
      databases: ['orders'],
      window: '2m',
    });
    expect(freeze).toBe(
      'starts the cutover window now: writes to orders stop and the applications lose CONNECT there (reads stop too), until the switch or a rollback (window 2m).',
    );
    expect(
      enableLogicalReplication.confirmation!({
        id: 'l',
        type: 'enable-logical-replication',
        instance: 'orders-pg',
        parameterGroup: 'g',
        reboot: true,
      } as never),
    ).toMatch(/may reboot RDS instance orders-pg/);
    expect(
      enableLogicalReplication.confirmation!({
        id: 'l',
        type: 'enable-logical-replication',
        instance: 'orders-pg',
        parameterGroup: 'g',
      } as never),
    ).toBeUndefined();
  });
});

describe('apply at a terminal (CLI)', () => {
  it('asks before the step, a "n" exits 130 with the step not started; --yes asks nothing', async () => {
    const { runApply } = await import('../../src/cli/commands/apply.js');
    const { memoryIo } = await import('../support/memory-io.js');
    const { lenientLoadPlan } = await import('../support/test-steps.js');
    const { writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    writeFileSync(
      join(ws.dir, 'plan.yaml'),
      `version: 1\nname: demo\nsteps:\n  - { id: risky, type: test-asking, units: 1, ledger: ${JSON.stringify(ws.ledger)} }\n`,
    );
    const run = (yes: boolean, stdin: string) => {
      const io = memoryIo({ cwd: ws.dir, env: { NO_COLOR: '1' }, tty: true, stdin });
      return runApply('plan.yaml', { format: 'text', color: false, verbose: false, approve: [], yes }, io, {
        loadPlan: lenientLoadPlan,
        registry,
        aws: { send: async () => ({}) as never },
      }).then((code) => ({ code, err: io.err() }));
    };
    const no = await run(false, 'n\n');
    expect(no.code).toBe(130);
    expect(no.err).toContain('Step "risky": does 1 irreversible things.\nGo ahead? (apply --yes answers this) [y/N] ');
    expect(no.err).toMatch(/step "risky" was not started: not confirmed at the terminal/);
    expect(ledgerLines(ws.ledger)).toEqual([]);
    const yes = await run(true, '');
    expect(yes.code).toBe(0);
    expect(yes.err).not.toContain('Go ahead?');
    expect(ledgerLines(ws.ledger)).toHaveLength(1);
  });
});
