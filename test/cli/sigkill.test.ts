// SIGKILL `apply` (the real CLI code in a child process, with test step types) at random instants,
// resume each time, and check: the state file always parses, and in the end every side effect
// happened exactly once. Two workspaces of ten kills each run side by side.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { stringify } from 'yaml';
import { readState } from '../../src/engine/state-file.js';
import { ledgerLines } from '../support/test-steps.js';

const ROOT = resolve(import.meta.dirname, '../..');
const ENTRY = join(ROOT, 'test/support/cli-with-test-steps.ts');
const TSX = pathToFileURL(join(ROOT, 'node_modules/tsx/dist/esm/index.mjs')).href;
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

// Start-up through tsx costs ~0.5 s per child (many small files); one esbuild bundle (esbuild ships
// with tsx) brings it near plain node. Dependencies stay external, so the bundle lives under
// node_modules/.cache where they resolve. Without esbuild, the children run through tsx.
let childArgs: string[] = ['--import', TSX, ENTRY];
beforeAll(async () => {
  try {
    const esbuild = await import('esbuild' as string);
    const outfile = join(ROOT, 'node_modules/.cache/aurora-migrate-test', `cli-with-test-steps-${process.pid}.mjs`);
    await esbuild.build({
      entryPoints: [ENTRY],
      outfile,
      bundle: true,
      platform: 'node',
      format: 'esm',
      packages: 'external',
      logLevel: 'silent',
    });
    childArgs = [outfile];
    dirs.push(outfile);
  } catch {
    // keep tsx
  }
});

let seed = Number(process.env.SIGKILL_SEED ?? Date.now() % 100_000);
const random = () => {
  seed = (seed * 48271) % 2147483647;
  return seed / 2147483647;
};

interface Outcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  killed: boolean;
}

/** Runs apply; if killAfterMs is set, sends `signals` (default SIGKILL) that long after its first progress line. */
function runChild(
  dir: string,
  killAfterMs?: number,
  signals: NodeJS.Signals[] = ['SIGKILL'],
): Promise<Outcome & { stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [...childArgs, 'apply', 'plan.yaml', '--approve', 'gate'], {
      cwd: dir,
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let killed = false;
    let stderr = '';
    child.stderr.once('data', () => {
      if (killAfterMs === undefined) return;
      setTimeout(() => {
        for (const s of signals) killed = child.kill(s);
      }, killAfterMs);
    });
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code, signal) => done({ code, signal, killed: killed && signal === 'SIGKILL', stderr }));
  });
}

function childWorkspace() {
  const dir = mkdtempSync(join(tmpdir(), 'am-kill-'));
  dirs.push(dir);
  const ledger = join(dir, 'ledger.txt');
  const effect = (id: string) => ({ id, type: 'test-effect', units: 10, ledger, sleepMs: 15, gapMs: 15 });
  writeFileSync(
    join(dir, 'plan.yaml'),
    stringify({
      version: 1,
      name: 'demo',
      steps: [effect('a'), { id: 'gate', type: 'approval', message: 'ok?' }, effect('b'), effect('c')],
    }),
  );
  return { dir, ledger, statePath: join(dir, '.aurora-migrate', 'demo.state.json') };
}

async function killLoop(kills: number) {
  const { dir, ledger, statePath } = childWorkspace();
  let landed = 0;
  for (let i = 0; i < kills; i++) {
    const r = await runChild(dir, Math.floor(random() * 150));
    if (r.killed) landed++;
    else expect(r.code).toBe(0); // finished before the kill landed
    if (existsSync(statePath)) {
      const read = await readState(statePath, 'demo'); // throws if torn or corrupt
      expect(read.exists).toBe(true);
    }
    const events = existsSync(statePath + '.events.jsonl') ? readFileSync(statePath + '.events.jsonl', 'utf8') : '';
    for (const line of events.split('\n').filter(Boolean)) expect(() => JSON.parse(line)).not.toThrow();
  }
  const final = await runChild(dir);
  expect(final.code).toBe(0);
  const lines = ledgerLines(ledger);
  expect(new Set(lines.map((l) => l.split(' ')[0])).size).toBe(1);
  const effects = lines.map((l) => l.split(' ').slice(1).join(' ')).sort();
  const expected = ['a', 'b', 'c'].flatMap((s) => [...Array(10).keys()].map((u) => `${s} ${u}`)).sort();
  expect(effects).toEqual(expected);
  const st = JSON.parse(readFileSync(statePath, 'utf8'));
  expect(Object.values(st.steps).map((s) => (s as { status: string }).status)).toEqual([
    'succeeded',
    'succeeded',
    'succeeded',
    'succeeded',
  ]);
  expect(readdirSync(join(dir, '.aurora-migrate')).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  expect(existsSync(statePath + '.lock')).toBe(false);
  return landed;
}

describe('SIGKILL at random instants', () => {
  it(`resumes to exactly-once effects with a parseable state file every time (seed ${seed})`, async () => {
    const landed = await Promise.all([killLoop(10), killLoop(10)]);
    // Most kills must land mid-run, or the test proves nothing.
    expect(landed.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(12);
  }, 60_000);
});

describe('SIGINT / SIGTERM to the real process', () => {
  it('exits 130 with the running step saved as running and the lock released', async () => {
    for (const sig of ['SIGINT', 'SIGTERM'] as const) {
      const { dir, statePath } = childWorkspace();
      const r = await runChild(dir, 60, [sig]);
      expect(r.code).toBe(130);
      expect(r.stderr).toContain(`${sig}: stopping at the next safe point`);
      const read = await readState(statePath, 'demo');
      expect(read.exists && Object.values(read.state.steps).some((s) => s.status === 'running')).toBe(true);
      expect(existsSync(statePath + '.lock')).toBe(false);
      expect((await runChild(dir)).code).toBe(0);
    }
  });

  it('a second SIGINT ends the process at once; the state file is still consistent and resumable', async () => {
    const { dir, statePath } = childWorkspace();
    const r = await runChild(dir, 60, ['SIGINT', 'SIGINT']);
    expect(r.signal === 'SIGINT' || r.code === 130).toBe(true);
    expect((await readState(statePath, 'demo')).exists).toBe(true);
    expect((await runChild(dir)).code).toBe(0);
  });
});
