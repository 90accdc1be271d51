// The logical route's cutover through the engine (applyPlan in-process, the production registry) on
// real servers: a PostgreSQL 14 source and an 18 target (wal_level logical, as a cluster whose
// parameter group allows publishing), the tool as the RDS-like master user on both sides, Route 53
// from the AWS stand-in. Plan: logical-replica → freeze-writes → logical-switchover → verify-data →
// switch-endpoint, with the application writing the whole time through a driver that opens every
// transaction READ WRITE (only the fence stops it) and inserting through serial keys.
// One copy serves the whole story, in order:
//   1. a role that connects to the source but has no password on the target stops the switchover
//      before the point of no return: rolled back, subscription enabled again, fence lifted, no
//      reverse slot, DNS untouched;
//   2. the deadline passing late in the switchover (the reverse slot waits for a transaction left
//      open on the target) rolls back everything it did — publication dropped, subscription enabled
//      again — and the freeze;
//   3. with the role in rolesReady the cutover goes through: 0 lost acknowledged writes, sequences
//      copied exactly (is_called too) so the application's inserts on the target do not collide,
//      the subscription disabled, the reverse publication and slot on the target.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAwsStandin, type AwsStandin } from '../../../rehearsal/aws/index.js';
import { startWriter, type Writer } from '../../../rehearsal/app/writer.js';
import { publicCanConnect } from '../../../rehearsal/postgres/rds-roles.js';
import { createAwsApi } from '../../../src/aws/sdk-api.js';
import { createPgConnector } from '../../../src/db/pg-connector.js';
import { applyPlan } from '../../../src/engine/engine.js';
import { localRunStorage } from '../../../src/engine/run-storage.js';
import { checkPlanText } from '../../../src/plan/load.js';
import { steps } from '../../../src/steps/index.js';
import { buildStatusReport } from '../../../src/cli/commands/status.js';
import { renderStatusText } from '../../../src/render/status.js';
import { startChurn, type Churn } from '../../support/logical/churn.js';
import { asRole, startLogicalWorld, type LogicalWorld } from '../../support/logical/world.js';

const ZONE = 'Z0123456789ABCDEFGHIJ';
const APP_NAME = 'orders-db.internal.example.com';
const TARGET_NAME = 'orders-aurora-18.cluster-abc.us-east-1.rds.amazonaws.com';
const SCALE = 10;
let world: LogicalWorld;
let aws: AwsStandin;
let api: ReturnType<typeof createAwsApi>;
let dir: string;
let ENV: Record<string, string>;
const db = createPgConnector();

