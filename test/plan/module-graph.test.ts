// validate and an offline plan must not load the AWS SDK, pg or listr2 (speed, and no network by
// construction). A child process records every module it resolves.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const HEAVY = /\/node_modules\/(@aws-sdk|@smithy|pg|pg-[a-z-]+|listr2)\//;

function modulesLoadedBy(args: string[]): { status: number | null; modules: string[]; stderr: string } {
  const dir = mkdtempSync(join(tmpdir(), 'am-graph-'));
  const log = join(dir, 'modules.txt');
  try {
    const child = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        '--import',
        './test/plan/support/record-imports.mjs',
        'test/plan/support/cli-entry.ts',
        ...args,
      ],
      { cwd: root, env: { ...process.env, RECORD_IMPORTS_TO: log, NO_COLOR: '1' }, encoding: 'utf8' },
    );
    let modules: string[] = [];
    try {
      modules = readFileSync(log, 'utf8').trim().split('\n');
    } catch {
      /* nothing recorded */
    }
    return { status: child.status, modules, stderr: child.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('module graph', () => {
  it('the recorder sees packages from node_modules (so an SDK import would show)', () => {
    const r = modulesLoadedBy(['validate', 'plans/exports.yaml']);
    expect(r.modules.some((m) => m.includes('/node_modules/yaml/'))).toBe(true);
    expect(r.modules.some((m) => m.includes('/node_modules/commander/'))).toBe(true);
  });

  it('validate loads neither the AWS SDK nor pg nor listr2', () => {
    const r = modulesLoadedBy([
      'validate',
      'plans/replica-with-backfill.yaml',
      'plans/exports.yaml',
      'plans/snapshot-migrate.yaml',
    ]);
    expect(r.stderr).toContain('ok (8 steps)');
    expect(r.status).toBe(0);
    expect(r.modules.length).toBeGreaterThan(5);
    expect(r.modules.filter((m) => HEAVY.test(m))).toEqual([]);
  });

  it('offline plan loads neither the AWS SDK nor pg nor listr2', () => {
    for (const plan of ['plans/replica-with-backfill.yaml', 'plans/exports.yaml', 'plans/snapshot-migrate.yaml']) {
      const r = modulesLoadedBy(['plan', plan, '--format', 'json']);
      expect(r.status).toBe(0);
      expect(r.modules.some((m) => m.includes('/src/steps/'))).toBe(true);
      expect(r.modules.filter((m) => HEAVY.test(m))).toEqual([]);
    }
  });
});
