import { afterEach, describe, expect, it } from 'vitest';
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { cliWorkspace } from './cli-harness.js';
import { Interrupted } from '../../src/errors.js';
import { ledgerLines } from '../support/test-steps.js';
import type { SignalName } from '../../src/engine/interrupts.js';

let ws: ReturnType<typeof cliWorkspace>;
afterEach(() => ws?.cleanup());

/** A delay that delivers `signals` to the process stand-in on its n-th call, then waits abortably. */
function signallingDelay(emitter: EventEmitter, atCall: number, signals: SignalName[]) {
  let calls = 0;
  return async (ms: number, signal: AbortSignal) => {
    calls++;
    if (calls === atCall) for (const s of signals) emitter.emit(s);
    if (signal.aborted) throw new Interrupted('interrupted');
    ws.time.advance(ms);
  };
}

describe('SIGINT / SIGTERM', () => {
  it('stops at the next safe point: exit 130, the step stays running with its checkpoint, lock released; apply resumes it', async () => {
    ws = cliWorkspace();
    const plan = ws.writePlan({
      steps: [
        { id: 'copy', type: 'test-effect', units: 4, ledger: ws.ledger, sleepMs: 1000 },
        { id: 'next', type: 'test-effect', units: 1, ledger: ws.ledger },
      ],
    });
    const emitter = new EventEmitter();
    const seconds: string[] = [];
    const r = await ws.apply(plan, {}, undefined, {
      signals: emitter,
      onSecondSignal: (s) => seconds.push(s),
      engine: {
        clock: { now: ws.time.now },
        monotonic: ws.time.now,
        delay: signallingDelay(emitter, 2, ['SIGTERM']),
        user: () => 'alice',
      },
    });
    expect(r.code).toBe(130);
    expect(seconds).toEqual([]);
    expect(r.err).toContain(
      'SIGTERM: stopping at the next safe point and saving the state… (press Ctrl-C again to exit at once)',
    );
    expect(r.err.trim().split('\n').slice(-2).join('\n')).toMatchInlineSnapshot(`
      "01:00:01 copy: interrupted after 1s; state saved, apply resumes it
      interrupted: the state is saved; run aurora-migrate apply plan.yaml to resume."
    `);
    const st = ws.state();
    expect(st.steps.copy).toMatchObject({ status: 'running', attempts: 1, checkpoint: { done: 2 } });
    expect(st.steps.next.status).toBe('pending');
    expect(existsSync(ws.statePath + '.lock')).toBe(false);
    expect(ws.events().some((e) => e.type === 'interrupted' && e.stepId === 'copy')).toBe(true);
    expect(emitter.listenerCount('SIGINT') + emitter.listenerCount('SIGTERM')).toBe(0);

    const resumed = await ws.apply(plan);
    expect(resumed.code).toBe(0);
    expect(ws.state().steps.copy).toMatchObject({ status: 'succeeded', attempts: 2 });
    expect(ledgerLines(ws.ledger).map((l) => l.split(' ').slice(1).join(' '))).toEqual([
      'copy 0',
      'copy 1',
      'copy 2',
      'copy 3',
      'next 0',
    ]);
  });

  it('a second Ctrl-C asks to exit at once', async () => {
    ws = cliWorkspace();
    const plan = ws.writePlan({
      steps: [{ id: 'copy', type: 'test-effect', units: 3, ledger: ws.ledger, sleepMs: 1000 }],
    });
    const emitter = new EventEmitter();
    const seconds: string[] = [];
    const r = await ws.apply(plan, {}, undefined, {
      signals: emitter,
      onSecondSignal: (s) => seconds.push(s),
      engine: {
        clock: { now: ws.time.now },
        monotonic: ws.time.now,
        delay: signallingDelay(emitter, 1, ['SIGINT', 'SIGINT']),
      },
    });
    expect(seconds).toEqual(['SIGINT']);
    expect(r.code).toBe(130);
    expect(ws.state().steps.copy.status).toBe('running');
  });
});
