// scripts/format-is-mechanical.mjs is how a re-applied `biome format` is shown to change layout only
// (CONTRIBUTING.md "Formatting and linting"): it must pass a pure re-layout and name a file whose code
// or JSON value changed.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../rehearsal/world/cli-runner.js';

const SCRIPT = path.join(REPO_ROOT, 'scripts', 'format-is-mechanical.mjs');
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A git repository with one committed .ts and one .json file. */
function repo(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'format-check-'));
  dirs.push(dir);
  const git = (...args: string[]) =>
    execFileSync('git', ['-c', 'user.email=t@example.com', '-c', 'user.name=t', ...args], { cwd: dir });
  git('init', '-q');
  writeFileSync(path.join(dir, 'a.ts'), 'export const limits = { rows: 1, bytes: 2 }; // the defaults\n');
  writeFileSync(path.join(dir, 'b.json'), '{"name": "x", "list": [1, 2]}\n');
  git('add', '.');
  git('commit', '-qm', 'base');
  return dir;
}

const check = (dir: string) => spawnSync(process.execPath, [SCRIPT, 'HEAD'], { cwd: dir, encoding: 'utf8' });

describe('scripts/format-is-mechanical.mjs', () => {
  it('passes a change of layout, trailing commas and comments', () => {
    const dir = repo();
    writeFileSync(path.join(dir, 'a.ts'), 'export const limits = {\n  rows: 1,\n  bytes: 2,\n};\n');
    writeFileSync(path.join(dir, 'b.json'), '{\n  "name": "x",\n  "list": [1, 2]\n}\n');
    const r = check(dir);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('2 changed file(s): layout only');
  });

  it('names a file whose code changed, and one whose JSON value changed', () => {
    const dir = repo();
    writeFileSync(path.join(dir, 'a.ts'), 'export const limits = {\n  rows: 1,\n  bytes: 3,\n};\n');
    writeFileSync(path.join(dir, 'b.json'), '{ "name": "x", "list": [2, 1] }\n');
    const r = check(dir);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('2 file(s) changed more than layout since HEAD:\n  a.ts\n  b.json');
  });
});
