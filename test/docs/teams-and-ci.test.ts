// docs/teams-and-ci.md runs as written: its example plans (```yaml blocks that start with
// `# plans/NAME.yaml`) are the files, and every `npx aurora-migrate …` line of its ```sh blocks runs,
// in order, through a shell (so quoted globs and `>> "$GITHUB_STEP_SUMMARY"` work as in CI), against
// the time-scaled AWS stand-in, and ends with the exit code its `# exit N` comment names (0 when
// none). npm scripts it names exist. The replica never catches up here, so `--max-runtime` stops in
// the lag-watch as the page describes.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_BIN, REPO_ROOT } from '../../rehearsal/world/cli-runner.js';
import { ensureBuilt } from '../../rehearsal/world/ensure-built.js';
import { startAwsStandin, type AwsStandin } from '../../rehearsal/aws/index.js';
import { standinCliEnv } from '../../rehearsal/world/cli-env.js';

const doc = readFileSync(path.join(REPO_ROOT, 'docs', 'teams-and-ci.md'), 'utf8');
const pkg = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as {
  scripts: Record<string, string>;
};
const planFiles = [...doc.matchAll(/```yaml\n# (plans\/[a-z-]+\.yaml)\n([\s\S]*?)```/g)].map((m) => ({
  file: m[1],
  text: m[2],
}));
const lines = [...doc.matchAll(/```sh\n([\s\S]*?)```/g)]
  .flatMap((m) => m[1].split('\n'))
  .map((l) => l.trim())
  .filter(Boolean);
const commands = lines
  .filter((l) => l.startsWith('npx aurora-migrate '))
  .map((l) => {
    const exit = /#\s*exit (\d+)/.exec(l);
    return { line: l.replace(/\s+#.*$/, ''), exit: exit ? Number(exit[1]) : 0 };
  });

let aws: AwsStandin;
let root: string;
let summary: string;
beforeAll(async () => {
  await ensureBuilt();
  aws = await startAwsStandin({
    timeScale: 600,
    seed: {
      instances: [
        { id: 'orders-pg', engineVersion: '16.4' },
        { id: 'billing-pg', engineVersion: '16.4' },
      ],
      buckets: ['team-migrations'],
    },
  });
  aws.s3.setVersioning('team-migrations', 'Enabled');
  aws.faults.lagNeverConverges(60);
  root = mkdtempSync(path.join(tmpdir(), 'am-docs-teams-'));
  mkdirSync(path.join(root, 'plans'));
  for (const p of planFiles) writeFileSync(path.join(root, p.file), p.text);
  summary = path.join(root, 'step-summary.md');
}, 240_000);
afterAll(async () => {
  await aws?.close();
  if (root) rmSync(root, { recursive: true, force: true });
});

/** bash -c LINE, asynchronously: the stand-in answers from this process, so it must not be blocked. */
function sh(
  line: string,
  options: { cwd: string; env: Record<string, string | undefined> },
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', line], {
      cwd: options.cwd,
      env: options.env as NodeJS.ProcessEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

describe('docs/teams-and-ci.md', () => {
  it('has example plans and commands, and names only npm scripts that exist', () => {
    expect(planFiles.map((p) => p.file)).toEqual(['plans/orders.yaml', 'plans/billing.yaml']);
    expect(commands.length).toBeGreaterThanOrEqual(6);
    for (const l of lines.filter((x) => x.startsWith('npm run ')))
      expect(pkg.scripts, l).toHaveProperty(l.split(/\s+/)[2]);
  });

  it('every aurora-migrate command runs with the exit code the page gives', async () => {
    for (const { line, exit } of commands) {
      const result = await sh(line.replace(/^npx aurora-migrate /, `"${process.execPath}" "${CLI_BIN}" `), {
        cwd: root,
        // The stand-in runs 600 times faster than AWS; the tool's waits (and --max-runtime) 6000
        // times: 330m on the page is 3.3 s here.
        env: { ...standinCliEnv(aws.env, root, 6000), GITHUB_STEP_SUMMARY: summary },
      });
      expect(result.stderr + result.stdout, line).not.toMatch(/internal error|\n\s+at .*\.js:\d+/);
      expect(result.status, `${line}\n${result.stderr}`).toBe(exit);
    }
    const md = readFileSync(summary, 'utf8');
    expect(md).toContain('## aurora-migrate plan: 2 plans');
    expect(md).toContain('## aurora-migrate status: 2 plans');
  }, 120_000);
});
