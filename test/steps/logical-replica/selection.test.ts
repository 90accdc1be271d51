// logical-replica with `tables:` instead of `schemas:` (a partitioned table brings its partitions'
// schema with it), and `schema: existing` (the target must already have each table).
import { afterEach, describe, expect, it } from 'vitest';
import { logicalReplica } from '../../../src/steps/logical-replica/index.js';
import { runLocal } from '../../support/logical/run-logical.js';
import { stepSpec } from '../../support/logical/spec.js';
import { countOn, replicationObjects, startLogicalWorld, type LogicalWorld } from '../../support/logical/world.js';

let w: LogicalWorld | undefined;
afterEach(async () => {
  await w?.stop();
  w = undefined;
});

describe('logical-replica selections (14 → 18)', () => {
  it('tables: only the listed tables are published and copied; a partitioned one with its partitions', async () => {
    w = await startLogicalWorld({ rows: 1000 });
    const r = await runLocal(
      logicalReplica,
      stepSpec(w, {
        schemas: undefined,
        tables: ['public.customers', 'public.orders', 'public.events'],
        replicaIdentityFull: undefined,
      }),
    );
    expect(r.error?.message).toBeUndefined();
    expect(r.outputs!.tables).toEqual(['public.customers', 'public.events', 'public.orders']);
    for (const t of ['customers', 'orders', 'events', 'events_2026'])
      expect(await countOn(w.target, t), t).toBe(await countOn(w.source, t));
    const tables = await w.target.query<{ t: string }>(
      `SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`,
      [],
      'orders',
    );
    expect(tables.map((x) => x.t)).toEqual(['customers', 'events', 'events_2025', 'events_2026', 'orders']);
    expect(r.commands.find((c) => c.program.endsWith('pg_dump') && !c.args.includes('--version'))!.args).toEqual(
      expect.arrayContaining([
        '--table="public"."events"',
        '--table="public"."events_2025"',
        '--table="public"."orders"',
      ]),
    );
  }, 60_000);

  it('schema: existing refuses a target that lacks the tables, naming them, before creating the subscription', async () => {
    w = await startLogicalWorld({ rows: 10 });
    await w.target.query('CREATE DATABASE orders OWNER master');
    await w.target.query('CREATE TABLE public.customers (id int PRIMARY KEY, name text NOT NULL)', [], 'orders');
    await w.target.query('CREATE TABLE public.orders (id int PRIMARY KEY, customer_id int)', [], 'orders');
    const r = await runLocal(
      logicalReplica,
      stepSpec(w, {
        schema: 'existing',
        schemas: undefined,
        tables: ['public.customers', 'public.orders', 'public.events'],
        replicaIdentityFull: undefined,
      }),
    );
    expect(r.error?.message).toMatch(
      /schema: existing, but on the target public\.events is missing; public\.orders has columns \(customer_id integer, id integer\) instead of \(amount numeric\(10,2\), created_at timestamp with time zone, customer_id integer, id integer, status text\)/,
    );
    expect(r.commands.filter((c) => !c.args.includes('--version'))).toEqual([]);
    expect((await replicationObjects(w)).subscriptions).toEqual([]);
  }, 60_000);
});
