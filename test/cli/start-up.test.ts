// The installed command loads the built CLI with the V8 code cache the build wrote (bin/load-cli.js):
// the Node that wrote a cache takes it, and a CLI whose cache is missing, damaged or from another
// Node still runs, only without the head start. Each case runs on a copy of bin/ and the bundle, in
// fresh processes started as a user starts the command (speed itself is bench/validate.ts's job).
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../../rehearsal/world/ensure-built.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
let copy: string;
let cacheFile: string;

function node(args: string[]) {
  return spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
}

/** Whether a fresh process's load of the copied CLI took the cache. */
function cacheUsed(): boolean {
  const r = node([
    '-e',
    `process.stdout.write(String(require(${JSON.stringify(join(copy, 'bin', 'load-cli.js'))}).loadCli().cacheUsed))`,
  ]);
  expect(r.stderr).toBe('');
  return r.stdout === 'true';
}

function validate() {
  return node([
    join(copy, 'bin', 'aurora-migrate.js'),
    'validate',
    'plans/replica-with-backfill.yaml',
    'plans/exports.yaml',
  ]);
}

beforeAll(() => {
  ensureBuilt();
  copy = mkdtempSync(join(tmpdir(), 'am-start-up-'));
  cpSync(join(root, 'bin'), join(copy, 'bin'), { recursive: true });
  mkdirSync(join(copy, 'dist', 'cli'), { recursive: true });
  copyFileSync(join(root, 'dist', 'cli', 'main.cjs'), join(copy, 'dist', 'cli', 'main.cjs'));
  cpSync(join(root, 'schemas'), join(copy, 'schemas'), { recursive: true });
  // The build's warm-up, run by this Node on the copy (CI builds dist/ once, then tests on two Nodes).
  const written = node([
    '-e',
    `require(${JSON.stringify(join(copy, 'bin', 'load-cli.js'))}).writeCodeCache([['validate', 'plans/replica-with-backfill.yaml']], ${JSON.stringify(root)}).then((f) => process.stdout.write(f))`,
  ]);
  expect(written.stderr).toBe('');
  cacheFile = written.stdout;
  expect(cacheFile.startsWith(join(copy, 'dist', 'cli'))).toBe(true);
});

afterAll(() => rmSync(copy, { recursive: true, force: true }));

describe('start-up with the code cache', () => {
  it('the Node that wrote the cache takes it, and the CLI answers as usual', () => {
    expect(cacheUsed()).toBe(true);
    const r = validate();
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('plans/replica-with-backfill.yaml: ok (8 steps)\nplans/exports.yaml: ok (2 steps)\n');
  });

  it('without a cache, or with a damaged one, the CLI runs the same, only without it', () => {
    const good = readFileSync(cacheFile);
    const damaged = [Buffer.alloc(0), Buffer.from('not a V8 code cache'), good.subarray(0, good.length >> 1)];
    try {
      rmSync(cacheFile);
      expect(cacheUsed()).toBe(false);
      expect(validate().status).toBe(0);
      for (const bytes of damaged) {
        writeFileSync(cacheFile, bytes);
        expect(cacheUsed()).toBe(false);
        const r = validate();
        expect(r.status).toBe(0);
        expect(r.stderr).toContain('plans/replica-with-backfill.yaml: ok (8 steps)');
      }
    } finally {
      writeFileSync(cacheFile, good);
    }
  });

  it('a plan with problems is reported in full whether or not the cache was taken', () => {
    const plan = join(copy, 'bad.yaml');
    writeFileSync(plan, 'version: 1\nname: Bad_Name\nsteps:\n  - id: wait\n    type: aproval\n');
    const withCache = node([join(copy, 'bin', 'aurora-migrate.js'), 'validate', plan]);
    const good = readFileSync(cacheFile);
    rmSync(cacheFile);
    try {
      const without = node([join(copy, 'bin', 'aurora-migrate.js'), 'validate', plan]);
      expect(withCache.status).toBe(1);
      expect(withCache.stderr).toMatch(/bad\.yaml:2:7: error: .*name/);
      expect(withCache.stderr).toMatch(/bad\.yaml:5:5: error: .*"aproval"/);
      expect(without.status).toBe(withCache.status);
      expect(without.stderr).toBe(withCache.stderr);
    } finally {
      writeFileSync(cacheFile, good);
    }
  });

  it('an unbuilt CLI says how to build it', () => {
    const bare = mkdtempSync(join(tmpdir(), 'am-unbuilt-'));
    try {
      cpSync(join(root, 'bin'), join(bare, 'bin'), { recursive: true });
      const r = node([join(bare, 'bin', 'aurora-migrate.js'), '--version']);
      expect(r.status).toBe(1);
      expect(r.stderr).toBe('aurora-migrate: not built yet. Run `npm run build` (npm ci does it for you).\n');
    } finally {
      rmSync(bare, { recursive: true, force: true });
    }
  });
});
