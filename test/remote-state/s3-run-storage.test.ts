// RunStorage on S3 (src/remote-state/) in-process, through the tool's AwsApi (the real client-s3)
// against the stand-in over HTTP: compare-and-swap state writes, the lease with its heartbeat,
// take-over and unlock of a stale lease, the event log as numbered objects, versioning warnings.
import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startAwsStandin, type AwsStandin } from '../../rehearsal/aws/index.js';
import { createAwsApi } from '../../src/aws/sdk-api.js';
import { Locked, StateConflict } from '../../src/errors.js';
import type { StateFile } from '../../src/engine/state-file.js';
import type { Lease } from '../../src/engine/lock.js';
import { s3RunStorage, type S3RunStorage } from '../../src/remote-state/s3-run-storage.js';
import { parseS3Url } from '../../src/remote-state/s3-location.js';
import { pidNamespace } from '../../src/remote-state/holder-identity.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const Bucket = 'team-migrations';
let aws: AwsStandin;
let api: ReturnType<typeof createAwsApi>;
let n = 0;
const open: Array<{ storage: S3RunStorage; lease?: Lease }> = [];

beforeAll(async () => {
  aws = await startAwsStandin({ manualClock: true, seed: { buckets: [Bucket, 'unversioned'] } });
  aws.s3.setVersioning(Bucket, 'Enabled');
  api = createAwsApi({ env: aws.env, maxAttempts: 2 });
});
afterEach(async () => {
  for (const o of open.splice(0)) {
    await o.lease?.release();
    o.storage.close();
  }
});
afterAll(async () => {
  api.destroy();
  await aws.close();
});

/** A fresh key per test, and a storage on it (as one CLI process would have). */
function storageAt(key: string, env: Record<string, string> = {}): S3RunStorage {
  const storage = s3RunStorage({
    aws: api,
    location: parseS3Url(`s3://${Bucket}/${key}`, '--state'),
    env,
    eventFlushDelayMs: 0,
  });
  open.push({ storage });
  return storage;
}
const freshKey = () => `plans/orders-${++n}`;

function state(plan = 'orders-to-aurora', note = 'x'): StateFile {
  return {
    version: 1,
    plan,
    runId: `run-${note}`,
    createdAt: '2026-12-04T00:00:00.000Z',
    updatedAt: new Date().toISOString(),
    steps: {
      replica: {
        type: 'aurora-read-replica',
        hash: 'h1',
        status: 'running',
        attempts: 1,
        warnings: [],
        checkpoint: { note },
      },
    },
    approvals: [],
  };
}
const object = (key: string) => aws.s3.getObject(Bucket, key).body.toString('utf8');
const acquireOpts = (extra: Record<string, unknown> = {}) => ({
  planFile: 'plans/orders.yaml',
  now: Date.now,
  onCompromised: () => undefined,
  ...extra,
});

