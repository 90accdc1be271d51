// logical-replica on real servers, PostgreSQL 14 → 18, with the tool logged in as RDS-like master
// users (never a superuser; the harness's superuser installs only the DDL guard's event trigger,
// which stock PostgreSQL lets nobody else create — on RDS the master user may).
import { afterEach, describe, expect, it } from 'vitest';
import { logicalReplica } from '../../../src/steps/logical-replica/index.js';
import { startChurn, type Churn } from '../../support/logical/churn.js';
import { runLocal } from '../../support/logical/run-logical.js';
import {
  asRole,
  countOn,
  replicationObjects,
  startLogicalWorld,
  type LogicalWorld,
} from '../../support/logical/world.js';
import { stepSpec } from '../../support/logical/spec.js';

let w: LogicalWorld | undefined;
let churn: Churn | undefined;
afterEach(async () => {
  await churn?.stop();
  await w?.stop();
  w = churn = undefined;
});

describe('logical-replica on real servers (14 → 18)', () => {
  it('copies roles, schema and data under INSERT/UPDATE/DELETE traffic, then keeps the target in sync', async () => {
    w = await startLogicalWorld({ rows: 50_000 });
    churn = startChurn(w.app, {
      everyMs: 2,
      extra: [
        `UPDATE audit_log SET what = what || '.' WHERE what = (SELECT what FROM audit_log ORDER BY random() LIMIT 1)`,
        `DELETE FROM audit_log WHERE what LIKE '%.....'`,
      ],
    });
    // How many changes the application made while the tables were being copied.
    const during = { start: { update: 0, delete: 0 }, end: { update: 0, delete: 0 } };
    const r = await runLocal(logicalReplica, stepSpec(w), {
      onEvent: (e) => {
        if (e.type === 'step-event' && e.name === 'subscription-created') during.start = { ...churn!.counts };
        if (e.type === 'step-event' && e.name === 'copy-done') during.end = { ...churn!.counts };
      },
    });
    expect(r.error?.message).toBeUndefined();
    expect(during.end.update - during.start.update).toBeGreaterThan(0);
    expect(r.outputs).toMatchObject({
      publication: 'aurora_migrate_orders_replicate',
      subscription: 'aurora_migrate_orders_replicate',
      slot: 'aurora_migrate_orders_replicate',
      tables: ['public."Order Notes"', 'public.audit_log', 'public.customers', 'public.events', 'public.orders'],
      rowsCopied: expect.any(Number),
      syncedAt: expect.any(String),
      lagBytes: expect.any(Number),
    });
    expect(r.outputs!.rowsCopied as number).toBeGreaterThan(50_000);
    expect(r.warnings.join('\n')).toMatch(/left out of the publication .*public\.session_cache \(unlogged\)/);
    expect(r.warnings.join('\n')).not.toMatch(/no password on the target/);
    expect(churn.counts.update).toBeGreaterThan(10);
    expect(churn.counts.delete).toBeGreaterThan(3);

    // Writes made now arrive on the target (UPDATE and DELETE included): stop the writer, wait for the marker of sync.
    await churn.stop();
    await w.source.query(
      `INSERT INTO aurora_migrate.cutover_marker (run_id, token) VALUES ('t', 'done')`,
      [],
      'orders',
    );
    for (
      let i = 0;
      i < 100 &&
      (await w.target.query(`SELECT 1 FROM aurora_migrate.cutover_marker WHERE token = 'done'`, [], 'orders'))
        .length === 0;
      i++
    )
      await new Promise((res) => setTimeout(res, 100));
    for (const t of ['customers', 'orders', 'events', 'audit_log', '"Order Notes"'])
      expect(await countOn(w.target, t), t).toBe(await countOn(w.source, t));
    // audit_log has no key: opted in with replicaIdentityFull, its UPDATEs and DELETEs work on the source and arrive.
    expect(
      await w.source.query(`SELECT relreplident::text AS r FROM pg_class WHERE relname = 'audit_log'`, [], 'orders'),
    ).toEqual([{ r: 'f' }]);
    const audit = `SELECT string_agg(what, ',' ORDER BY what) AS w FROM audit_log`;
    expect(await w.target.query(audit, [], 'orders')).toEqual(await w.source.query(audit, [], 'orders'));
    expect(churn.errors).toEqual([]);
    const sum = `SELECT sum(amount)::text AS s, count(*) FILTER (WHERE status = 'paid')::int AS paid FROM orders`;
    expect(await w.target.query(sum, [], 'orders')).toEqual(await w.source.query(sum, [], 'orders'));
    expect(await countOn(w.target, 'session_cache')).toBe(0); // unlogged: schema only

    // Schema: keys before the copy, the rest after (index, foreign key, materialized view data), owners, roles.
    const objects = await w.target.query<{ name: string }>(
      `SELECT conname AS name FROM pg_constraint WHERE connamespace = 'public'::regnamespace UNION SELECT indexname FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1`,
      [],
      'orders',
    );
    expect(objects.map((o) => o.name)).toEqual(
      expect.arrayContaining([
        'orders_pkey',
        'customers_pkey',
        'events_pkey',
        'events_2025_pkey',
        'orders_customer_idx',
        'orders_customer_id_fkey',
      ]),
    );
    expect(await countOn(w.target, 'order_totals')).toBeGreaterThan(0);
    const [owner] = await w.target.query<{ o: string }>(
      `SELECT tableowner AS o FROM pg_tables WHERE tablename = 'orders'`,
      [],
      'orders',
    );
    expect(owner!.o).toBe('app');
    // The application's role logs in to the target with the password from rolePasswords.
    await asRole({ ...w.targetMaster, user: 'app', password: 'app-target-password' }, async (c) =>
      expect((await c.query('SELECT count(*)::int AS n FROM orders')).rows[0].n).toBeGreaterThan(0),
    );
    // … sent as a SCRAM verifier, so the target's statement log never holds the password.
    expect(
      (await w.target.query<{ p: string }>(`SELECT rolpassword AS p FROM pg_authid WHERE rolname = 'app'`))[0]!.p,
    ).toMatch(/^SCRAM-SHA-256\$4096:/);

    // Progress and lag samples for the run report; commands recorded without the password.
    const progress = r.named('copy-progress');
    expect(progress.some((p) => p.table === 'public.orders' && (p.rows as number) > 0)).toBe(true);
    expect(progress.filter((p) => p.table === 'public."Order Notes"').at(-1)).toMatchObject({
      rows: 10,
      totalRows: 10,
    });
    expect(r.named('lag-sample').every((s) => s.unit === 'bytes')).toBe(true);
    expect(r.commands.filter((c) => !c.args.includes('--version')).map((c) => c.program.split('/').at(-1))).toEqual([
      'pg_dumpall',
      'pg_dump', // pre-data
      'pg_dump', // post-data, beside it: its keys before the copy, the rest after
      'psql',
      'psql',
      'psql',
    ]);
    const logged = JSON.stringify(r.events);
    for (const secret of [w.sourceMaster.password!, w.targetMaster.password!, 'app-target-password'])
      expect(logged).not.toContain(secret);
    expect(logged).toMatch(/CREATE SUBSCRIPTION .*password=\*\*\*/);
    expect(logged).toMatch(/ALTER ROLE \\"app\\" PASSWORD \*\*\*/);
    expect(await replicationObjects(w)).toMatchObject({
      slots: ['aurora_migrate_orders_replicate'],
      publications: ['aurora_migrate_orders_replicate'],
      subscriptions: ['aurora_migrate_orders_replicate'],
    });
  }, 120_000);
});

