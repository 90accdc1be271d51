// The logical route's fallback on real servers (a PostgreSQL 14 old source, an 18 "Aurora"), through
// the engine with the production registry, the tool as the RDS-like master users, Route 53 from the
// AWS stand-in. One story, in order:
//   1. the forward cutover (replicate → freeze → switchover → verify → switch) with the application
//      writing on the source; the plan has a reverse-replication step and NO reversePublication
//      field, so the switchover makes the reverse slot because the plan asks for it;
//   2. writes made on Aurora right after the switch, before the old source subscribes;
//   3. reverse-replication killed right after its CREATE SUBSCRIPTION committed (before its
//      checkpoint), then after dropping the forward subscription on a fresh try, and resumed by
//      apply from a fresh checkpoint: one reverse subscription, no forward one, and the writes of 2
//      on the old source;
//   4. the fallback plan (plans/logical-fallback.yaml's shape: freeze Aurora, switchover to the old
//      source, verify, lift-fence, switch back) with the application writing on Aurora: 0 lost
//      acknowledged writes, the old source writable again, its sequences past Aurora's;
//   5. drop-replication on both servers leaves no slot, publication or subscription on either side.
// The reverse subscription on the 14 old source is created as the harness superuser: stock
// PostgreSQL older than 16 lets only a superuser create subscriptions (RDS lets rds_superuser).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAwsStandin, type AwsStandin } from '../../../rehearsal/aws/index.js';
import { startWriter, type Writer } from '../../../rehearsal/app/writer.js';
import { publicCanConnect } from '../../../rehearsal/postgres/rds-roles.js';
import { createAwsApi } from '../../../src/aws/sdk-api.js';
import { createPgConnector } from '../../../src/db/pg-connector.js';
import { applyPlan } from '../../../src/engine/engine.js';
import { localRunStorage } from '../../../src/engine/run-storage.js';
import { memoryCheckpoint } from '../../../src/engine/step-context.js';
import { checkPlanText } from '../../../src/plan/load.js';
import { resolveDeep } from '../../../src/plan/values.js';
import { steps } from '../../../src/steps/index.js';
import { reverseReplication } from '../../../src/steps/reverse-replication/index.js';
import { runLocal } from '../../support/logical/run-logical.js';
import { asRole, countOn, startLogicalWorld, type LogicalWorld } from '../../support/logical/world.js';

const ZONE = 'Z0123456789ABCDEFGHIJ';
const APP_NAME = 'orders-db.internal.example.com';
const TARGET_NAME = 'orders-aurora-18.cluster-abc.us-east-1.rds.amazonaws.com';
const SOURCE_NAME = 'orders-pg.abc.us-east-1.rds.amazonaws.com';
const SCALE = 10;
const FORWARD_SUB = 'aurora_migrate_reverse_replicate';
const REVERSE_SLOT = 'aurora_migrate_reverse_switchover';
const REVERSE_SUB = 'aurora_migrate_reverse_fallback';
let world: LogicalWorld;
let aws: AwsStandin;
let api: ReturnType<typeof createAwsApi>;
let dir: string;
let ENV: Record<string, string>;
const db = createPgConnector();