describe('S3 state: compare-and-swap writes', () => {
  it('creates the state with If-None-Match: *, then swaps it with If-Match the ETag it last wrote', async () => {
    const key = freshKey();
    const s = storageAt(key);
    expect(await s.read('orders-to-aurora')).toEqual({ exists: false });
    await s.write(state('orders-to-aurora', 'a'));
    await s.write(state('orders-to-aurora', 'b'));
    const puts = aws.calls.filter('PutObject', `${Bucket}/${key}`);
    expect(puts.map((r) => [r.params.IfNoneMatch ?? null, typeof r.params.IfMatch, r.outcome])).toEqual([
      ['*', 'undefined', 'ok'],
      [null, 'string', 'ok'],
    ]);
    expect(JSON.parse(object(key)).steps.replica.checkpoint).toEqual({ note: 'b' });
    const again = storageAt(key);
    const read = await again.read('orders-to-aurora');
    expect(read.exists && read.state.runId).toBe('run-b');
  });

  it('a write after another writer changed the state stops with StateConflict naming the lease holder, and overwrites nothing', async () => {
    const key = freshKey();
    const mine = storageAt(key);
    await mine.read('orders-to-aurora');
    await mine.write(state('orders-to-aurora', 'mine'));
    // Another machine holds the lease and wrote the state meanwhile.
    const theirs = storageAt(key, {
      GITHUB_SERVER_URL: 'https://github.com',
      GITHUB_REPOSITORY: 'acme/db',
      GITHUB_RUN_ID: '77',
    });
    await theirs.read('orders-to-aurora');
    const lease = await theirs.acquireLease(acquireOpts());
    open.push({ storage: theirs, lease });
    await theirs.write(state('orders-to-aurora', 'theirs'));

    const err = await mine.write(state('orders-to-aurora', 'mine-again')).catch((e) => e);
    expect(err).toBeInstanceOf(StateConflict);
    expect(err.message).toContain(
      `the S3 state object s3://${Bucket}/${key} was not written: it was changed by another writer since this run read it (PreconditionFailed)`,
    );
    expect(err.message).toContain(`held by pid ${process.pid} on host ${hostname()}`);
    expect(err.message).toContain('CI job https://github.com/acme/db/actions/runs/77');
    expect(err.message).toContain('Nothing was overwritten.');
    expect(JSON.parse(object(key)).runId).toBe('run-theirs');
  });

  it('the first write loses to a state created meanwhile (If-None-Match: * → 412), and a 409 in-flight write is a conflict too', async () => {
    const key = freshKey();
    const a = storageAt(key);
    const b = storageAt(key);
    await a.read();
    await b.read();
    await a.write(state('orders-to-aurora', 'a'));
    await expect(b.write(state('orders-to-aurora', 'b'))).rejects.toThrow(
      /was not written: it was changed by another writer since this run found it missing/,
    );
    expect(JSON.parse(object(key)).runId).toBe('run-a');

    const held = aws.s3.holdConditionalWrite(Bucket, key);
    try {
      await expect(a.write(state('orders-to-aurora', 'a2'))).rejects.toThrow(
        /another writer was writing it at the same moment \(409 ConditionalRequestConflict\)/,
      );
    } finally {
      held.release();
    }
    expect(JSON.parse(object(key)).runId).toBe('run-a');
  });

  it('a torn or foreign object at KEY is StateConflict and stays exactly as it was', async () => {
    for (const [body, why] of [
      ['{"version":1,"plan":"orders-to-aurora","runId":"r","ste', /is not valid JSON \(corrupt or truncated\)/],
      [
        '{"version":4,"terraform_version":"1.9.0","serial":3,"lineage":"x"}',
        /is not an aurora-migrate state file \(no plan name\)/,
      ],
      [
        JSON.stringify({ ...state(), version: 2 }),
        /has format version 2, newer than this aurora-migrate understands \(1\)\. Upgrade aurora-migrate/,
      ],
      [JSON.stringify(state('billing')), /belongs to plan "billing", not "orders-to-aurora"/],
    ] as const) {
      const key = freshKey();
      aws.s3.putObject(Bucket, key, body);
      const err = await storageAt(key)
        .read('orders-to-aurora')
        .catch((e) => e);
      expect(err).toBeInstanceOf(StateConflict);
      expect(err.message).toMatch(why);
      expect(err.message).toContain(`the S3 state object s3://${Bucket}/${key}`);
      expect(err.message).toMatch(/It was left untouched\./);
      expect(object(key)).toBe(body);
    }
  });
});

