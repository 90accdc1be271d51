// apply --max-runtime through the real CLI (bin/aurora-migrate.js over dist/) against the time-scaled
// AWS stand-in, as a scheduled CI job runs it: each run stops at a safe point after the limit with
// exit 75 and the command that goes on; the next run (another process, and with S3 state another
// "runner" with its own HOME, folder and CI identity) picks up where it stopped, and nothing is
// created twice. The limit is in stand-in time: 5m at time scale 600 is half a real second.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../../rehearsal/world/ensure-built.js';
import { runCli, type CliRunResult } from '../../rehearsal/world/cli-runner.js';
import { startAwsStandin, type AwsStandin } from '../../rehearsal/aws/index.js';
import { standinCliEnv } from '../../rehearsal/world/cli-env.js';
import { parseEventLog, type EventRecord } from '../../src/engine/event-log.js';

const SCALE = 600;
const BUCKET = 'team-migrations';
const KEY = 'orders-to-aurora';
const plan = (state = '') => `version: 1
name: orders-to-aurora
region: us-east-1
${state}steps:
  - id: replica
    type: aurora-read-replica
    source: orders-pg
    cluster: orders-aurora
    instance: { class: db.r6g.large }
  - id: catch-up
    type: lag-watch
    replica: \${steps.replica.outputs.instanceId}
    source: orders-pg
    stableFor: 5m
    pollEvery: 30s
  - id: cutover
    type: approval
    message: Stop application writes, then approve.
`;

let aws: AwsStandin | undefined;
const dirs: string[] = [];
const children: ChildProcess[] = [];
beforeAll(() => ensureBuilt(), 180_000);
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await aws?.close();
  aws = undefined;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function standin() {
  aws = await startAwsStandin({
    timeScale: SCALE,
    seed: { instances: [{ id: 'orders-pg', engineVersion: '16.4' }], buckets: [BUCKET] },
  });
  aws.s3.setVersioning(BUCKET, 'Enabled');
  return aws;
}

/** A runner: its own folder (with the committed plan) and HOME, and the env a CI job would export. */
function runner(name: string, planText: string, extraEnv: Record<string, string> = {}) {
  const root = mkdtempSync(join(tmpdir(), `am-maxrt-${name}-`));
  dirs.push(root);
  const cwd = join(root, 'repo');
  const home = join(root, 'home');
  mkdirSync(cwd, { recursive: true });
  mkdirSync(home, { recursive: true });
  writeFileSync(join(cwd, 'orders.yaml'), planText);
  const env = { ...standinCliEnv(aws!.env, home, SCALE), ...extraEnv };
  const run = (args: string[]): Promise<CliRunResult> => runCli(args, { env, cwd, onSpawn: (c) => children.push(c) });
  return { cwd, run };
}

const TAIL =
  /still in progress: --max-runtime 5m reached (while step "([a-z-]+)" was waiting|before step "([a-z-]+)")\. The state is saved at a safe point and the lock released/;