describe('logical-replica over a long wait', () => {
  it('a lost connection while waiting (a network blip, a failover) is reconnected, not a failure', async () => {
    w = await startLogicalWorld({ rows: 500 });
    let terminated = 0;
    let copied = false;
    const running = runLocal(logicalReplica, stepSpec(w, { stableFor: '4s' }), {
      onEvent: (e) => {
        if (e.type === 'progress' && /polls within/.test(e.detail)) copied = true;
      },
    });
    for (let i = 0; i < 400 && !copied; i++) await new Promise((res) => setTimeout(res, 25));
    for (const server of [w.source, w.target]) {
      const rows = await server.query<{ n: number }>(
        `SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE application_name = 'aurora-migrate' AND pid <> pg_backend_pid()`,
      );
      terminated += rows[0]!.n;
    }
    const r = await running;
    expect(terminated).toBeGreaterThanOrEqual(1);
    expect(r.error?.message).toBeUndefined();
    expect(r.events.some((e) => e.type === 'progress' && /cannot be reached: .*; retrying/.test(e.detail))).toBe(true);
  }, 60_000);
});

describe('logical-replica when the apply keeps failing', () => {
  it('progress names the failing apply worker (pg_stat_subscription_stats) instead of only a growing lag', async () => {
    w = await startLogicalWorld({ rows: 200 });
    const ctl = new AbortController();
    let waiting = false;
    let failing = '';
    const running = runLocal(logicalReplica, stepSpec(w, { stableFor: '1h' }), {
      signal: ctl.signal,
      onEvent: (e) => {
        if (e.type !== 'progress') return;
        if (/polls within/.test(e.detail)) waiting = true;
        if (/apply worker failed/.test(e.detail)) {
          failing = e.detail;
          ctl.abort();
        }
      },
    });
    for (let i = 0; i < 400 && !waiting; i++) await new Promise((res) => setTimeout(res, 25));
    // A row on the target that the source is about to insert too: the apply worker stops on a duplicate key.
    await w.target.query(`INSERT INTO orders (id, customer_id, amount) VALUES (100000, 1, 1)`, [], 'orders');
    await w.source.query(`INSERT INTO orders (id, customer_id, amount) VALUES (100000, 1, 2)`, [], 'orders');
    const r = await running;
    expect(failing).toMatch(/the target's apply worker failed \d+ time\(s\) \(see the target's log\)/);
    expect(r.error?.name).toBe('Interrupted');
  }, 60_000);
});
