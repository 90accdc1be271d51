// The README's quick start runs as written: every `npx aurora-migrate …` line in it exits 0 on a
// fresh checkout, and the npm scripts it names exist. (`npm run demo` itself runs in
// test/rehearsal/demo-smoke.test.ts; `npm test` is this suite.)
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLI_BIN, REPO_ROOT } from '../../rehearsal/world/cli-runner.js';
import { ensureBuilt } from '../../rehearsal/world/ensure-built.js';

const readme = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
const pkg = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };

/** Command lines of the ```sh blocks in one `## ` section. */
function shellLines(section: string): string[] {
  const start = readme.indexOf(`## ${section}\n`);
  expect(start, `README has a "## ${section}" section`).toBeGreaterThanOrEqual(0);
  const end = readme.indexOf('\n## ', start + 4);
  const body = readme.slice(start, end < 0 ? undefined : end);
  return [...body.matchAll(/```sh\n([\s\S]*?)```/g)]
    .flatMap((m) => m[1].split('\n'))
    .map((line) => line.replace(/\s+#.*$/, '').trim())
    .filter(Boolean);
}

const quickStart = shellLines('Quick start');

describe('README quick start', () => {
  beforeAll(() => ensureBuilt(), 240_000);

  it('names install, the demo and the test command', () => {
    expect(quickStart).toContain('npm ci');
    expect(quickStart).toContain('npm run demo');
    expect(quickStart).toContain('npm test');
  });

  it('names only npm scripts that exist', () => {
    for (const line of quickStart.filter((l) => l.startsWith('npm run '))) {
      expect(pkg.scripts, line).toHaveProperty(line.split(/\s+/)[2]);
    }
  });

  const cliLines = quickStart.filter((l) => l.startsWith('npx aurora-migrate '));
  it('has aurora-migrate commands to try', () => expect(cliLines.length).toBeGreaterThan(0));

  for (const line of cliLines) {
    it(`runs: ${line}`, () => {
      const args = line.replace(/^npx aurora-migrate /, '');
      // Through a shell so globs like plans/*.yaml expand as they do for a user.
      const result = spawnSync('sh', ['-c', `"${process.execPath}" "${CLI_BIN}" ${args}`], {
        cwd: REPO_ROOT,
        encoding: 'utf8',
        env: { ...process.env, NO_COLOR: '1', AWS_ENDPOINT_URL: 'http://127.0.0.1:9' },
      });
      expect(result.stderr + result.stdout).not.toMatch(/internal error|at .*\.js:\d+/);
      expect(result.status, result.stderr).toBe(0);
    });
  }
});