describe('apply --max-runtime through the CLI', () => {
  it('local state: each run exits 75 at a safe point with the command that goes on; the runs add up to one run of the plan, nothing created twice', async () => {
    await standin();
    aws!.faults.lagNeverConverges(120); // the replica lags until the test lets it catch up
    const m = runner('local', plan());
    const stops: string[] = [];
    let last: CliRunResult | undefined;
    for (let i = 0; i < 25; i++) {
      last = await m.run(['apply', 'orders.yaml', '--max-runtime', '5m']);
      if (last.code !== 75) break;
      const tail = TAIL.exec(last.stderr);
      expect(tail, last.stderr).not.toBeNull();
      stops.push(tail![2] ?? `before ${tail![3]}`);
      expect(last.stderr).toContain('To go on, run: aurora-migrate apply orders.yaml --max-runtime 5m\n');
      expect(existsSync(join(m.cwd, '.aurora-migrate', 'orders-to-aurora.state.json.lock'))).toBe(false); // released
      if (stops.filter((s) => s === 'catch-up').length === 2) aws!.faults.clear(); // the lag may fall now
    }
    expect(last!.code, last!.stderr).toBe(3); // then the plan reaches its approval gate
    expect(stops).toContain('catch-up'); // stopped while waiting on replication
    expect(aws!.calls.count('CreateDBCluster')).toBe(1);
    expect(aws!.calls.succeeded('CreateDBInstance')).toBe(1);

    const events = parseEventLog(
      readFileSync(join(m.cwd, '.aurora-migrate', 'orders-to-aurora.state.json.events.jsonl'), 'utf8'),
    );
    const runStarts = events.filter((e) => e.type === 'run-start');
    expect(runStarts).toHaveLength(stops.length + 1);
    expect(new Set(runStarts.map((e) => e.runId)).size).toBe(1); // one run of the plan, resumed each time
    expect(events.filter((e) => e.type === 'max-runtime')).toHaveLength(stops.length);
    expect(events.filter((e) => e.type === 'run-end').map((e) => e.outcome)).toEqual([
      ...stops.map(() => 'max-runtime'),
      'awaiting-approval',
    ]);
  }, 120_000);

  it('--format json says outcome max-runtime, exit code 75 and the command that goes on; a bad duration is a usage error', async () => {
    await standin();
    aws!.faults.lagNeverConverges(120);
    const m = runner('json', plan());
    const r = await m.run(['apply', 'orders.yaml', '--max-runtime', '5m', '--format', 'json']);
    expect(r.code, r.stderr).toBe(75);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({
      version: 1,
      outcome: 'max-runtime',
      exitCode: 75,
      maxRuntime: { limit: '5m' },
      continueWith: 'aurora-migrate apply orders.yaml --format json --max-runtime 5m',
    });
    expect(doc.maxRuntime.stoppedAt).toMatch(/^(while step "[a-z-]+" was waiting|before step "[a-z-]+")$/);
    expect(doc.steps.some((s: { status: string }) => s.status === 'running' || s.status === 'pending')).toBe(true);

    const bad = await m.run(['apply', 'orders.yaml', '--max-runtime', 'soon']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe(
      'error: --max-runtime "soon" is not a duration: write it like 90s, 45m, 5h or 2d (more than zero).\n',
    );
  }, 60_000);

  it('S3 state: runner A stops at the limit and releases the lease; runner B (other HOME, folder, CI job) goes on from there without --take-over', async () => {
    await standin();
    const state = `state: { s3: s3://${BUCKET}/${KEY} }\n`;
    const a = runner('a', plan(state), {
      GITHUB_SERVER_URL: 'https://github.com',
      GITHUB_REPOSITORY: 'acme/migrations',
      GITHUB_RUN_ID: '101',
    });
    const b = runner('b', plan(state), {
      GITHUB_SERVER_URL: 'https://github.com',
      GITHUB_REPOSITORY: 'acme/migrations',
      GITHUB_RUN_ID: '102',
    });
    aws!.faults.lagNeverConverges(120);
    const first = await a.run(['apply', 'orders.yaml', '--max-runtime', '5m']);
    expect(first.code, first.stderr).toBe(75);
    expect(first.stderr).toMatch(TAIL);
    expect(aws!.s3.currentEtag(BUCKET, `${KEY}.lock`)).toBeUndefined(); // the lease is released
    const saved = JSON.parse(aws!.s3.getObject(BUCKET, KEY).body.toString('utf8'));
    expect(Object.values(saved.steps).some((s) => (s as { status: string }).status === 'running')).toBe(true);

    // The lease on S3 while B runs names B's CI job, not A's.
    const holders = new Set<string>();
    const watch = setInterval(() => {
      if (aws!.s3.currentEtag(BUCKET, `${KEY}.lock`))
        holders.add(JSON.parse(aws!.s3.getObject(BUCKET, `${KEY}.lock`).body.toString('utf8')).ciJobUrl);
    }, 20);
    let last: CliRunResult | undefined;
    let runsOnB = 0;
    try {
      for (let i = 0; i < 25; i++) {
        last = await b.run(['apply', 'orders.yaml', '--max-runtime', '5m']);
        runsOnB++;
        if (last.code !== 75) break;
        if (runsOnB === 2) aws!.faults.clear();
      }
    } finally {
      clearInterval(watch);
    }
    expect(last!.code, last!.stderr).toBe(3);
    expect(runsOnB).toBeGreaterThanOrEqual(2);
    expect([...holders]).toEqual(['https://github.com/acme/migrations/actions/runs/102']);
    expect(aws!.calls.count('CreateDBCluster')).toBe(1);
    expect(aws!.calls.succeeded('CreateDBInstance')).toBe(1);

    const keys = aws!.s3.listKeys(BUCKET).filter((k) => k.startsWith(`${KEY}.events/`));
    const events: EventRecord[] = parseEventLog(
      keys.map((k) => aws!.s3.getObject(BUCKET, k).body.toString('utf8')).join(''),
    );
    expect(new Set(events.filter((e) => e.type === 'run-start').map((e) => e.runId)).size).toBe(1);
    expect(events.some((e) => e.type === 'lock-takeover' || e.type === 'lock-recovered')).toBe(false); // nothing to take over
    expect(events.filter((e) => e.type === 'max-runtime').length).toBe(runsOnB); // A's stop + B's stops before the gate
  }, 120_000);
});
