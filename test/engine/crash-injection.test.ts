// Crash injection: a run is "killed" at every state write — just before it reaches the disk, and just
// after — then a fresh engine resumes from whatever is on disk. Every side effect (ledger lines, AWS
// creations) must have happened exactly once, and the run must finish.
import { afterEach, describe, expect, it } from 'vitest';
import type { StateFile } from '../../src/engine/state-file.js';
import { StateWriteFailed } from '../../src/engine/engine.js';
import { localRunStorage, type RunStorage } from '../../src/engine/run-storage.js';
import { applyWith, fakeAws, fakeTime, workspace } from './harness.js';
import { ledgerLines, makePlan } from '../support/test-steps.js';
import { exitCodeForOutcome } from '../../src/cli/exit-codes.js';

class Crash extends Error {}

/** The local storage at `statePath`, dying at write number `at`: later writes (state and event log) never reach the disk. */
function dyingStorage(statePath: string, at: number, when: 'before' | 'after') {
  let n = 0;
  let dead = false;
  const local = localRunStorage(statePath);
  const storage: RunStorage & { writes: () => number } = {
    ...local,
    writes: () => n,
    async write(state: StateFile) {
      if (dead) throw new Crash('dead');
      n++;
      if (n === at && when === 'before') {
        dead = true;
        throw new Crash(`crash before write ${n}`);
      }
      await local.write(state);
      if (n === at) {
        dead = true;
        throw new Crash(`crash after write ${n}`);
      }
    },
    appendEvent(line: string) {
      if (!dead) local.appendEvent(line);
    },
  };
  return storage;
}

let ws: ReturnType<typeof workspace>;
afterEach(() => ws?.cleanup());

function planFor(ledger: string) {
  return makePlan('demo', [
    { id: 'copy', type: 'test-effect', units: 3, ledger, sleepMs: 1000 },
    { id: 'replica', type: 'test-aws', cluster: 'orders-aurora', polls: 1 },
    { id: 'gate', type: 'approval', message: 'ok?' },
    { id: 'load', type: 'test-effect', units: 2, ledger, echo: '${steps.replica.outputs.clusterId}' },
  ]);
}

function expectExactlyOnce(ledger: string, aws: ReturnType<typeof fakeAws>) {
  const lines = ledgerLines(ledger);
  const runIds = new Set(lines.map((l) => l.split(' ')[0]));
  expect(runIds.size).toBe(1);
  expect(lines.map((l) => l.split(' ').slice(1).join(' ')).sort()).toEqual([
    'copy 0',
    'copy 1',
    'copy 2',
    'load 0',
    'load 1',
  ]);
  expect(aws.calls.filter((c) => c.operation === 'CreateDBCluster')).toHaveLength(1);
}

describe('crash at every state write, then resume', () => {
  it('a clean run needs a known number of writes (the crash points below cover them all)', async () => {
    ws = workspace();
    const storage = dyingStorage(ws.statePath, Infinity, 'after');
    const aws = fakeAws();
    const r = await applyWith(planFor(ws.ledger), ws.statePath, { approve: ['gate'] }, { storage, aws });
    expect(exitCodeForOutcome(r.outcome)).toBe(0);
    expect(storage.writes()).toBeGreaterThan(15);
    expectExactlyOnce(ws.ledger, aws);
  });

  it('every crash point, before and after the write, resumes to exactly-once effects', async () => {
    const probe = workspace();
    const count = dyingStorage(probe.statePath, Infinity, 'after');
    await applyWith(planFor(probe.ledger), probe.statePath, { approve: ['gate'] }, { storage: count, aws: fakeAws() });
    probe.cleanup();
    const total = count.writes();

    for (const when of ['before', 'after'] as const) {
      for (let at = 1; at <= total; at++) {
        ws = workspace();
        const aws = fakeAws(); // the "world" survives the crash
        const time = fakeTime();
        const plan = planFor(ws.ledger);
        const crashed = await applyWith(
          plan,
          ws.statePath,
          { approve: ['gate'] },
          { storage: dyingStorage(ws.statePath, at, when), aws },
          time,
        ).then(
          () => undefined,
          (err: Error) => err,
        );
        expect(crashed).toBeInstanceOf(StateWriteFailed);
        expect(crashed?.cause).toBeInstanceOf(Crash);
        // Resume with a brand-new engine reading only what reached the disk.
        const r = await applyWith(plan, ws.statePath, { approve: ['gate'] }, { aws }, time);
        expect({ at, when, code: exitCodeForOutcome(r.outcome) }).toEqual({ at, when, code: 0 });
        expectExactlyOnce(ws.ledger, aws);
        expect(ws.state().steps.load.outputs).toEqual({ units: 2, echo: 'orders-aurora' });
        ws.cleanup();
      }
    }
  });
});
