import { afterEach, describe, expect, it } from 'vitest';
import { Readable } from 'node:stream';
import { cliWorkspace } from './cli-harness.js';
import type { Io } from '../../src/cli/io.js';

let ws: ReturnType<typeof cliWorkspace>;
afterEach(() => ws?.cleanup());

const strip = (s: string) => s.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '');

function ttyIo(env: Record<string, string>, answer?: string): Io & { out(): string; err(): string } {
  let out = '';
  let err = '';
  return {
    stdout: {
      write: (s: string) => {
        out += s;
        return true;
      },
      isTTY: false,
    },
    stderr: {
      write: (s: string) => {
        err += s;
        return true;
      },
      isTTY: true,
      columns: 100,
      rows: 40,
    } as Io['stderr'],
    stdin: Object.assign(Readable.from(answer !== undefined ? [answer] : []), {
      isTTY: answer !== undefined,
    }) as unknown as Io['stdin'],
    env,
    cwd: ws.dir,
    out: () => out,
    err: () => err,
  };
}

describe('progress on a terminal', () => {
  it('draws a live listr2 tree on stderr (stdout piped): each step with its detail, then ✔ lines', async () => {
    ws = cliWorkspace();
    const plan = ws.writePlan({
      steps: [
        { id: 'replica', type: 'test-aws', cluster: 'orders-aurora', polls: 2 },
        { id: 'load', type: 'test-effect', units: 2, ledger: ws.ledger },
      ],
    });
    const io = ttyIo({});
    const r = await ws.apply(plan, { color: true }, io);
    expect(r.code).toBe(0);
    const err = strip(io.err());
    expect(err).toContain('replica (test-aws)');
    expect(err).toContain('✔ replica: succeeded in 1m');
    expect(err).toContain('✔ load: succeeded in 0ms');
    expect(err).not.toMatch(/^\d\d:\d\d:\d\d /m); // not the plain renderer
    expect(strip(io.out())).toContain('done: every step succeeded.');
  });

  it('stops drawing to ask for an approval, then carries on', async () => {
    ws = cliWorkspace();
    const plan = ws.writePlan({
      steps: [
        { id: 'a', type: 'test-effect', units: 1, ledger: ws.ledger },
        { id: 'cutover', type: 'approval', message: 'Stop writes.' },
        { id: 'b', type: 'test-effect', units: 1, ledger: ws.ledger },
      ],
    });
    const io = ttyIo({}, 'y\n');
    expect((await ws.apply(plan, { color: true }, io)).code).toBe(0);
    const err = strip(io.err());
    expect(err).toContain('✔ cutover: waiting for your answer');
    expect(err).toContain('Approve "cutover" and continue? [y/N] ');
    expect(err).toContain('✔ cutover: approved by alice (prompt)');
    expect(err).toContain('✔ b: succeeded');
    expect(ws.state().approvals[0]).toMatchObject({ stepId: 'cutover', via: 'prompt' });
  });

  it('falls back to plain lines in CI and with NO_COLOR, even on a terminal', async () => {
    ws = cliWorkspace();
    const plan = ws.writePlan({ steps: [{ id: 'load', type: 'test-effect', units: 1, ledger: ws.ledger }] });
    for (const env of [{ CI: 'true' }, { NO_COLOR: '1' }] as Array<Record<string, string>>) {
      const io = ttyIo(env);
      expect((await ws.apply(plan, { color: true }, io)).code).toBe(0);
      expect(strip(io.err())).toMatch(/^\d\d:\d\d:\d\d (starting|resuming) plan demo/m);
    }
  });
});
