// Remote state through the real CLI (bin/aurora-migrate.js over dist/, spawned by the rehearsal's CLI
// runner) against the time-scaled AWS stand-in: the plan says `state: { s3: s3://… }`, so the state,
// the lease and the event log live in the stand-in's S3, written with real conditional headers by
// the real client-s3. "Machines" are separate processes with their own HOME and working folder that
// share nothing but the plan file's text and the S3 bucket.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../../rehearsal/world/ensure-built.js';
import { runCli, type CliRunResult } from '../../rehearsal/world/cli-runner.js';
import { startAwsStandin, type AwsStandin } from '../../rehearsal/aws/index.js';
import { parseEventLog } from '../../src/engine/event-log.js';

const SCALE = 600;
const BUCKET = 'team-migrations';
const KEY = 'orders-to-aurora';
const PLAN = `version: 1
name: orders-to-aurora
region: us-east-1
state: { s3: s3://${BUCKET}/${KEY} }
steps:
  - id: replica
    type: aurora-read-replica
    source: orders-pg
    cluster: orders-aurora
    instance: { class: db.r6g.large }
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

let scale = SCALE;
async function standin(timeScale = SCALE) {
  scale = timeScale;
  aws = await startAwsStandin({
    timeScale,
    seed: { instances: [{ id: 'orders-pg', engineVersion: '16.4' }], buckets: [BUCKET, 'unversioned-state'] },
  });
  aws.s3.setVersioning(BUCKET, 'Enabled');
  return aws;
}

/** A machine: its own working folder (with the committed plan) and HOME, and only the env a user would export. */
function machine(name: string, extraEnv: Record<string, string> = {}) {
  const root = mkdtempSync(join(tmpdir(), `am-team-${name}-`));
  dirs.push(root);
  const cwd = join(root, 'repo');
  const home = join(root, 'home');
  mkdirSync(cwd, { recursive: true });
  mkdirSync(home, { recursive: true });
  writeFileSync(join(cwd, 'plan.yaml'), PLAN);
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    NO_COLOR: '1',
    ...aws!.env,
    AWS_CONFIG_FILE: join(home, 'no-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(home, 'no-aws-credentials'),
    AURORA_MIGRATE_TIME_SCALE: String(scale),
    ...extraEnv,
  };
  const run = (args: string[], opts: { onSpawn?(c: ChildProcess): void } = {}): Promise<CliRunResult> =>
    runCli(args, {
      env,
      cwd,
      onSpawn: (c) => {
        children.push(c);
        opts.onSpawn?.(c);
      },
    });
  return { cwd, home, env, run };
}

const s3Events = () => {
  const keys = aws!.s3.listKeys(BUCKET).filter((k) => k.startsWith(`${KEY}.events/`));
  return parseEventLog(keys.map((k) => aws!.s3.getObject(BUCKET, k).body.toString('utf8')).join(''));
};
const stateObject = () => JSON.parse(aws!.s3.getObject(BUCKET, KEY).body.toString('utf8'));
const seedLease = (holder: Record<string, unknown>) => aws!.s3.putObject(BUCKET, `${KEY}.lock`, JSON.stringify(holder));
const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000).toISOString();

describe('S3 state through the CLI', () => {
  it('two CLI processes racing on the same S3 state: exactly one proceeds, the other exits 4 naming the holder', async () => {
    await standin();
    const a = machine('a');
    const b = machine('b');
    const pids = new Map<string, number>();
    const [ra, rb] = await Promise.all([
      a.run(['apply', 'plan.yaml'], { onSpawn: (c) => pids.set('a', c.pid!) }),
      b.run(['apply', 'plan.yaml'], { onSpawn: (c) => pids.set('b', c.pid!) }),
    ]);
    expect([ra.code, rb.code].sort()).toEqual([3, 4]);
    const [winner, loser] = ra.code === 3 ? ['a', rb] : ['b', ra];
    expect(loser.stderr).toContain(
      `error: another run holds the lease on s3://${BUCKET}/${KEY} (s3://${BUCKET}/${KEY}.lock): pid ${pids.get(winner)} on host ${hostname()}`,
    );
    expect(loser.stderr).toContain('Wait for it to finish, or stop it');
    expect(aws!.calls.count('CreateDBCluster')).toBe(1);
    // The loser never wrote the state: every state write was the winner's, and each one held.
    const stateWrites = aws!.calls.filter('PutObject', `${BUCKET}/${KEY}`);
    expect(stateWrites.length).toBeGreaterThan(1);
    expect(stateWrites.every((r) => r.outcome === 'ok')).toBe(true);
    expect(stateWrites[0].params.IfNoneMatch).toBe('*');
    expect(stateWrites.slice(1).every((r) => typeof r.params.IfMatch === 'string')).toBe(true);
    expect(stateObject().steps).toMatchObject({
      replica: { status: 'succeeded' },
      cutover: { status: 'awaiting-approval' },
    });
    expect(aws!.s3.currentEtag(BUCKET, `${KEY}.lock`)).toBeUndefined(); // released
  }, 60_000);

  it('a run SIGKILLed on machine A resumes on machine B (other HOME, other folder, same S3 state) with nothing done twice', async () => {
    await standin();
    const a = machine('a');
    const b = machine('b');
    let pidA = 0;
    const killed = await a.run(['apply', 'plan.yaml'], {
      onSpawn: (c) => {
        pidA = c.pid!;
        const t = setInterval(() => {
          if (aws!.calls.count('CreateDBCluster') > 0) {
            clearInterval(t);
            c.kill('SIGKILL');
          }
        }, 5);
        c.once('close', () => clearInterval(t));
      },
    });
    expect(killed.signal).toBe('SIGKILL');
    expect(aws!.s3.currentEtag(BUCKET, `${KEY}.lock`)).toBeDefined(); // A's lease stays behind

    const resumed = await b.run(['apply', 'plan.yaml']);
    expect(resumed.code, resumed.stderr).toBe(3);
    const done = await b.run(['apply', 'plan.yaml', '--approve', 'cutover']);
    expect(done.code, done.stderr).toBe(0);

    expect(aws!.calls.count('CreateDBCluster')).toBe(1);
    expect(aws!.calls.succeeded('CreateDBInstance')).toBe(1);
    // Nothing local on either machine: the state, lease and log are in S3 only.
    for (const m of [a, b]) {
      expect(existsSync(join(m.cwd, '.aurora-migrate'))).toBe(false);
      expect(existsSync(join(m.home, '.aurora-migrate'))).toBe(false);
    }
    const events = s3Events();
    const starts = events.filter((e) => e.type === 'run-start');
    expect(starts.length).toBeGreaterThanOrEqual(2);
    expect(new Set(starts.map((e) => e.runId)).size).toBe(1); // one run, resumed
    const recovered = events.find((e) => e.type === 'lock-recovered');
    expect(recovered).toMatchObject({ previousHolder: { pid: pidA, host: hostname() } });
    expect(recovered!.detail).toMatch(/that process is gone$/);
    expect(events.filter((e) => e.type === 'approval')).toHaveLength(1);
    expect(events.at(-1)).toMatchObject({ type: 'run-end', outcome: 'succeeded' });

    // Machine A sees the finished run through status, and plan shows the statuses from S3.
    const status = await a.run(['status', 'plan.yaml', '--format', 'json']);
    expect(status.code).toBe(0);
    const report = JSON.parse(status.stdout);
    expect(report).toMatchObject({ stateFile: `s3://${BUCKET}/${KEY}`, exists: true });
    expect(report.steps.map((s: { id: string; status: string }) => `${s.id}=${s.status}`)).toEqual([
      'replica=succeeded',
      'cutover=succeeded',
    ]);
    expect(report.lock).toBeUndefined();
    const plan = await a.run(['plan', 'plan.yaml', '--format', 'json']);
    expect(plan.code, plan.stderr).toBe(0);
    expect(JSON.parse(plan.stdout).steps.map((s: { status?: string }) => s.status)).toEqual(['succeeded', 'succeeded']);
    // --state on the command line wins over the plan's state block.
    const local = await a.run(['status', 'plan.yaml', '--state', 'here.json', '--format', 'json']);
    expect(JSON.parse(local.stdout)).toMatchObject({ stateFile: join(a.cwd, 'here.json'), exists: false });
  }, 90_000);

  it('a stale lease of a lost CI runner: refused without --take-over, taken over with it and recorded naming the old holder; unlock breaks one', async () => {
    await standin();
    const old = {
      host: 'ci-runner-7',
      pid: 4242,
      user: 'runner',
      since: minutesAgo(40),
      heartbeat: minutesAgo(10),
      token: 'old',
      ciJobUrl: 'https://github.com/acme/migrations/actions/runs/41',
    };
    seedLease(old);
    const b = machine('b', {
      GITHUB_SERVER_URL: 'https://github.com',
      GITHUB_REPOSITORY: 'acme/migrations',
      GITHUB_RUN_ID: '42',
    });

    const refused = await b.run(['apply', 'plan.yaml']);
    expect(refused.code).toBe(4);
    // The heartbeat's age is read on the wall clock when the CLI runs: 10m, or a few seconds more on a slow start.
    expect(refused.stderr).toMatch(
      new RegExp(
        `pid 4242 on host ci-runner-7 \\(user runner, since ${old.since.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}, heartbeat 10m(\\d{1,2}s)? ago; CI job https://github\\.com/acme/migrations/actions/runs/41\\)`,
      ),
    );
    expect(refused.stderr).toContain(
      'take the lease over with: aurora-migrate apply plan.yaml --take-over (or break it with: aurora-migrate unlock plan.yaml)',
    );
    expect(aws!.calls.count('CreateDBCluster')).toBe(0);

    const taken = await b.run(['apply', 'plan.yaml', '--take-over']);
    expect(taken.code, taken.stderr).toBe(3);
    const takeover = s3Events().find((e) => e.type === 'lock-takeover');
    expect(takeover).toMatchObject({
      previousHolder: old,
      by: { host: hostname(), ciJobUrl: 'https://github.com/acme/migrations/actions/runs/42' },
    });
    expect(takeover!.detail).toContain(
      `apply --take-over took the stale lease s3://${BUCKET}/${KEY}.lock from pid 4242 on host ci-runner-7`,
    );
    const takeOverPut = aws!.calls.filter('PutObject', `${BUCKET}/${KEY}.lock`).find((r) => r.outcome === 'ok');
    expect(takeOverPut!.params.IfMatch).toEqual(expect.any(String)); // a compare-and-swap on the stale lease

    // A live lease (fresh heartbeat) is never taken, --take-over or not.
    const live = { ...old, heartbeat: new Date().toISOString(), token: 'live' };
    seedLease(live);
    const refusedLive = await b.run(['apply', 'plan.yaml', '--take-over']);
    expect(refusedLive.code).toBe(4);
    expect(refusedLive.stderr).toContain(
      '--take-over only takes a lease whose heartbeat stopped 30s ago; this one is live.',
    );
    expect(JSON.parse(aws!.s3.getObject(BUCKET, `${KEY}.lock`).body.toString('utf8')).token).toBe('live');
    const unlockLive = await b.run(['unlock', 'plan.yaml']);
    expect(unlockLive.code).toBe(4);

    seedLease({ ...old, token: 'stale-again' });
    const unlocked = await b.run(['unlock', 'plan.yaml']);
    expect(unlocked.code, unlocked.stderr).toBe(0);
    expect(unlocked.stdout).toContain(`broke the lock on s3://${BUCKET}/${KEY} held by pid 4242 on host ci-runner-7`);
    expect(unlocked.stdout).toContain('CI job https://github.com/acme/migrations/actions/runs/41)');
    expect(aws!.s3.currentEtag(BUCKET, `${KEY}.lock`)).toBeUndefined();
    expect(s3Events().filter((e) => e.type === 'unlock')).toEqual([
      expect.objectContaining({ previousHolder: expect.objectContaining({ token: 'stale-again' }) }),
    ]);
  }, 60_000);

  it('SIGKILLed at random instants and resumed each time: the S3 state always parses and every AWS resource is created once', async () => {
    await standin(200); // slower AWS: the replica takes about 5 s, so most kills land inside the run
    const m = machine('a');
    let seed = 20261204;
    const random = () => {
      seed = (seed * 48271) % 2147483647;
      return seed / 2147483647;
    };
    let kills = 0;
    for (let i = 0; i < 12 && kills < 6; i++) {
      const delay = 300 + Math.floor(random() * 600);
      const r = await m.run(['apply', 'plan.yaml'], {
        onSpawn: (c) => {
          const t = setTimeout(() => c.kill('SIGKILL'), delay);
          c.once('close', () => clearTimeout(t));
        },
      });
      if (r.signal === 'SIGKILL') kills++;
      else expect(r.code, r.stderr).toBe(3);
      if (aws!.s3.currentEtag(BUCKET, KEY)) expect(stateObject().plan).toBe('orders-to-aurora'); // never torn
      s3Events(); // every event object parses as whole lines
      if (r.code === 3) break;
    }
    expect(kills).toBeGreaterThanOrEqual(2); // usually 6; fewer when the machine is slow to start each process
    const last = await m.run(['apply', 'plan.yaml']);
    expect(last.code, last.stderr).toBe(3);
    expect(aws!.calls.count('CreateDBCluster')).toBe(1);
    expect(aws!.calls.succeeded('CreateDBInstance')).toBe(1);
    expect(stateObject().steps.replica.status).toBe('succeeded');
  }, 120_000);

  it('Ctrl-C (SIGTERM) with S3 state: exit 130, the step stays running in S3, the events up to the stop are written, the lease is released', async () => {
    await standin();
    const m = machine('a');
    const r = await m.run(['apply', 'plan.yaml'], {
      onSpawn: (c) => {
        const t = setInterval(() => {
          if (aws!.calls.count('CreateDBCluster') > 0) {
            clearInterval(t);
            c.kill('SIGTERM');
          }
        }, 5);
        c.once('close', () => clearInterval(t));
      },
    });
    expect(r.code, r.stderr).toBe(130);
    expect(stateObject().steps.replica.status).toBe('running');
    const types = s3Events().map((e) => e.type);
    expect(types).toContain('interrupted');
    expect(types.at(-1)).toBe('run-end');
    expect(aws!.s3.currentEtag(BUCKET, `${KEY}.lock`)).toBeUndefined();
    const resumed = await m.run(['apply', 'plan.yaml']);
    expect(resumed.code, resumed.stderr).toBe(3);
    expect(aws!.calls.count('CreateDBCluster')).toBe(1);
  }, 60_000);

  it('a torn or foreign object at KEY: exit 4 naming it, left byte for byte as it was, nothing run, no lease left', async () => {
    await standin();
    const m = machine('a');
    for (const body of [
      '{"version":1,"plan":"orders-to-aurora","runId":"r1","steps":{"repl',
      '{"version":4,"terraform_version":"1.9.0","serial":3,"lineage":"x"}',
    ]) {
      aws!.s3.putObject(BUCKET, KEY, body);
      const r = await m.run(['apply', 'plan.yaml']);
      expect(r.code).toBe(4);
      expect(r.stderr).toMatch(
        new RegExp(
          `^error: the S3 state object s3://${BUCKET}/${KEY} (is not valid JSON \\(corrupt or truncated\\)|is not an aurora-migrate state file \\(no plan name\\))`,
          'm',
        ),
      );
      expect(r.stderr).toContain('It was left untouched.');
      expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
      expect(aws!.s3.getObject(BUCKET, KEY).body.toString('utf8')).toBe(body);
      expect(aws!.s3.currentEtag(BUCKET, `${KEY}.lock`)).toBeUndefined();
      const status = await m.run(['status', 'plan.yaml']);
      expect(status.code).toBe(4);
    }
    expect(aws!.calls.count('CreateDBCluster')).toBe(0);
    expect(aws!.calls.filter('PutObject', `${BUCKET}/${KEY}`)).toHaveLength(0);
  }, 60_000);

  it('a state bucket without versioning gets one warning per run; a versioned one none', async () => {
    await standin();
    const m = machine('a');
    const r = await m.run(['apply', 'plan.yaml', '--state', 's3://unversioned-state/orders']);
    expect(r.code, r.stderr).toBe(3);
    const warnings = r.stderr.split('\n').filter((l) => l.includes('versioning'));
    expect(warnings).toEqual([
      'warning: the state bucket unversioned-state has versioning off: a state overwritten or deleted by mistake cannot be restored. Turn it on: aws s3api put-bucket-versioning --bucket unversioned-state --versioning-configuration Status=Enabled',
    ]);
    expect(aws!.s3.currentEtag('unversioned-state', 'orders')).toBeDefined();
    const versioned = await m.run(['apply', 'plan.yaml']);
    expect(versioned.stderr).not.toContain('versioning');
  }, 60_000);
});
