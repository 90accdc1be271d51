// `npm run demo` end to end, as a user runs it (tsx scripts/demo.ts in a child process): it walks
// through plan → apply (exit 3 at the gate) → apply --approve gate (the cutover) → status, its own independent
// checks all pass, every write the application saw acknowledged is on the promoted cluster (--json
// summary), and it leaves nothing behind — also when it is interrupted with Ctrl-C.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../../rehearsal/world/cli-runner.js';

const TSX = path.join(REPO_ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs');

interface DemoRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
  stdout: string;
}

/** Runs the demo in its own process group; `interruptWhen` sends SIGINT to the whole group (like Ctrl-C at a terminal). */
function runDemo(interruptWhen?: (output: string) => boolean, args: string[] = []): Promise<DemoRun> {
  const child = spawn(process.execPath, [TSX, 'scripts/demo.ts', ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, NO_COLOR: '1', DEMO_TIME_SCALE: '240' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  let stdout = '';
  let interrupted = false;
  const onData = (s: string) => {
    output += s;
    if (!interrupted && interruptWhen?.(output)) {
      interrupted = true;
      process.kill(-child.pid!, 'SIGINT');
    }
  };
  child.stdout.setEncoding('utf8').on('data', (s: string) => {
    stdout += s;
    onData(s);
  });
  child.stderr.setEncoding('utf8').on('data', onData);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, output, stdout }));
  });
}

/** What the demo said it created: temp folders and the source PostgreSQL's address and port. */
function leftovers(output: string) {
  const folders = [
    ...new Set(
      [...output.matchAll(/(\/tmp\/aurora-migrate-(?:rehearsal|pg|cluster|s3)-[A-Za-z0-9]+)/g)].map((m) => m[1]!),
    ),
  ];
  const listening = /PostgreSQL listening on (127\.0+\.0+\.0*1):(\d+)/.exec(output);
  return { folders, host: listening?.[1] ?? '127.0.0.1', port: Number(listening?.[2]) };
}

function portOpen(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('npm run demo', () => {
  it('walks through the gate to a finished migration, checks it, and cleans up', { timeout: 120_000 }, async () => {
    const run = await runDemo(undefined, ['--json']);
    expect(run.code, run.output).toBe(0);
    const out = run.output;
    expect(out).toMatch(/\$ aurora-migrate plan rehearsal\/world\/demo-plan\.yaml/);
    expect(out).toMatch(
      /\$ aurora-migrate apply rehearsal\/world\/demo-plan\.yaml --state \S+\n[\s\S]*?└ exit code 3 /,
    );
    expect(out).toMatch(/--approve gate\n[\s\S]*?└ exit code 0 /);
    expect(out).toMatch(/\$ aurora-migrate status [\s\S]*?└ exit code 0 /);
    const checks = out.split('\n').filter((l) => /^\s+[✔✘] /.test(l));
    expect(checks.length, out).toBeGreaterThanOrEqual(8);
    expect(
      checks.filter((l) => l.includes('✘')),
      out,
    ).toEqual([]);

    // --json: exactly one document on stdout; every acknowledged write is on the promoted cluster.
    const summary = JSON.parse(run.stdout);
    expect(summary).toMatchObject({
      version: 1,
      ok: true,
      route: 'replica',
      migration: 'aurora-read-replica',
      lostWrites: 0,
    });
    expect(summary.acknowledgedWrites).toBeGreaterThan(300);
    expect(summary.foundOnTarget).toBe(summary.acknowledgedWrites);
    expect(summary.writeDowntimeSeconds).toBeGreaterThan(0);
    expect(summary.applicationRoute).toEqual([summary.source.instance, summary.target.endpoint]);
    // The run report it writes at the end, kept after the cleanup, and where it says it is.
    expect(out).toContain(`report ${summary.reportFile} (kept: open it in a browser`);
    expect(readFileSync(summary.reportFile, 'utf8')).toMatch(
      /data-chart="timeline"[\s\S]*data-chart="lag"[\s\S]*write downtime/,
    );

    const { folders, host, port } = leftovers(out);
    expect(folders.length, 'the demo names its temp folders').toBeGreaterThanOrEqual(2);
    expect(
      folders.filter((f) => existsSync(f)),
      'temp folders left behind',
    ).toEqual([]);
    expect(await portOpen(port, host), `PostgreSQL still listening on ${host}:${port}`).toBe(false);
    expect(await portOpen(summary.target.port, summary.target.endpoint), 'the promoted cluster still listening').toBe(
      false,
    );
  });

  it('on Ctrl-C during apply, stops the CLI and the servers and removes its temp folders', {
    timeout: 60_000,
  }, async () => {
    const run = await runDemo((output) => /replica: (started|rds CreateDBCluster)/.test(output));
    expect(run.code === 130 || run.signal === 'SIGINT', `exit ${run.code} / ${run.signal}\n${run.output}`).toBe(true);
    expect(run.output).toMatch(/SIGINT: stopping the CLI and the servers/);
    const { folders, host, port } = leftovers(run.output);
    expect(folders.length).toBeGreaterThanOrEqual(2);
    expect(
      folders.filter((f) => existsSync(f)),
      'temp folders left behind',
    ).toEqual([]);
    expect(await portOpen(port, host), `PostgreSQL still listening on ${host}:${port}`).toBe(false);
  });
});