describe('S3 lease', () => {
  const seedLease = (key: string, holder: Record<string, unknown>) =>
    aws.s3.putObject(Bucket, `${key}.lock`, JSON.stringify(holder));

  it('is created with If-None-Match: *, holds host, pid, user, CI job URL, since and heartbeat; a second taker gets Locked naming it', async () => {
    const key = freshKey();
    const s = storageAt(key, {
      GITHUB_SERVER_URL: 'https://github.com',
      GITHUB_REPOSITORY: 'acme/db',
      GITHUB_RUN_ID: '9',
    });
    const lease = await s.acquireLease(acquireOpts());
    open.push({ storage: s, lease });
    const body = JSON.parse(object(`${key}.lock`));
    expect(body).toMatchObject({
      host: hostname(),
      pid: process.pid,
      ciJobUrl: 'https://github.com/acme/db/actions/runs/9',
      token: expect.any(String),
    });
    expect(Date.parse(body.since)).toBeGreaterThan(0);
    expect(Date.parse(body.heartbeat)).toBeGreaterThan(0);
    expect(aws.calls.filter('PutObject', `${Bucket}/${key}.lock`)[0].params.IfNoneMatch).toBe('*');

    const err = await storageAt(key)
      .acquireLease(acquireOpts({ takeOver: true }))
      .catch((e) => e);
    expect(err).toBeInstanceOf(Locked);
    expect(err.message).toContain(
      `another run holds the lease on s3://${Bucket}/${key} (s3://${Bucket}/${key}.lock): pid ${process.pid} on host ${hostname()}`,
    );
    expect(err.message).toContain('--take-over only takes a lease whose heartbeat stopped 30s ago; this one is live.');
    const info = await storageAt(key).inspectLease();
    expect(info?.holder?.token).toBe(body.token);
  });

  it('the heartbeat renews the lease with If-Match; release deletes it (If-Match) after flushing the event log', async () => {
    const key = freshKey();
    const s = storageAt(key);
    const lease = await s.acquireLease(acquireOpts({ heartbeatMs: 20 }));
    await expect
      .poll(() => aws.calls.filter('PutObject', `${Bucket}/${key}.lock`).length, { timeout: 5000 })
      .toBeGreaterThanOrEqual(3);
    const renewals = aws.calls.filter('PutObject', `${Bucket}/${key}.lock`).slice(1);
    expect(renewals.every((r) => typeof r.params.IfMatch === 'string' && r.outcome === 'ok')).toBe(true);
    s.appendEvent(JSON.stringify({ ts: new Date().toISOString(), type: 'run-end' }));
    await lease.release();
    expect(aws.s3.currentEtag(Bucket, `${key}.lock`)).toBeUndefined();
    expect((await s.readEvents()).map((e) => e.type)).toEqual(['run-end']);
    expect(aws.calls.filter('DeleteObject', `${Bucket}/${key}.lock`)[0].params.IfMatch).toEqual(expect.any(String));
  });

  it('a heartbeat that finds the lease taken aborts the run (onCompromised with Locked naming the new holder)', async () => {
    const key = freshKey();
    const s = storageAt(key);
    let lost: Error | undefined;
    const lease = await s.acquireLease(acquireOpts({ heartbeatMs: 20, onCompromised: (e: Error) => (lost = e) }));
    open.push({ storage: s, lease });
    seedLease(key, {
      host: 'ci-runner-7',
      pid: 4242,
      user: 'runner',
      since: new Date().toISOString(),
      heartbeat: new Date().toISOString(),
      token: 'other',
    });
    await expect.poll(() => lost, { timeout: 5000 }).toBeInstanceOf(Locked);
    expect(lost!.message).toContain(
      `lost the lease s3://${Bucket}/${key}.lock while running (it is now held by pid 4242 on host ci-runner-7`,
    );
    await lease.release();
    expect(JSON.parse(object(`${key}.lock`)).token).toBe('other'); // not deleted: it is not ours
  });

  it('a stale lease of another machine: refused without --take-over, taken with it (If-Match) and recorded naming the old holder', async () => {
    const key = freshKey();
    const old = {
      host: 'ci-runner-7',
      pid: 4242,
      user: 'runner',
      since: '2026-12-04T01:00:00.000Z',
      heartbeat: new Date(Date.now() - 5 * 60_000).toISOString(),
      token: 'old',
      ciJobUrl: 'https://ci.example/job/1',
    };
    seedLease(key, old);
    const s = storageAt(key);
    const refused = await s.acquireLease(acquireOpts()).catch((e) => e);
    expect(refused).toBeInstanceOf(Locked);
    expect(refused.message).toContain(
      'pid 4242 on host ci-runner-7 (user runner, since 2026-12-04T01:00:00.000Z, heartbeat 5m ago; CI job https://ci.example/job/1)',
    );
    expect(refused.message).toContain(
      'aurora-migrate apply plans/orders.yaml --take-over (or break it with: aurora-migrate unlock plans/orders.yaml)',
    );

    const lease = await s.acquireLease(acquireOpts({ takeOver: true }));
    open.push({ storage: s, lease });
    expect(JSON.parse(object(`${key}.lock`)).token).toBe(lease.holder.token);
    const takeOver = aws.calls.filter('PutObject', `${Bucket}/${key}.lock`).at(-1)!;
    expect(takeOver.params.IfMatch).toEqual(expect.any(String));
    await s.flushEvents!();
    const [event] = await s.readEvents();
    expect(event).toMatchObject({
      type: 'lock-takeover',
      previousHolder: old,
      by: { host: hostname(), pid: process.pid },
    });
    expect(event.detail).toBe(
      `apply --take-over took the stale lease s3://${Bucket}/${key}.lock from pid 4242 on host ci-runner-7 (user runner, since 2026-12-04T01:00:00.000Z, heartbeat 5m ago; CI job https://ci.example/job/1)`,
    );
  });

  it('a lease whose process on this machine is gone is taken over at once and recorded (as with the local lock)', async () => {
    const key = freshKey();
    const dead = spawnSync(process.execPath, ['-e', '0']).pid;
    seedLease(key, {
      host: hostname(),
      pid: dead,
      pidNamespace: pidNamespace(),
      user: 'me',
      since: new Date().toISOString(),
      heartbeat: new Date().toISOString(),
      token: 'crashed',
    });
    const s = storageAt(key);
    const lease = await s.acquireLease(acquireOpts());
    open.push({ storage: s, lease });
    await s.flushEvents!();
    const [event] = await s.readEvents();
    expect(event).toMatchObject({ type: 'lock-recovered', previousHolder: { pid: dead, token: 'crashed' } });
    expect(event.detail).toMatch(/that process is gone$/);
  });

  it('unlock breaks a stale lease and refuses a live one', async () => {
    const key = freshKey();
    seedLease(key, {
      host: 'laptop',
      pid: 1,
      user: 'alice',
      since: '2026-12-04T01:00:00.000Z',
      heartbeat: new Date(Date.now() - 60_000).toISOString(),
      token: 't',
    });
    const broken = await storageAt(key).breakLease('plans/orders.yaml');
    expect(broken?.holder).toMatchObject({ host: 'laptop', user: 'alice' });
    expect(aws.s3.currentEtag(Bucket, `${key}.lock`)).toBeUndefined();
    expect(await storageAt(key).breakLease('plans/orders.yaml')).toBeUndefined();

    seedLease(key, {
      host: 'laptop',
      pid: 1,
      user: 'alice',
      since: '2026-12-04T01:00:00.000Z',
      heartbeat: new Date().toISOString(),
      token: 't2',
    });
    await expect(storageAt(key).breakLease('plans/orders.yaml')).rejects.toThrow(
      /is live: pid 1 on host laptop .*Stop that run/,
    );
    expect(JSON.parse(object(`${key}.lock`)).token).toBe('t2');
  });
});

