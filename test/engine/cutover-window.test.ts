// The cutover window through the engine (applyPlan in-process, the production step registry) on the
// real-replication stand-in: the RDS source is a real PostgreSQL server, the Aurora replica a real
// streaming standby, promotion pg_promote(). A writer commits numbered rows on the source the whole
// time. Proven here: the caught-up marker before the promotion and zero lost acknowledged writes; a
// marker that never appears (replay paused) rolls back at the deadline with nothing promoted; a
// failure before the point of no return rolls back; an interrupt rolls back (exit 130 outcome);
// a failure after it goes forward only and says so.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAwsStandin, type AwsStandin } from '../../rehearsal/aws/index.js';
import type { PgServer } from '../../rehearsal/postgres/cluster.js';
import { startWriter } from '../../rehearsal/app/writer.js';
import { createAwsApi } from '../../src/aws/sdk-api.js';
import { createPgConnector } from '../../src/db/pg-connector.js';
import { applyPlan } from '../../src/engine/engine.js';
import { localRunStorage } from '../../src/engine/run-storage.js';
import { readState } from '../../src/engine/state-file.js';
import { Interrupted } from '../../src/errors.js';
import { checkPlanText } from '../../src/plan/load.js';
import { steps } from '../../src/steps/index.js';
import { buildStatusReport } from '../../src/cli/commands/status.js';
import { renderStatusText } from '../../src/render/status.js';
import {
  liftFenceAsAdmin,
  prepareRdsDatabase,
  publicCanConnect,
  type RdsDatabase,
} from '../../rehearsal/postgres/rds-roles.js';
import type { WriterMode } from '../../rehearsal/app/writer.js';