beforeAll(async () => {
  [world, aws] = await Promise.all([
    startLogicalWorld({ rows: 2000, targetWalLevel: 'logical' }),
    startAwsStandin({
      seed: {
        hostedZones: [{ id: ZONE, name: 'internal.example.com' }],
        records: [{ zoneId: ZONE, name: APP_NAME, type: 'CNAME', ttl: 5, values: [SOURCE_NAME] }],
      },
      route53ChangePendingMs: 200,
    }),
  ]);
  api = createAwsApi({ env: aws.env, maxAttempts: 3 });
  // Stand-in of GRANT rds_replication TO master on Aurora (the reverse slot, and the reverse subscription streams as it).
  await world.target.query(`ALTER ROLE ${world.targetMaster.user} REPLICATION`);
  // The table the application writes on Aurora after the switch: replicated forward, so it is in the reverse publication too.
  await asRole(world.app, (c) =>
    c.query('CREATE TABLE app_writes_back (seq bigint PRIMARY KEY, at timestamptz NOT NULL DEFAULT now())'),
  );
  dir = mkdtempSync(join(tmpdir(), 'am-reverse-'));
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
const src = (database: string) => conn(world.source, database, world.sourceMaster.user, '${env.SOURCE_PASSWORD}');
const tgt = (database = 'orders') => conn(world.target, database, world.targetMaster.user, '${env.TARGET_PASSWORD}');
/** The harness superuser on the 14 old source: only a superuser may create (and alter) a subscription there. */
const srcSuper = () => conn(world.source, 'orders', 'postgres');

const forwardPlan = () => `version: 1
name: reverse
steps:
  - id: replicate
    type: logical-replica
    source: ${src('orders')}
    target: ${tgt()}
    ddlGuardConnection: ${srcSuper()}
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
    target: ${tgt()}
    rolePasswords: { app: "\${env.APP_PASSWORD}" }
  - id: check
    type: verify-data
    source: ${src('orders')}
    target: ${tgt()}
    tables: [public.orders, public.customers, public.events, public.audit_log, public.app_writes]
  - id: switch
    type: switch-endpoint
    hostedZoneId: ${ZONE}
    record: ${APP_NAME}
    target: ${TARGET_NAME}
  - id: fallback
    type: reverse-replication
    source: ${tgt()}
    target: ${srcSuper()}
    maxLag: 1MiB
    timeout: 5m
`;

const fallbackPlan = () => `version: 1
name: reverse-fallback
steps:
  - id: freeze
    type: freeze-writes
    connection: ${tgt('postgres')}
    databases: [orders]
    waitForSlot: { slot: ${REVERSE_SLOT}, maxLag: 1MiB }
    drainTimeout: 10s
    window: 3m
  - id: switchover
    type: logical-switchover
    subscription: ${REVERSE_SUB}
    source: ${tgt()}
    target: ${srcSuper()}
    rolesReady: [app]
  - id: check
    type: verify-data
    source: ${tgt()}
    target: ${src('orders')}
    tables: [public.orders, public.customers, public.events, public.audit_log, public.app_writes, public.app_writes_back]
  - id: unfence
    type: lift-fence
    connection: ${src('postgres')}
    databases: [orders]
  - id: switch
    type: switch-endpoint
    hostedZoneId: ${ZONE}
    record: ${APP_NAME}
    target: ${SOURCE_NAME}
`;

const cleanupPlan = () => `version: 1
name: reverse-cleanup
steps:
  - id: old-source
    type: drop-replication
    connection: ${srcSuper()}
    subscriptions: [${REVERSE_SUB}]
    publications: [aurora_migrate_reverse_replicate]
    slots: [${FORWARD_SUB}]
    ddlGuard: true
  - id: aurora
    type: drop-replication
    connection: ${tgt()}
    subscriptions: [${FORWARD_SUB}]
    publications: [${REVERSE_SLOT}]
    slots: [${REVERSE_SLOT}]
`;

function load(name: string, text: string) {
  const r = checkPlanText(`plans/${name}.yaml`, text);
  if (!r.ok) throw new Error(JSON.stringify(r.diagnostics));
  return r.plan;
}
const apply = (name: string, text: string, extra: { until?: string } = {}) =>
  applyPlan(
    { plan: load(name, text), env: ENV, ...extra },
    {
      storage: localRunStorage(join(dir, `${name}.state.json`)),
      registry: steps,
      aws: api,
      db,
      timeScale: SCALE,
      lock: false,
    },
  );

const on =
  (server: 'source' | 'target') =>
  async <R = Record<string, unknown>>(sql: string, params: unknown[] = []) =>
    world[server].query<R>(sql, params, 'orders');
const onOld = on('source');
const onAurora = on('target');
const slotsOf = async (server: 'source' | 'target') =>
  (
    await world[server].query<{ s: string }>(
      `SELECT slot_name AS s FROM pg_replication_slots WHERE slot_name NOT LIKE 'pg\\_%\\_sync\\_%' ORDER BY 1`,
    )
  ).map((r) => r.s);
const subsOf = async (server: 'source' | 'target') =>
  (await on(server)<{ s: string }>('SELECT subname AS s FROM pg_subscription ORDER BY 1')).map((r) => r.s);
const pubsOf = async (server: 'source' | 'target') =>
  (await on(server)<{ p: string }>('SELECT pubname AS p FROM pg_publication ORDER BY 1')).map((r) => r.p);
const appOnAurora = () => ({
  ...world.app,
  host: world.target.address,
  port: world.target.port,
  password: ENV.APP_PASSWORD,
});

/** The reverse-replication step as the engine would run it (the plan's pairing filled in, outputs resolved). */
function reverseSpec(): Record<string, unknown> {
  const plan = load('reverse', forwardPlan());
  const step = plan.steps.find((s) => s.id === 'fallback')!;
  const outputs = { replicate: { subscription: FORWARD_SUB }, switchover: { reverseSlot: REVERSE_SLOT } };
  return resolveDeep(step, { vars: {}, env: ENV, outputs } as never, 'run').value as unknown as Record<string, unknown>;
}

describe('reverse-replication and the fallback plan (real 14 → 18 and back, through the engine)', () => {
  let writer: Writer | undefined;
  afterAll(async () => {
    await writer?.stop();
  });

  it('the plan pairs the switchover with its reverse-replication: reversePublication and the names filled in', () => {
    const plan = load('reverse', forwardPlan());
    expect(plan.steps.find((s) => s.id === 'switchover')).toMatchObject({ reversePublication: true });
    expect(plan.steps.find((s) => s.id === 'fallback')).toMatchObject({
      subscription: '${steps.replicate.outputs.subscription}',
      reverseSlot: '${steps.switchover.outputs.reverseSlot}',
    });
  });

  it('forward cutover with the application writing: 0 lost writes, the reverse slot made because the plan has a reverse-replication step', async () => {
    writer = await startWriter({
      connection: { ...world.app, host: world.source.address },
      ratePerSecond: 100,
      mode: 'begin-read-write',
    });
    const r = await apply('reverse', forwardPlan(), { until: 'switch' });
    const run = await writer.stop();
    writer = undefined;
    expect(r.outcome, JSON.stringify(r.failed)).toBe('until');
    expect(r.cutover).toMatchObject({ status: 'committed', pointOfNoReturn: { stepId: 'switch' } });
    expect(r.steps.find((s) => s.id === 'switchover')!.outputs).toMatchObject({ reverseSlot: REVERSE_SLOT });
    const have = new Set(
      (await onAurora<{ seq: string }>('SELECT seq::text AS seq FROM app_writes')).map((x) => Number(x.seq)),
    );
    expect(run.acks.length).toBeGreaterThan(0);
    expect(run.acks.filter((a) => !have.has(a.seq))).toEqual([]);
    expect(await slotsOf('target')).toEqual([REVERSE_SLOT]);
    expect(await pubsOf('target')).toEqual([REVERSE_SLOT]);
    // audit_log has no key (REPLICA IDENTITY FULL on the source): in the reverse publication it gets FULL on Aurora too, before the switch.
    expect(
      (
        await onAurora<{ r: string }>(`SELECT relreplident AS r FROM pg_class WHERE oid = 'public.audit_log'::regclass`)
      )[0].r,
    ).toBe('f');
    expect(readFileSync(join(dir, 'reverse.state.json.events.jsonl'), 'utf8')).toMatch(
      /"replicaIdentityFull":\["public.audit_log"\]/,
    );
  }, 120_000);

  it('writes made on Aurora right after the switch reach the old source; a kill anywhere in reverse-replication converges to one subscription', async () => {
    // The application's first writes on Aurora, before the old source subscribes: the reverse slot keeps them.
    await asRole(appOnAurora(), async (c) => {
      for (let i = 0; i < 25; i++)
        await c.query(`INSERT INTO orders (customer_id, amount, status) VALUES (1, 1.23, 'after-switch')`);
      await c.query(`UPDATE customers SET name = 'renamed after the switch' WHERE id = 7`);
      await c.query(`DELETE FROM "Order Notes" WHERE "Id" = 3`);
      // A table without a key (REPLICA IDENTITY FULL on the source, and so on Aurora): UPDATE and DELETE there keep working although it is in the reverse publication.
      await c.query(`UPDATE audit_log SET what = 'updated on Aurora' WHERE what = 'boot 5'`);
      await c.query(`DELETE FROM audit_log WHERE what = 'boot 6'`);
    });
    const spec = reverseSpec();
    expect(spec).toMatchObject({ subscription: FORWARD_SUB, reverseSlot: REVERSE_SLOT });

    // The RDS-like master user on the stock 14 old source may not create a subscription: preflight says so,
    // and the step stops before it changes anything (the forward subscription is still there).
    const asMaster = {
      ...spec,
      target: { ...(spec.target as object), user: world.sourceMaster.user, password: world.sourceMaster.password },
    };
    const pctx = { planName: 'reverse', stepId: 'fallback', aws: api, db, signal: new AbortController().signal };
    const refused = await reverseReplication.preflight!(asMaster as never, pctx);
    expect(refused).toContainEqual({
      status: 'fail',
      check: 'CREATE SUBSCRIPTION on the old source',
      detail: expect.stringMatching(
        /master may not create a subscription on the old source: stock PostgreSQL 14 lets only a superuser do it/,
      ),
    });
    const allowed = await reverseReplication.preflight!(spec as never, pctx);
    expect(
      allowed.filter((c) => c.status !== 'pass'),
      JSON.stringify(allowed),
    ).toEqual([]);
    expect(allowed.map((c) => c.check)).toEqual([
      'CREATE SUBSCRIPTION on the old source',
      'Aurora publishes',
      'the subscription may stream from Aurora',
      'reverse publication and slot',
    ]);
    const stopped = await runLocal(reverseReplication, asMaster, { planName: 'reverse' });
    expect(stopped.error?.message).toMatch(
      /step "fallback" failed: master may not create a subscription on the old source: .*Nothing was changed/,
    );
    expect(await subsOf('target')).toEqual([FORWARD_SUB]);

    // Killed right after DROP SUBSCRIPTION of the forward one on Aurora, before the checkpoint said so.
    const cp = memoryCheckpoint();
    const dyingAt = (field: string) => ({
      history: cp.history,
      get: () => cp.get(),
      set: async (v: Record<string, unknown>) => {
        if (v[field] && !(cp.get() as Record<string, unknown> | undefined)?.[field])
          throw new Error(`SIGKILL (test): before the checkpoint ${field}`);
        await cp.set(v);
      },
    });
    const first = await runLocal(reverseReplication, spec, {
      planName: 'reverse',
      checkpoint: dyingAt('forwardDroppedAt'),
    });
    expect(first.error?.message).toMatch(/SIGKILL \(test\): before the checkpoint forwardDroppedAt/);
    expect(await subsOf('target')).toEqual([]); // the forward subscription is gone from Aurora
    expect(await slotsOf('source')).toEqual([]); // and with it its slot on the old source
    expect(await subsOf('source')).toEqual([]);

    // Resumed, and killed right after CREATE SUBSCRIPTION committed on the old source, before its checkpoint.
    const dying = dyingAt('subscribedAt');
    const killed = await runLocal(reverseReplication, spec, { planName: 'reverse', checkpoint: dying });
    expect(killed.error?.message).toMatch(/SIGKILL \(test\): before the checkpoint subscribedAt/);
    expect(killed.named('forward-subscription-dropped')).toEqual([expect.objectContaining({ how: 'adopted' })]);
    expect(await subsOf('source')).toEqual([REVERSE_SUB]);

    // A second run from the same checkpoint, killed again at the same place: it adopts, never a second subscription.
    const again = await runLocal(reverseReplication, spec, { planName: 'reverse', checkpoint: dying });
    expect(again.error?.message).toMatch(/SIGKILL \(test\)/);
    expect(await subsOf('source')).toEqual([REVERSE_SUB]);

    // apply resumes the plan: its own (fresh) checkpoint, everything found by name and adopted. (A table
    // in the reverse publication that lost its replica identity on Aurora meanwhile is given FULL again.)
    await world.target.query('ALTER TABLE audit_log REPLICA IDENTITY DEFAULT', [], 'orders');
    const r = await apply('reverse', forwardPlan());
    expect(
      (
        await onAurora<{ r: string }>(`SELECT relreplident AS r FROM pg_class WHERE oid = 'public.audit_log'::regclass`)
      )[0].r,
    ).toBe('f');
    expect(readFileSync(join(dir, 'reverse.state.json.events.jsonl'), 'utf8')).toMatch(
      /public\.audit_log on Aurora had no replica identity while in the reverse publication/,
    );
    expect(r.outcome, JSON.stringify(r.failed)).toBe('succeeded');
    expect(r.steps.find((s) => s.id === 'fallback')!.outputs).toEqual({
      publication: REVERSE_SLOT,
      subscription: REVERSE_SUB,
      slot: REVERSE_SLOT,
    });
    expect(await subsOf('source')).toEqual([REVERSE_SUB]);
    expect(await subsOf('target')).toEqual([]);
    expect(await slotsOf('source')).toEqual([]);
    expect(await slotsOf('target')).toEqual([REVERSE_SLOT]);
    expect(
      (
        await world.target.query<{ a: boolean }>('SELECT active AS a FROM pg_replication_slots WHERE slot_name = $1', [
          REVERSE_SLOT,
        ])
      )[0].a,
    ).toBe(true);

    // The writes made on Aurora right after the switch are on the old source, which stays fenced for the application.
    expect(
      Number((await onOld<{ n: string }>(`SELECT count(*) AS n FROM orders WHERE status = 'after-switch'`))[0].n),
    ).toBe(25);
    expect((await onOld<{ name: string }>('SELECT name FROM customers WHERE id = 7'))[0].name).toBe(
      'renamed after the switch',
    );
    expect(await onOld('SELECT 1 FROM "Order Notes" WHERE "Id" = 3')).toEqual([]);
    expect(
      (
        await onOld<{ what: string }>(
          `SELECT what FROM audit_log WHERE what IN ('boot 5', 'updated on Aurora', 'boot 6') ORDER BY 1`,
        )
      ).map((r) => r.what),
    ).toEqual(['updated on Aurora']);
    expect(await publicCanConnect(world.source, 'orders')).toBe(false);
    // No secret in the state or the event log.
    for (const f of ['reverse.state.json', 'reverse.state.json.events.jsonl']) {
      const text = readFileSync(join(dir, f), 'utf8');
      for (const secret of Object.values(ENV)) expect(text, f).not.toContain(secret);
    }
    const events = readFileSync(join(dir, 'reverse.state.json.events.jsonl'), 'utf8');
    expect(events).toMatch(/CREATE SUBSCRIPTION .*password=\*\*\*/);
  }, 120_000);

  it('the fallback plan switches back with the application writing on Aurora: 0 lost acknowledged writes', async () => {
    writer = await startWriter({
      connection: appOnAurora(),
      table: 'app_writes_back',
      createTable: false,
      ratePerSecond: 100,
      mode: 'begin-read-write',
    });
    await writer.waitForAcks(30, 20_000);
    const r = await apply('reverse-fallback', fallbackPlan());
    const run = await writer.stop();
    writer = undefined;
    expect(r.outcome, JSON.stringify(r.failed)).toBe('succeeded');
    expect(r.cutover).toMatchObject({ status: 'committed', pointOfNoReturn: { stepId: 'switch' } });
    expect(run.errors.refused + run.errors.terminated).toBeGreaterThan(0); // the writer met the fence on Aurora
    const have = new Set(
      (await onOld<{ seq: string }>('SELECT seq::text AS seq FROM app_writes_back')).map((x) => Number(x.seq)),
    );
    expect(run.acks.length).toBeGreaterThan(30);
    expect(run.acks.filter((a) => !have.has(a.seq))).toEqual([]);
    expect(await countOn(world.source, 'orders')).toBe(await countOn(world.target, 'orders'));
    // The reverse subscription stopped; the old source is the application's again (fence lifted) and its sequences are past Aurora's.
    expect((await onOld<{ e: boolean }>('SELECT subenabled AS e FROM pg_subscription'))[0].e).toBe(false);
    expect(await publicCanConnect(world.source, 'orders')).toBe(true);
    await asRole(world.app, async (c) => {
      for (let i = 0; i < 3; i++) await c.query(`INSERT INTO orders (customer_id, amount) VALUES (1, 2.00)`);
    });
    expect(aws.route53.record(APP_NAME, 'CNAME')?.values).toEqual([SOURCE_NAME]);
  }, 120_000);

  it('drop-replication on both servers leaves no slot, publication or subscription on either side', async () => {
    const r = await apply('reverse-cleanup', cleanupPlan());
    expect(r.outcome, JSON.stringify(r.failed)).toBe('succeeded');
    for (const server of ['source', 'target'] as const) {
      expect({
        server,
        slots: await slotsOf(server),
        publications: await pubsOf(server),
        subscriptions: await subsOf(server),
      }).toEqual({ server, slots: [], publications: [], subscriptions: [] });
    }
  }, 60_000);
});