describe('S3 event log', () => {
  it('each flush is a new object KEY.events/<n>.jsonl (If-None-Match: *); read back in order; a taken number is skipped', async () => {
    const key = freshKey();
    const s = storageAt(key);
    const line = (i: number) => JSON.stringify({ ts: new Date().toISOString(), type: 'status', i });
    s.appendEvent(line(1));
    s.appendEvent(line(2));
    await s.flushEvents!();
    // Someone else (e.g. `unlock`) appended meanwhile: this writer's next number is taken.
    aws.s3.putObject(
      Bucket,
      `${key}.events/000000000002.jsonl`,
      JSON.stringify({ ts: new Date().toISOString(), type: 'unlock' }) + '\n',
    );
    s.appendEvent(line(3));
    await s.write(state()); // a state write flushes the events first
    expect(aws.s3.listKeys(Bucket).filter((k) => k.startsWith(`${key}.events/`))).toEqual([
      `${key}.events/000000000001.jsonl`,
      `${key}.events/000000000002.jsonl`,
      `${key}.events/000000000003.jsonl`,
    ]);
    const puts = aws.calls
      .filter('PutObject')
      .filter((r) => String(r.resourceId).startsWith(`${Bucket}/${key}.events/`));
    expect(puts.every((r) => r.params.IfNoneMatch === '*')).toBe(true);
    expect(puts.map((r) => r.outcome)).toEqual(['ok', 'PreconditionFailed', 'ok']);
    expect((await storageAt(key).readEvents()).map((e) => (e.type === 'status' ? e.i : e.type))).toEqual([
      1,
      2,
      'unlock',
      3,
    ]);
  });
});

describe('S3 bucket versioning', () => {
  it('warns when the bucket has versioning off or suspended, not when it is enabled', async () => {
    expect(await storageAt('x').versioningWarning()).toBeUndefined();
    const off = s3RunStorage({ aws: api, location: parseS3Url('s3://unversioned/orders', '--state'), env: {} });
    expect(await off.versioningWarning()).toBe(
      'the state bucket unversioned has versioning off: a state overwritten or deleted by mistake cannot be restored. Turn it on: aws s3api put-bucket-versioning --bucket unversioned --versioning-configuration Status=Enabled',
    );
    aws.s3.setVersioning('unversioned', 'Suspended');
    expect(await off.versioningWarning()).toMatch(/^the state bucket unversioned has versioning suspended:/);
    off.close();
  });
});

describe('s3:// locations', () => {
  it('parses s3://BUCKET/KEY and explains a wrong one', () => {
    expect(parseS3Url('s3://team-migrations/orders/prod', '--state')).toEqual({
      bucket: 'team-migrations',
      key: 'orders/prod',
    });
    expect(() => parseS3Url('s3://team-migrations', '--state')).toThrow(
      '--state "s3://team-migrations" is not an S3 location: write it as s3://BUCKET/KEY',
    );
    expect(() => parseS3Url('s3://Team_Migrations/x', 'state.s3')).toThrow(
      /"Team_Migrations" is not a valid S3 bucket name/,
    );
    expect(() => parseS3Url('s3://team-migrations/orders/', '--state')).toThrow(/the key must name an object/);
  });
});
