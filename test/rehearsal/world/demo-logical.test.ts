// `npm run demo -- --route logical` end to end, as a user runs it (tsx scripts/demo.ts in a child
// process): a real PostgreSQL 14 source rebooted into wal_level = logical with the application
// writing, preflight refusing the table without a key and then passing with the opt-in, the copy
// into a new PostgreSQL 18 cluster, the gate (exit 3), the cutover (exit 0); every write the
// application saw acknowledged is on the target, its own checks pass, and nothing is left behind.
// A wrong route is a usage error, not a stack trace.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../../rehearsal/world/cli-runner.js';

const TSX = path.join(REPO_ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs');

function runDemo(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; output: string; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [TSX, 'scripts/demo.ts', ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => {
    stdout += s;
    output += s;
  });
  child.stderr.setEncoding('utf8').on('data', (s: string) => {
    stderr += s;
    output += s;
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output, stdout, stderr }));
  });
}

function portOpen(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

const major = (version: string) => Number(version.split('.')[0]);

describe('npm run demo -- --route logical', () => {
  // A slower AWS clock than the demo's default (120) leaves the 5-minute cutover window 5 s of real
  // time for its real SQL on a busy machine.
  it('rehearses the whole logical route 14 → 18 with the application writing: 0 lost writes, its checks pass, the old source follows Aurora', {
    timeout: 240_000,
  }, async () => {
    const run = await runDemo(['--route', 'logical', '--json'], { DEMO_TIME_SCALE: '60' });
    expect(run.code, run.output.slice(-4000)).toBe(0);
    const out = run.output;
    // Preflight refuses the draft without the opt-in, by name; the plan passes.
    expect(out).toMatch(/FAIL {2}replica identity: public\.audit_log has no primary key[\s\S]*?└ exit code 2 /);
    expect(out).toMatch(
      /WARN {2}replica identity: ALTER TABLE … REPLICA IDENTITY FULL will run on the source for public\.audit_log[\s\S]*?└ exit code 0 /,
    );
    expect(out).toMatch(
      /\$ aurora-migrate apply rehearsal\/world\/logical-demo-plan\.yaml --state \S+\n[\s\S]*?rds RebootDBInstance[\s\S]*?└ exit code 3 /,
    );
    expect(out).toMatch(
      /--approve gate\n[\s\S]*?switchover: succeeded[\s\S]*?switch: succeeded[\s\S]*?fallback: succeeded[\s\S]*?└ exit code 0 /,
    );
    expect(out).toMatch(/ALTER ROLE master REPLICATION/);
    const checks = out.split('\n').filter((l) => /^\s+[✔✘] /.test(l));
    expect(checks.length, out).toBeGreaterThanOrEqual(12);
    expect(
      checks.filter((l) => l.includes('✘')),
      out,
    ).toEqual([]);
    // The fallback's reverse replication runs: Aurora's writes after the switch are on the old source.
    expect(
      checks.some((l) => l.includes('✔ writes made on Aurora after the switch are on the old source')),
      out,
    ).toBe(true);
    expect(
      checks.some((l) => l.includes("✔ only the fallback's reverse replication is left")),
      out,
    ).toBe(true);

    // --json: exactly one document on stdout.
    const summary = JSON.parse(run.stdout);
    expect(summary).toMatchObject({ version: 1, ok: true, route: 'logical', lostWrites: 0 });
    expect(major(summary.sourceVersion)).toBe(14);
    expect(major(summary.targetVersion)).toBe(18);
    expect(summary.acknowledgedWrites).toBeGreaterThan(300);
    expect(summary.foundOnTarget).toBe(summary.acknowledgedWrites);
    expect(summary.writeDowntimeSeconds).toBeGreaterThan(0);
    expect(
      summary.rebootSeenByWriter.terminated + summary.rebootSeenByWriter.refused,
      'the writer saw the reboot',
    ).toBeGreaterThan(0);
    expect(summary.applicationTraffic).toMatchObject({ duplicateKeyErrors: 0 });
    expect(summary.applicationTraffic.update).toBeGreaterThan(0);
    expect(summary.applicationTraffic.delete).toBeGreaterThan(0);
    expect(summary.applicationRoute).toEqual([summary.source.endpoint, summary.target.endpoint]);
    expect(summary.cutover).toMatchObject({
      sequencesCopied: 3,
      rebootedAt: expect.any(String),
      caughtUpAt: expect.any(String),
      switchedAt: expect.any(String),
    });

    const folders = [
      ...new Set(
        [...out.matchAll(/(\/tmp\/aurora-migrate-(?:rehearsal|pg|cluster|s3)-[A-Za-z0-9]+)/g)].map((m) => m[1]!),
      ),
    ];
    expect(folders.length, 'the demo names its temp folders').toBeGreaterThanOrEqual(2);
    expect(
      folders.filter((f) => existsSync(f)),
      'temp folders left behind',
    ).toEqual([]);
    expect(await portOpen(summary.source.port, summary.source.endpoint), 'the source still listening').toBe(false);
    expect(await portOpen(summary.target.port, summary.target.endpoint), 'the new cluster still listening').toBe(false);
  });

  it('an unknown route, or --route without one, is a usage error naming the routes', { timeout: 60_000 }, async () => {
    for (const args of [['--route', 'blue-green'], ['--route']]) {
      const run = await runDemo(args);
      expect(run.code).toBe(1);
      expect(run.stdout).toBe('');
      expect(run.stderr).toMatch(
        /^demo: (unknown route "blue-green" \(the demo rehearses replica or logical\)|--route without a route name)\nusage: npm run demo \[-- \[--route replica\|logical\] \[--json\]\]/,
      );
      expect(run.stderr).not.toMatch(/\bat .*\.ts:\d+/);
    }
  });
});