const SOURCE = 'orders-pg';
const ZONE = 'Z0123456789ABCDEFGHIJ';
const APP_NAME = 'orders-db.internal.example.com';
let aws: AwsStandin;
let api: ReturnType<typeof createAwsApi>;
let source: PgServer;
let dir: string;
let roles: RdsDatabase;
/** The tool's password, as the plans read it (${env.PGPASSWORD}). */
let ENV: Record<string, string>;
const db = createPgConnector();

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'am-cutover-'));
  aws = await startAwsStandin({
    manualClock: true,
    real: { sampleEveryMs: 0 },
    seed: {
      instances: [{ id: SOURCE, real: true }],
      hostedZones: [{ id: ZONE, name: 'internal.example.com' }],
      records: [{ zoneId: ZONE, name: APP_NAME, type: 'CNAME', ttl: 5, values: ['orders-pg.standin.invalid'] }],
    },
  });
  api = createAwsApi({ env: aws.env, maxAttempts: 3 });
  source = aws.real!.server(SOURCE)!;
  roles = await prepareRdsDatabase(source, 'orders');
  ENV = { PGPASSWORD: roles.master.password! };
}, 120_000);
afterAll(async () => {
  api?.destroy();
  await aws?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 60_000);

const planText = (cluster: string, extra = '') => `
version: 1
name: ${cluster}
steps:
  - id: replica
    type: aurora-read-replica
    source: ${SOURCE}
    cluster: ${cluster}
    instance: { class: db.r6g.large }
  - id: freeze
    type: freeze-writes
    connection: { host: ${source.address}, port: ${source.port}, database: postgres, user: master, password: "\${env.PGPASSWORD}" }
    databases: [orders]
    drainTimeout: 10s
    window: 5m
  - id: promote
    type: promote
    cluster: \${steps.replica.outputs.clusterId}
    replicaConnection: { host: "\${steps.replica.outputs.readerEndpoint}", port: "\${steps.replica.outputs.port}", database: orders, user: master, password: "\${env.PGPASSWORD}" }
${extra}`;

function plan(text: string) {
  const r = checkPlanText(`plans/${text.match(/name: (\S+)/)![1]}.yaml`, text);
  if (!r.ok) throw new Error(JSON.stringify(r.diagnostics));
  return r.plan;
}

/** The tool's clock is the stand-in's; each sleep moves it and lets real time pass a little for replication. */
function apply(text: string, options: { signal?: AbortSignal; beforeSleep?: () => void } = {}) {
  const p = plan(text);
  return applyPlan(
    { plan: p, env: ENV },
    {
      storage: localRunStorage(join(dir, `${p.name}.state.json`)),
      registry: steps,
      aws: api,
      db,
      clock: { now: aws.clock.now },
      monotonic: aws.clock.now,
      delay: async (ms: number, signal: AbortSignal) => {
        if (signal.aborted) throw new Interrupted('interrupted');
        options.beforeSleep?.();
        aws.clock.advance(ms);
        await new Promise((r) => setTimeout(r, 3));
      },
      signal: options.signal,
      lock: false,
    },
  );
}

/** The resolved endpoint a DNS name of the stand-in stands for. */
const endpointOf = (name: string) => aws.resolveEndpoint(name)!;
const readOnlySetting = async () =>
  (
    await source.query<{ setconfig: string[] | null }>(
      `SELECT s.setconfig FROM pg_database d LEFT JOIN pg_db_role_setting s ON s.setdatabase = d.oid AND s.setrole = 0 WHERE d.datname = 'orders'`,
    )
  )[0].setconfig;
const promotions = (cluster: string) =>
  aws.calls.records.filter(
    (c) =>
      c.operation === 'PromoteReadReplicaDBCluster' && c.outcome === 'ok' && JSON.stringify(c.params).includes(cluster),
  ).length;

describe('cutover window on real replication, with a live writer', () => {
  it('freezes, proves the replica caught up with the marker, promotes: every acknowledged write is on the target', async () => {
    // The application's driver opens every transaction READ WRITE: only the fence stops it.
    const writer = await appWriter('begin-read-write');
    await new Promise((r) => setTimeout(r, 300));
    const r = await apply(planText('cut-ok'));
    const run = await writer.stop();
    expect(r.outcome, JSON.stringify(r.failed)).toBe('succeeded');
    const promote = r.steps.find((s) => s.id === 'promote')!;
    const freeze = r.steps.find((s) => s.id === 'freeze')!;
    expect(promote.outputs).toMatchObject({ caughtUpAt: expect.any(String), promotionSentAt: expect.any(String) });
    expect(Date.parse(promote.outputs!.caughtUpAt as string)).toBeGreaterThanOrEqual(
      Date.parse(freeze.outputs!.frozenAt as string),
    );
    expect(Date.parse(promote.outputs!.promotionSentAt as string)).toBeGreaterThanOrEqual(
      Date.parse(promote.outputs!.caughtUpAt as string),
    );
    expect(r.cutover).toMatchObject({
      status: 'committed',
      pointOfNoReturn: { stepId: 'promote', what: 'PromoteReadReplicaDBCluster sent' },
    });
    expect(run.acks.length).toBeGreaterThan(20);
    expect(run.errors.refused + run.errors.terminated).toBeGreaterThan(0); // the writer met the fence
    expect(run.errors.last).toMatch(/permission denied for database "orders"|terminat/);

    // The promoted target holds every acknowledged seq, and the marker.
    const target = endpointOf(promote.outputs!.endpoint as string);
    const onTarget = await queryRows(target, 'orders', 'SELECT seq::int AS seq FROM app_writes');
    const have = new Set(onTarget.map((x) => x.seq as number));
    const lost = run.acks.filter((a) => !have.has(a.seq));
    expect(lost).toEqual([]);
    expect(await queryRows(target, 'orders', 'SELECT count(*)::int AS n FROM aurora_migrate.cutover_marker')).toEqual([
      { n: 1 },
    ]);
    // The freeze's read-only default came along with the physical copy; promote put the previous setting back there.
    expect(await queryRows(target, 'orders', 'SHOW default_transaction_read_only')).toEqual([
      { default_transaction_read_only: 'off' },
    ]);
    // The fence came along with the physical copy; promote put the privileges back: the application connects and writes there.
    const onAurora = await db.connect({ ...roles.app, host: target.host, port: target.port });
    await onAurora.query('INSERT INTO app_writes (seq) VALUES (-1)');
    await onAurora.close();
    expect(await queryRows(target, 'postgres', 'SELECT count(*)::int AS n FROM aurora_migrate.fence')).toEqual([
      { n: 0 },
    ]); // the inherited record is gone there
    // Forward only: the source stays frozen and fenced after the point of no return.
    expect(await readOnlySetting()).toEqual(['default_transaction_read_only=on']);
    expect(await publicCanConnect(source, 'orders')).toBe(false);
    await expect(db.connect(roles.app)).rejects.toThrow(/permission denied for database "orders"/);
    // status shows the window's timeline.
    const report = await buildStatusReport(
      plan(planText('cut-ok')),
      'plans/cut-ok.yaml',
      localRunStorage(join(dir, 'cut-ok.state.json')),
      {},
    );
    expect(report.cutover).toMatchObject({
      status: 'committed',
      frozenAt: freeze.outputs!.frozenAt,
      caughtUpAt: promote.outputs!.caughtUpAt,
      promotionSentAt: promote.outputs!.promotionSentAt,
      promotedAt: promote.outputs!.promotedAt,
    });
    expect(renderStatusText(report, { color: false })).toMatch(
      /cutover window \(freeze\): past the point of no return[\s\S]*caught up at +\d{4}-[\s\S]*promotion sent at/,
    );
    await liftFenceAsAdmin(source, ['orders']);
  }, 180_000);

  it('a marker that never appears (replay paused) rolls back at the deadline: source writable, nothing promoted', async () => {
    const text = planText('cut-stuck');
    const p = plan(text);
    // Build the replica first (stop before the freeze), then pause its replay.
    const first = await applyPlan(
      { plan: p, env: ENV, until: 'replica' },
      {
        storage: localRunStorage(join(dir, 'cut-stuck.state.json')),
        registry: steps,
        aws: api,
        db,
        clock: { now: aws.clock.now },
        monotonic: aws.clock.now,
        delay: async (ms) => {
          aws.clock.advance(ms);
          await new Promise((r) => setTimeout(r, 3));
        },
        lock: false,
      },
    );
    expect(first.outcome).toBe('until');
    const reader = endpointOf(first.steps[0].outputs!.readerEndpoint as string);
    await queryRows(reader, 'postgres', 'SELECT pg_wal_replay_pause()');

    const r = await apply(text);
    expect(r.outcome).toBe('rolled-back');
    expect(r.failed!.error.message).toMatch(/did not show the cutover marker .* before the window's deadline/);
    expect(r.failed!.error.message).toMatch(
      /Writes are back on the source \(orders have their previous settings\) and nothing was promoted/,
    );
    expect(r.cutover).toMatchObject({ status: 'rolled-back' });
    expect(promotions('cut-stuck')).toBe(0);
    expect(await readOnlySetting()).toBeNull();
    expect(await publicCanConnect(source, 'orders')).toBe(true);
    const state = await readState(join(dir, 'cut-stuck.state.json'));
    expect(state.exists && state.state.steps.freeze.status).toBe('rolled-back');
    expect(state.exists && state.state.steps.promote.status).toBe('failed');
    expect(state.exists && state.state.steps.promote.checkpoint).toBeUndefined();

    // Replication back: the same command runs the cutover afresh and now goes through.
    await queryRows(reader, 'postgres', 'SELECT pg_wal_replay_resume()');
    const again = await apply(text);
    expect(again.outcome, JSON.stringify(again.failed)).toBe('succeeded');
    expect(promotions('cut-stuck')).toBe(1);
    await liftFenceAsAdmin(source, ['orders']);
  }, 180_000);

  it('an interrupt inside the window rolls back before anything is promoted', async () => {
    const text = planText('cut-int');
    const p = plan(text);
    await applyPlan(
      { plan: p, env: ENV, until: 'replica' },
      {
        storage: localRunStorage(join(dir, 'cut-int.state.json')),
        registry: steps,
        aws: api,
        db,
        clock: { now: aws.clock.now },
        monotonic: aws.clock.now,
        delay: async (ms) => {
          aws.clock.advance(ms);
          await new Promise((r) => setTimeout(r, 3));
        },
        lock: false,
      },
    );
    const reader = endpointOf(
      (await readState(join(dir, 'cut-int.state.json')).then((s) =>
        s.exists ? s.state.steps.replica.outputs!.readerEndpoint : '',
      )) as string,
    );
    await queryRows(reader, 'postgres', 'SELECT pg_wal_replay_pause()');
    const stop = new AbortController();
    let sleeps = 0;
    const r = await apply(text, {
      signal: stop.signal,
      beforeSleep: () => (++sleeps === 5 ? stop.abort() : undefined),
    });
    expect(r.outcome).toBe('interrupted');
    expect(r.cutover).toMatchObject({
      status: 'rolled-back',
      reason: expect.stringMatching(/interrupted in step "promote"/),
    });
    expect(promotions('cut-int')).toBe(0);
    expect(await readOnlySetting()).toBeNull();
    expect(await publicCanConnect(source, 'orders')).toBe(true);
    await queryRows(reader, 'postgres', 'SELECT pg_wal_replay_resume()');
    // The same command afterwards starts the cutover afresh and completes it.
    const again = await apply(text);
    expect(again.outcome, JSON.stringify(again.failed)).toBe('succeeded');
    expect(promotions('cut-int')).toBe(1);
    await liftFenceAsAdmin(source, ['orders']);
  }, 180_000);

  it('a failure after the point of no return goes forward only and says where things stand', async () => {
    const text = planText(
      'cut-fwd',
      `  - id: check
    type: verify-data
    source: { host: ${source.address}, port: ${source.port}, database: orders, user: master, password: "\${env.PGPASSWORD}" }
    target: { host: "\${steps.promote.outputs.endpoint}", port: "\${steps.promote.outputs.port}", database: orders, user: master, password: "\${env.PGPASSWORD}" }
    tables: [public.no_such_table]
`,
    );
    const r = await apply(text);
    expect(r.outcome).toBe('failed');
    expect(r.failed!.stepId, r.failed!.error.message).toBe('check');
    expect(r.failed!.error.message).toMatch(
      /passed its point of no return at .* \(PromoteReadReplicaDBCluster sent\): nothing is rolled back, the source databases orders stay fenced \(CONNECT only for master and the databases' owners; read-only default on\)/,
    );
    expect(r.cutover).toMatchObject({ status: 'committed' });
    expect(await readOnlySetting()).toEqual(['default_transaction_read_only=on']);
    await liftFenceAsAdmin(source, ['orders']);
  }, 180_000);
});

describe('the fence against applications that defeat a read-only default', () => {
  it('a driver that sets default_transaction_read_only = off after connecting: forward, 0 lost writes, the application writes on the target', async () => {
    const writer = await appWriter(['session-read-write', 'begin-read-write']);
    await writer.waitForAcks(30, 15_000);
    const r = await apply(planText('cut-session-rw'));
    const run = await writer.stop();
    expect(r.outcome, JSON.stringify(r.failed)).toBe('succeeded');
    const target = endpointOf(r.steps.find((s) => s.id === 'promote')!.outputs!.endpoint as string);
    const have = new Set(
      (await queryRows(target, 'orders', 'SELECT seq::int AS seq FROM app_writes')).map((x) => x.seq as number),
    );
    expect(run.acks.filter((a) => !have.has(a.seq))).toEqual([]);
    // The fence is what stopped it: its reconnects were refused (a read-only default alone would not have).
    expect(run.errors.refused).toBeGreaterThan(0);
    expect(run.errors.readOnly).toBe(0);
    await liftFenceAsAdmin(source, ['orders']);
  }, 180_000);

  it("an application that connects as the tool's own user is caught by the last check: rolled back, nothing promoted, the client named", async () => {
    const text = planText('cut-sneaky');
    const p = plan(text);
    await applyPlan(
      { plan: p, env: ENV, until: 'replica' },
      {
        storage: localRunStorage(join(dir, 'cut-sneaky.state.json')),
        registry: steps,
        aws: api,
        db,
        clock: { now: aws.clock.now },
        monotonic: aws.clock.now,
        delay: async (ms) => {
          aws.clock.advance(ms);
          await new Promise((r) => setTimeout(r, 3));
        },
        lock: false,
      },
    );
    // A reporting job that logs in as the master user: the fence keeps CONNECT for it.
    const sneaky = await startWriter({
      connection: { ...roles.master, host: source.address, port: source.port },
      ratePerSecond: 50,
      mode: 'begin-read-write',
      table: 'report_jobs',
    });
    await sneaky.waitForAcks(5, 15_000);
    const r = await apply(text);
    await sneaky.stop();
    expect(r.outcome).toBe('rolled-back');
    expect(r.failed!.stepId).toBe('promote');
    expect(r.failed!.error.message).toMatch(
      /stopped before the point of no return \(PromoteReadReplicaDBCluster sent was not sent\): the fence of step "freeze" does not hold: pid \d+ of user master on "orders" \(application_name "rehearsal-writer", client 127\.0\.0\.1\)/,
    );
    expect(r.failed!.error.message).toMatch(
      /Writes are back on the source \(orders have their previous settings\) and nothing was promoted/,
    );
    expect(promotions('cut-sneaky')).toBe(0);
    expect(await readOnlySetting()).toBeNull();
    expect(await publicCanConnect(source, 'orders')).toBe(true);
    // The job stopped: the same command runs the cutover afresh and goes through.
    const again = await apply(text);
    expect(again.outcome, JSON.stringify(again.failed)).toBe('succeeded');
    expect(promotions('cut-sneaky')).toBe(1);
    await liftFenceAsAdmin(source, ['orders']);
  }, 180_000);
});

describe('the whole cutover: freeze → promote → verify-data → switch-endpoint', () => {
  const fullPlan = (name: string) =>
    planText(
      name,
      `  - id: check
    type: verify-data
    source: { host: ${source.address}, port: ${source.port}, database: orders, user: master, password: "\${env.PGPASSWORD}" }
    target: { host: "\${steps.promote.outputs.endpoint}", port: "\${steps.promote.outputs.port}", database: orders, user: master, password: "\${env.PGPASSWORD}" }
    tables: [public.app_writes]
    checksum: true
  - id: switch
    type: switch-endpoint
    hostedZoneId: ${ZONE}
    record: ${APP_NAME}
    target: \${steps.promote.outputs.endpoint}
`,
    );

  it("a row deleted on the target behind the tool's back fails verify-data before the switch: the DNS record is untouched", async () => {
    const text = fullPlan('cut-diff');
    const p = plan(text);
    const statePath = join(dir, 'cut-diff.state.json');
    const writer = await appWriter('autocommit');
    await new Promise((r) => setTimeout(r, 200));
    // Run up to the promotion; then somebody deletes a row on the promoted target.
    const first = await applyPlan(
      { plan: p, env: ENV, until: 'promote' },
      {
        storage: localRunStorage(statePath),
        registry: steps,
        aws: api,
        db,
        clock: { now: aws.clock.now },
        monotonic: aws.clock.now,
        delay: async (ms) => {
          aws.clock.advance(ms);
          await new Promise((r) => setTimeout(r, 3));
        },
        lock: false,
      },
    );
    await writer.stop();
    expect(first.outcome, JSON.stringify(first.failed)).toBe('until');
    const target = endpointOf(first.steps.find((s) => s.id === 'promote')!.outputs!.endpoint as string);
    await queryRows(target, 'orders', 'DELETE FROM app_writes WHERE seq = (SELECT min(seq) FROM app_writes)');

    const r = await apply(text);
    expect(r.outcome).toBe('failed');
    expect(r.failed!.stepId).toBe('check');
    expect(r.failed!.error.message).toMatch(/public\.app_writes has (\d+) rows on the source and (\d+) on the target/);
    const [, onSource, onTarget] = /has (\d+) rows on the source and (\d+) on the target/.exec(
      r.failed!.error.message,
    )!;
    expect(Number(onSource) - Number(onTarget)).toBe(1);
    expect(aws.route53.record(APP_NAME, 'CNAME')?.values).toEqual(['orders-pg.standin.invalid']);
    expect(aws.calls.records.filter((c) => c.operation === 'ChangeResourceRecordSets')).toHaveLength(0);
    await liftFenceAsAdmin(source, ['orders']);
  }, 180_000);
});

/** The application writing straight to the source as its own role, with the driver mode given. */
function appWriter(mode: WriterMode | WriterMode[]) {
  return startWriter({
    connection: {
      host: source.address,
      port: source.port,
      database: 'orders',
      user: roles.app.user,
      password: roles.app.password,
    },
    ratePerSecond: 200,
    mode,
  });
}

async function queryRows(
  at: { host: string; port: number },
  database: string,
  sql: string,
): Promise<Array<Record<string, unknown>>> {
  const session = await db.connect({ host: at.host, port: at.port, database, user: 'postgres' });
  try {
    return (await session.query(sql)).rows;
  } finally {
    await session.close();
  }
}
