// What logical-replica refuses and what stops it, on real servers (14 → 18): a table without a
// replica identity is refused before anything is created (and UPDATE on it keeps working on the
// source); the application's own CREATE TEMP TABLE works with the DDL guard installed while real
// DDL stops the step naming the command; a maxSlotLag trip drops the subscription and its slot so
// the source keeps no WAL for it, and the next run copies again into emptied tables; drop-replication
// leaves nothing behind on either side.
import { afterEach, describe, expect, it } from 'vitest';
import { logicalReplica } from '../../../src/steps/logical-replica/index.js';
import { dropReplication } from '../../../src/steps/drop-replication/index.js';
import { memoryCheckpoint } from '../../../src/engine/step-context.js';
import { runLocal } from '../../support/logical/run-logical.js';
import {
  asRole,
  countOn,
  replicationObjects,
  startLogicalWorld,
  type LogicalWorld,
} from '../../support/logical/world.js';
import { conn, stepSpec } from '../../support/logical/spec.js';

let w: LogicalWorld | undefined;
afterEach(async () => {
  await w?.stop();
  w = undefined;
});

const until = async (what: string, ok: () => Promise<boolean> | boolean, ms = 20_000) => {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 50)))
    if (await ok()) return;
  throw new Error(`timed out waiting for ${what}`);
};