beforeAll(async () => {
  [world, aws] = await Promise.all([
    startLogicalWorld({ rows: 3000, targetWalLevel: 'logical' }),
    startAwsStandin({
      seed: {
        hostedZones: [{ id: ZONE, name: 'internal.example.com' }],
        records: [{ zoneId: ZONE, name: APP_NAME, type: 'CNAME', ttl: 5, values: ['orders-pg.standin.invalid'] }],
      },
      route53ChangePendingMs: 200,
    }),
  ]);
  api = createAwsApi({ env: aws.env, maxAttempts: 3 });
  // Stand-in of GRANT rds_replication TO master on Aurora (the reverse slot); stock PostgreSQL has an attribute instead.
  await world.target.query(`ALTER ROLE ${world.targetMaster.user} REPLICATION`);
  // A reporting role that logs in to the source; logical-replica copies it to the target without a password.
  await world.source.query(`CREATE ROLE reporting LOGIN PASSWORD 'rep-${Date.now()}'`);
  // A sequence whose next nextval() gives its last_value (is_called = false): copied as such.
  await asRole(world.app, (c) => c.query(`SELECT setval('invoice_numbers', 5000, false)`));
  dir = mkdtempSync(join(tmpdir(), 'am-switchover-'));
  ENV = {
    SOURCE_PASSWORD: world.sourceMaster.password!,
    TARGET_PASSWORD: world.targetMaster.password!,
    APP_PASSWORD: `app-on-target-${Date.now()}`,
  };
}, 120_000);
afterAll(async () => {
  api?.destroy();
  await Promise.all([world?.stop(), aws?.close()]);
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 60_000);

const conn = (c: { address: string; port: number }, database: string, user: string, password?: string) =>
  `{ host: "${c.address}", port: ${c.port}, database: ${database}, user: ${user}${password ? `, password: "${password}"` : ''} }`;

function planText(rolesReady: string[]) {
  const src = (database: string) => conn(world.source, database, world.sourceMaster.user, '${env.SOURCE_PASSWORD}');
  const tgt = conn(world.target, 'orders', world.targetMaster.user, '${env.TARGET_PASSWORD}');
  return `version: 1
name: switchover
steps:
  - id: replicate
    type: logical-replica
    source: ${src('orders')}
    target: ${tgt}
    ddlGuardConnection: ${conn(world.source, 'orders', 'postgres')}
    schemas: [public]
    rolePasswords: { app: "\${env.APP_PASSWORD}" }
    replicaIdentityFull: [public.audit_log]
    maxLag: 1MiB
    stableFor: 2s
    pollEvery: 1s
  - id: freeze
    type: freeze-writes
    connection: ${src('postgres')}
    databases: [orders]
    drainTimeout: 10s
    window: 3m
  - id: switchover
    type: logical-switchover
    subscription: \${steps.replicate.outputs.subscription}
    source: ${src('orders')}
    target: ${tgt}
    rolePasswords: { app: "\${env.APP_PASSWORD}" }
${rolesReady.length ? `    rolesReady: [${rolesReady.join(', ')}]\n` : ''}    reversePublication: true
  - id: check
    type: verify-data
    source: ${src('orders')}
    target: ${tgt}
    tables: [public.orders, public.customers, public.events, public.audit_log, public.app_writes]
  - id: switch
    type: switch-endpoint
    hostedZoneId: ${ZONE}
    record: ${APP_NAME}
    target: ${TARGET_NAME}
`;
}

function apply(text: string) {
  const r = checkPlanText('plans/switchover.yaml', text);
  if (!r.ok) throw new Error(JSON.stringify(r.diagnostics));
  return applyPlan(
    { plan: r.plan, env: ENV },
    {
      storage: localRunStorage(join(dir, 'switchover.state.json')),
      registry: steps,
      aws: api,
      db,
      timeScale: SCALE,
      lock: false,
    },
  );
}

const onTarget = async <R = Record<string, unknown>>(sql: string) => world.target.query<R>(sql, [], 'orders');
const subscriptionEnabled = async () =>
  (await onTarget<{ e: boolean }>('SELECT subenabled AS e FROM pg_subscription'))[0]?.e;
const reverseSlots = async () =>
  (await world.target.query<{ s: string }>('SELECT slot_name AS s FROM pg_replication_slots')).map((r) => r.s);
const reversePublications = async () =>
  (await onTarget<{ p: string }>('SELECT pubname AS p FROM pg_publication')).map((r) => r.p);
const sourceSetting = async () =>
  (
    await world.source.query<{ setconfig: string[] | null }>(
      `SELECT s.setconfig FROM pg_database d LEFT JOIN pg_db_role_setting s ON s.setdatabase = d.oid AND s.setrole = 0 WHERE d.datname = 'orders'`,
    )
  )[0].setconfig;
const dnsValue = () => aws.route53.record(APP_NAME, 'CNAME')?.values;

/** Every piece of the rollback: subscription on again, no reverse objects, fence lifted, DNS untouched. */
async function expectRolledBack() {
  expect(await subscriptionEnabled()).toBe(true);
  expect(await reverseSlots()).toEqual([]);
  expect(await reversePublications()).toEqual([]);
  expect(await sourceSetting()).toBeNull();
  expect(await publicCanConnect(world.source, 'orders')).toBe(true);
  expect(dnsValue()).toEqual(['orders-pg.standin.invalid']);
}

describe('logical-switchover inside the cutover window (real 14 → 18, through the engine)', () => {
  let writer: Writer | undefined;
  let churn: Churn | undefined;
  afterAll(async () => {
    await writer?.stop();
    await churn?.stop();
  });

  it('a role that connects to the source without a password on the target stops it before the point of no return: everything rolled back', async () => {
    writer = await startWriter({
      connection: { ...world.app, host: world.source.address },
      ratePerSecond: 100,
      mode: 'begin-read-write',
    });
    churn = startChurn(world.app, { everyMs: 10 });
    const r = await apply(planText([]));
    expect(r.outcome, JSON.stringify(r.failed)).toBe('rolled-back');
    expect(r.failed!.stepId).toBe('switchover');
    expect(r.failed!.error.message).toMatch(/role reporting has no password the tool knows of on the target/);
    expect(r.failed!.error.message).not.toMatch(/role app\b/);
    expect(r.failed!.error.message).toMatch(
      /Writes are back on the source \(orders have their previous settings\) and the application's DNS record was not changed/,
    );
    expect(r.cutover).toMatchObject({ status: 'rolled-back' });
    await expectRolledBack();
    // The application writes again on the source, and the re-enabled subscription carries it over.
    await writer.waitForAcks(20, 15_000);
  }, 90_000);

  it('the deadline passing late in the switchover (the reverse slot waits for a transaction left open on the target) undoes all of it and the freeze', async () => {
    const { host, port, user } = world.target.admin;
    const locker = new pg.Client({ host, port, user, database: 'orders' });
    await locker.connect();
    try {
      // A session on the target with a transaction id: creating a logical slot waits for it to end.
      await locker.query('BEGIN');
      await locker.query('SELECT pg_current_xact_id()');
      const r = await apply(planText(['reporting']));
      expect(r.outcome, JSON.stringify(r.failed)).toBe('rolled-back');
      expect(r.cutover).toMatchObject({ status: 'rolled-back', reason: expect.stringMatching(/deadline .* passed/) });
      // The switchover had disabled the subscription and created the reverse publication; the slot was
      // waiting when the deadline hit. The rollback took all of it back, then the freeze.
      const events = readFileSync(join(dir, 'switchover.state.json.events.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { type: string; stepId?: string; sql?: string });
      const at = (pred: (e: { type: string; stepId?: string; sql?: string }) => boolean) =>
        events.map((e, i) => (pred(e) ? i : -1)).reduce((a, b) => Math.max(a, b), -1);
      const disabled = at((e) => e.type === 'sql' && /ALTER SUBSCRIPTION .* DISABLE/.test(e.sql ?? ''));
      const created = at(
        (e) => e.type === 'sql' && /CREATE PUBLICATION "aurora_migrate_switchover_switchover"/.test(e.sql ?? ''),
      );
      const enabled = at((e) => e.type === 'sql' && /ALTER SUBSCRIPTION .* ENABLE/.test(e.sql ?? ''));
      const dropped = at((e) => e.type === 'sql' && /DROP PUBLICATION/.test(e.sql ?? ''));
      const undone = at((e) => e.type === 'cutover-step-undone' && e.stepId === 'switchover');
      const freezeUndone = at((e) => e.type === 'freeze-undone');
      expect(disabled).toBeGreaterThan(-1);
      expect(created).toBeGreaterThan(disabled);
      expect(dropped).toBeGreaterThan(created);
      expect(enabled).toBeGreaterThan(created);
      expect(undone).toBeGreaterThan(Math.max(enabled, dropped));
      expect(freezeUndone).toBeGreaterThan(undone);
    } finally {
      await locker.query('ROLLBACK').catch(() => undefined);
      await locker.end();
    }
    await expectRolledBack();
    await writer!.waitForAcks(20, 15_000);
  }, 90_000);

  it('with every role accounted for the cutover goes through: 0 lost writes, sequences exact, no collision on the target, reverse slot ready', async () => {
    const r = await apply(planText(['reporting']));
    const run = await writer!.stop();
    writer = undefined;
    await churn!.stop();
    churn = undefined;
    expect(r.outcome, JSON.stringify(r.failed)).toBe('succeeded');
    expect(r.cutover).toMatchObject({ status: 'committed', pointOfNoReturn: { stepId: 'switch' } });
    const out = r.steps.find((s) => s.id === 'switchover')!.outputs!;
    expect(out).toMatchObject({
      caughtUpAt: expect.any(String),
      switchedOverAt: expect.any(String),
      reverseSlot: 'aurora_migrate_switchover_switchover',
    });
    expect(out.sequencesCopied).toBe(3); // customers' identity, orders' serial, the standalone invoice_numbers
    expect(run.errors.refused + run.errors.terminated).toBeGreaterThan(0); // the writer met the fence

    // Every acknowledged write is on the target.
    const have = new Set(
      (await onTarget<{ seq: string }>('SELECT seq::text AS seq FROM app_writes')).map((x) => Number(x.seq)),
    );
    expect(run.acks.filter((a) => !have.has(a.seq))).toEqual([]);
    // Sequences as on the source, is_called included.
    for (const seq of ['invoice_numbers', 'orders_id_seq', 'customers_id_seq']) {
      const [s] = await world.source.query(`SELECT last_value::text AS v, is_called AS c FROM ${seq}`, [], 'orders');
      const [t] = await onTarget(`SELECT last_value::text AS v, is_called AS c FROM ${seq}`);
      expect(t, seq).toEqual(s);
    }
    expect((await onTarget<{ c: boolean }>('SELECT is_called AS c FROM invoice_numbers'))[0].c).toBe(false);
    // The application on the target (its password from rolePasswords): serial and identity inserts do not collide.
    await asRole(
      { ...world.app, host: world.target.address, port: world.target.port, password: ENV.APP_PASSWORD },
      async (c) => {
        for (let i = 0; i < 5; i++) {
          await c.query(`INSERT INTO orders (customer_id, amount) VALUES (1, 1.00)`);
          await c.query(`INSERT INTO customers (name) VALUES ('after the switch')`);
        }
      },
    );
    // Forward subscription stopped; the reverse publication and its slot wait for reverse-replication.
    expect(await subscriptionEnabled()).toBe(false);
    expect(await reverseSlots()).toEqual(['aurora_migrate_switchover_switchover']);
    expect(await reversePublications()).toEqual(['aurora_migrate_switchover_switchover']);
    expect(dnsValue()).toEqual([TARGET_NAME]);
    // status shows the logical route's timeline.
    const loaded = checkPlanText('plans/switchover.yaml', planText(['reporting']));
    if (!loaded.ok) throw new Error('plan');
    const report = await buildStatusReport(
      loaded.plan,
      'plans/switchover.yaml',
      localRunStorage(join(dir, 'switchover.state.json')),
      {},
    );
    expect(report.cutover).toMatchObject({
      status: 'committed',
      caughtUpAt: out.caughtUpAt,
      switchedOverAt: out.switchedOverAt,
    });
    expect(renderStatusText(report, { color: false })).toMatch(
      /caught up at +\d{4}-[\s\S]*switched over at +\d{4}-[\s\S]*point of no return +Route 53 change sent/,
    );
    // No secret in the state or the event log.
    const texts = [
      readFileSync(join(dir, 'switchover.state.json'), 'utf8'),
      readFileSync(join(dir, 'switchover.state.json.events.jsonl'), 'utf8'),
    ];
    for (const t of texts) for (const secret of Object.values(ENV)) expect(t).not.toContain(secret);
  }, 90_000);
});