describe('logical-replica refusals and guards (14 → 18)', () => {
  it('refuses a table without a replica identity before creating anything; UPDATE on it keeps working on the source', async () => {
    w = await startLogicalWorld({ rows: 100 });
    const r = await runLocal(logicalReplica, stepSpec(w, { replicaIdentityFull: undefined }));
    expect(r.error?.message).toMatch(
      /public\.audit_log has no primary key and no replica identity: once in a publication, every UPDATE and DELETE on it would FAIL ON PRODUCTION\. Nothing was created\..*replicaIdentityFull: \[public\.audit_log\]/,
    );
    expect(r.events.filter((e) => e.type === 'step-event' && e.name === 'sql')).toEqual([]);
    expect(r.commands.filter((c) => !c.args.includes('--version'))).toEqual([]);
    expect(await replicationObjects(w)).toEqual({ slots: [], publications: [], subscriptions: [] });
    expect((await w.target.query(`SELECT 1 FROM pg_database WHERE datname = 'orders'`)).length).toBe(0);
    await asRole(w.app, async (c) =>
      expect((await c.query(`UPDATE audit_log SET what = what || '!'`)).rowCount).toBe(20),
    );

    // Large objects are refused the same way, unless largeObjects: skip.
    await asRole(w.app, (c) => c.query(`SELECT lo_from_bytea(0, 'scan.pdf'::bytea)`));
    const lo = await runLocal(logicalReplica, stepSpec(w));
    expect(lo.error?.message).toMatch(
      /the source database has 1 large object\(s\) \(pg_largeobject\), which logical replication does not copy\. Nothing was created\. .*largeObjects: skip/,
    );
    expect(await replicationObjects(w)).toEqual({ slots: [], publications: [], subscriptions: [] });
  }, 60_000);

  it("the DDL guard: the application's CREATE TEMP TABLE works and is not counted; an ALTER TABLE during the copy stops the step naming it", async () => {
    w = await startLogicalWorld({ rows: 500 });
    const ctl = new AbortController();
    let subscribed = false;
    const running = runLocal(logicalReplica, stepSpec(w, { stableFor: '1h', rolePasswords: undefined }), {
      signal: ctl.signal,
      onEvent: (e) => {
        if (e.type === 'step-event' && e.name === 'subscription-created') subscribed = true;
      },
    });
    await until('the copy to start', () => subscribed);
    await asRole(w.app, async (c) => {
      await c.query('CREATE TEMP TABLE scratch (id int PRIMARY KEY)');
      await c.query('CREATE INDEX ON scratch (id)');
      await c.query('DROP TABLE scratch');
      // Statements that change no replicated table are not DDL for the guard either.
      await c.query(`COMMENT ON TABLE orders IS 'the orders'`);
      await c.query('GRANT SELECT ON orders TO master');
      await c.query('REVOKE SELECT ON orders FROM master');
      await c.query('GRANT SELECT ON orders TO master');
      await c.query('REFRESH MATERIALIZED VIEW order_totals');
    });
    await new Promise((r) => setTimeout(r, 600)); // a few polls: no trip for temporary objects
    await asRole(w.app, (c) => c.query('ALTER TABLE orders ADD COLUMN note text'));
    const r = await Promise.race([
      running,
      new Promise<never>((_, rej) => setTimeout(() => rej(new Error('the step did not stop')), 20_000)),
    ]);
    expect(r.error?.message).toMatch(
      /DDL ran on the source during the replication: ALTER TABLE public\.orders \(by app at [^)]+\)\. DDL is not replicated/,
    );
    expect(r.error?.message).not.toMatch(/scratch|COMMENT|GRANT|REVOKE|REFRESH/);
    expect(r.error?.message).toMatch(
      /Subscription aurora_migrate_orders_replicate and slot aurora_migrate_orders_replicate were kept/,
    );
    expect(r.warnings.join('\n')).toMatch(
      /role app can log in to the source but has no password on the target .*rolePasswords/,
    );
  }, 60_000);

  it('a maxSlotLag trip drops the subscription and its slot (no WAL kept for it); the next run copies again and never makes a second', async () => {
    w = await startLogicalWorld({ rows: 3000 });
    const checkpoint = memoryCheckpoint();
    // Keep WAL growing so the slot has something to hold.
    const load = setInterval(
      () =>
        void w?.source
          .query(`INSERT INTO orders (customer_id, amount) SELECT 1, 1 FROM generate_series(1, 200)`, [], 'orders')
          .catch(() => undefined),
      20,
    );
    try {
      const tripped = await runLocal(logicalReplica, stepSpec(w, { maxSlotLag: '1KiB', stableFor: '1h' }), {
        checkpoint,
      });
      expect(tripped.error?.message).toMatch(
        // The subscription's own slot, or one of its table-copy slots when that trips first (a busy machine).
        /guard tripped: replication slot (aurora_migrate_orders_replicate|pg_\d+_sync_\d+_\d+ \(the subscription's copy of one table\)) keeps .* of WAL on the source, over maxSlotLag 1KiB\. onGuardTrip: drop-slot dropped subscription aurora_migrate_orders_replicate and its slot/,
      );
      expect(await replicationObjects(w)).toMatchObject({ slots: [], subscriptions: [] });
      const [{ n }] = await w.source.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_replication_slots`);
      expect(n).toBe(0);
    } finally {
      clearInterval(load);
    }
    const again = await runLocal(logicalReplica, stepSpec(w), { checkpoint, attempt: 2 });
    expect(again.error?.message).toBeUndefined();
    expect(await countOn(w.target, 'orders')).toBe(await countOn(w.source, 'orders'));
    expect(await replicationObjects(w)).toMatchObject({
      slots: ['aurora_migrate_orders_replicate'],
      subscriptions: ['aurora_migrate_orders_replicate'],
    });

    // drop-replication: the subscription on the target (and with it the slot), then the publication and the guard on the source.
    const onTarget = await runLocal(dropReplication, {
      id: 'cleanup-target',
      type: 'drop-replication',
      connection: conn(w.targetMaster),
      subscriptions: ['aurora_migrate_orders_replicate'],
    });
    expect(onTarget.outputs).toEqual({ dropped: ['subscription aurora_migrate_orders_replicate'] });
    const onSource = await runLocal(dropReplication, {
      id: 'cleanup-source',
      type: 'drop-replication',
      connection: conn(w.sourceAdmin),
      publications: ['aurora_migrate_orders_replicate'],
      slots: ['aurora_migrate_orders_replicate'],
      ddlGuard: true,
    });
    expect(onSource.error?.message).toBeUndefined();
    expect(onSource.outputs).toEqual({ dropped: ['publication aurora_migrate_orders_replicate', 'DDL guard'] });
    expect(await replicationObjects(w)).toEqual({ slots: [], publications: [], subscriptions: [] });
    expect(await w.source.query(`SELECT evtname FROM pg_event_trigger`, [], 'orders')).toEqual([]);
    // Running it again finds nothing to drop and succeeds.
    const twice = await runLocal(dropReplication, {
      id: 'cleanup-source',
      type: 'drop-replication',
      connection: conn(w.sourceAdmin),
      publications: ['aurora_migrate_orders_replicate'],
      slots: ['aurora_migrate_orders_replicate'],
      ddlGuard: true,
    });
    expect(twice.outputs).toEqual({ dropped: [] });
  }, 90_000);

  it('drop-replication refuses an active slot, naming who reads it', async () => {
    w = await startLogicalWorld({ rows: 100 });
    const r = await runLocal(logicalReplica, stepSpec(w));
    expect(r.error?.message).toBeUndefined();
    await until(
      'the walsender to be active',
      async () => (await w!.source.query(`SELECT 1 FROM pg_replication_slots WHERE active`)).length > 0,
    );
    const refused = await runLocal(dropReplication, {
      id: 'cleanup',
      type: 'drop-replication',
      connection: conn(w.sourceMaster),
      publications: ['aurora_migrate_orders_replicate'],
      slots: ['aurora_migrate_orders_replicate'],
    });
    expect(refused.error?.message).toMatch(
      /replication slot aurora_migrate_orders_replicate is in use by pid \d+ \(user master, application_name "aurora-migrate-subscription", client 127\.0\.0\.\d+\); nothing was dropped/,
    );
    expect((await replicationObjects(w)).publications).toEqual(['aurora_migrate_orders_replicate']);
  }, 60_000);
});

describe('logical-replica CloudWatch guards through the AWS stand-in', () => {
  it('FreeStorageSpace below its bound: one GetMetricData per poll, then the subscription and its slot are dropped', async () => {
    const { startAwsStandin } = await import('../../../rehearsal/aws/index.js');
    const { createAwsApi } = await import('../../../src/aws/sdk-api.js');
    const aws = await startAwsStandin({
      seed: { instances: [{ id: 'orders-pg', engineVersion: '14.23', allocatedStorageGiB: 200 }] },
    });
    const api = createAwsApi({ env: aws.env, maxAttempts: 3 });
    try {
      w = await startLogicalWorld({ rows: 200 });
      const r = await runLocal(
        logicalReplica,
        stepSpec(w, { instance: 'orders-pg', guards: [{ metric: 'FreeStorageSpace', on: 'source', below: '200GiB' }] }),
        { aws: api },
      );
      expect(r.error?.message).toMatch(
        /guard tripped: FreeStorageSpace on source orders-pg is 120(\.0)?GiB \(below the threshold 200GiB\) at .*add storage to the source.*onGuardTrip: drop-slot dropped subscription aurora_migrate_orders_replicate and its slot/,
      );
      expect(aws.calls.count('GetMetricData')).toBe(1);
      expect(await replicationObjects(w)).toMatchObject({ slots: [], subscriptions: [] });

      // Preflight's WAL budget compares the expected WAL with the instance's FreeStorageSpace.
      const { logicalReplicaPreflight } = await import('../../../src/steps/logical-replica/preflight.js');
      const { createPgConnector } = await import('../../../src/db/pg-connector.js');
      const checks = await logicalReplicaPreflight(stepSpec(w, { instance: 'orders-pg' }) as never, {
        planName: 'orders',
        stepId: 'replicate',
        aws: api,
        db: createPgConnector(),
        signal: new AbortController().signal,
      });
      expect(checks.find((c) => c.check === 'WAL budget during the copy')).toMatchObject({
        status: 'pass',
        detail: expect.stringMatching(/copy ≈ \d+s .* of WAL kept by the slot; orders-pg has 120(\.0)?GiB free/),
      });
    } finally {
      api.destroy();
      await aws.close();
    }
  }, 60_000);
});

describe('logical-replica and locks on production tables', () => {
  it('ALTER TABLE … REPLICA IDENTITY FULL and CREATE PUBLICATION wait at most lock_timeout at a time and retry, so the application never queues long behind them', async () => {
    w = await startLogicalWorld({ rows: 200 });
    const { default: pg } = await import('pg');
    const holder = new pg.Client({
      host: w.app.host,
      port: w.app.port,
      database: 'orders',
      user: w.app.user,
      password: w.app.password,
    });
    await holder.connect();
    await holder.query('BEGIN');
    await holder.query('LOCK TABLE audit_log IN SHARE ROW EXCLUSIVE MODE'); // e.g. a long maintenance job
    let waiting = false;
    const events: unknown[] = [];
    const running = runLocal(logicalReplica, stepSpec(w), {
      onEvent: (e) => {
        events.push(e);
        if (e.type === 'progress' && /waiting for a lock/.test(e.detail)) waiting = true;
      },
    });
    await until('the step to wait for the lock', () => waiting).catch((err) => {
      console.log(JSON.stringify(events.slice(-6)));
      throw err;
    });
    // A reader of the table is not stuck behind the tool's queued lock for longer than lock_timeout.
    const started = Date.now();
    await asRole(w.app, (c) => c.query('SELECT count(*) FROM audit_log'));
    const readerWaited = Date.now() - started;
    await new Promise((r) => setTimeout(r, 1500));
    await holder.query('COMMIT');
    await holder.end();
    const r = await running;
    expect(r.error?.message).toBeUndefined();
    expect(readerWaited).toBeLessThan(2_500);
    expect(r.named('sql').find((e) => /REPLICA IDENTITY FULL/.test(String(e.sql)))).toMatchObject({
      lockTimeout: '2s',
    });
  }, 60_000);
});

describe('drop-replication when the publisher is gone', () => {
  it('drops the subscription anyway and names the slot left on the source', async () => {
    w = await startLogicalWorld({ rows: 100 });
    const r = await runLocal(logicalReplica, stepSpec(w));
    expect(r.error?.message).toBeUndefined();
    await w.source.stop();
    const drop = await runLocal(dropReplication, {
      id: 'cleanup-target',
      type: 'drop-replication',
      connection: conn(w.targetMaster),
      subscriptions: ['aurora_migrate_orders_replicate'],
    });
    expect(drop.error?.message).toBeUndefined();
    expect(drop.outputs).toEqual({ dropped: ['subscription aurora_migrate_orders_replicate'] });
    expect(drop.warnings.join('\n')).toMatch(
      /its publisher could not be reached: drop slot aurora_migrate_orders_replicate there/,
    );
    expect(await w.target.query('SELECT subname FROM pg_subscription', [], 'orders')).toEqual([]);
  }, 60_000);
});
