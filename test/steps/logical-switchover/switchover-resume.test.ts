// logical-switchover's convergence on real servers (14 → 18), step by step in-process (a cutover
// handle stands in for the engine's window): a run killed at each instant that matters resumes
// from its checkpoint and converges — after DISABLE before its checkpoint, after the reverse
// publication before the slot — without a second slot or publication; the undo converges when run
// twice; the margin moves sequences in their own direction and a sequence it would push past its
// bounds fails the step before any is set; preflight names what the tool may not setval, with the GRANT;
// a target where the reverse slot cannot be made stops the step before the marker.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPgConnector } from '../../../src/db/pg-connector.js';
import { memoryCheckpoint } from '../../../src/engine/step-context.js';
import { logicalReplica } from '../../../src/steps/logical-replica/index.js';
import { logicalSwitchover } from '../../../src/steps/logical-switchover/index.js';
import { shiftedValue } from '../../../src/steps/logical-switchover/sequences.js';
import { switchoverPreflight } from '../../../src/steps/logical-switchover/preflight.js';
import type { LogicalSwitchoverSpec } from '../../../src/plan/types.js';
import type { CutoverHandle } from '../../../src/steps/step.js';
import { runLocal } from '../../support/logical/run-logical.js';
import { conn, stepSpec } from '../../support/logical/spec.js';
import { asRole, startLogicalWorld, type LogicalWorld } from '../../support/logical/world.js';

let w: LogicalWorld;
const SUB = 'aurora_migrate_orders_replicate';
const REVERSE = 'aurora_migrate_orders_switchover';

beforeAll(async () => {
  w = await startLogicalWorld({ rows: 500, targetWalLevel: 'logical' });
  await w.target.query(`ALTER ROLE ${w.targetMaster.user} REPLICATION`); // stand-in of GRANT rds_replication TO master on Aurora (stock PostgreSQL has an attribute instead)
  await asRole(w.app, (c) => c.query('CREATE SEQUENCE countdown INCREMENT BY -1 MINVALUE -100 MAXVALUE 100 START 50'));
  const r = await runLocal(logicalReplica, stepSpec(w));
  if (r.error) throw r.error;
}, 120_000);
afterAll(() => w?.stop(), 60_000);

const cutover = (): CutoverHandle => ({
  openedBy: 'freeze',
  frozenAt: new Date().toISOString(),
  deadline: new Date(Date.now() + 60_000).toISOString(),
  sourceConnection: () => conn(w.sourceMaster),
  frozenBefore: () => ({ settings: {} }),
  describeFence: () => 'not fenced (test)',
  crossPointOfNoReturn: async () => undefined,
});
const spec = (extra: Record<string, unknown> = {}) => ({
  id: 'switchover',
  type: 'logical-switchover',
  subscription: SUB,
  source: conn(w.sourceMaster),
  target: conn(w.targetMaster),
  rolePasswords: { app: 'app-target-password' },
  rolesReady: ['master'],
  reversePublication: true,
  ...extra,
});
const onTarget = <R = Record<string, unknown>>(sql: string) => w.target.query<R>(sql, [], 'orders');
const enabled = async () =>
  (await onTarget<{ e: boolean }>(`SELECT subenabled AS e FROM pg_subscription WHERE subname = '${SUB}'`))[0]!.e;
const slots = async () =>
  (await w.target.query<{ s: string }>('SELECT slot_name AS s FROM pg_replication_slots ORDER BY 1')).map((r) => r.s);
const pubs = async () =>
  (await onTarget<{ p: string }>('SELECT pubname AS p FROM pg_publication ORDER BY 1')).map((r) => r.p);

describe('logical-switchover converges (real 14 → 18)', () => {
  it('the margin moves each sequence in its own direction; bounds are never passed', () => {
    expect(shiftedValue({ lastValue: 10n, display: 'up' }, 1n, 1n, 1000n, 5n)).toEqual({ value: 15n });
    expect(shiftedValue({ lastValue: 10n, display: 'down' }, -2n, -100n, 100n, 5n)).toEqual({ value: 5n });
    expect(shiftedValue({ lastValue: 998n, display: 'public.full' }, 1n, 1n, 1000n, 5n)).toEqual({
      problem: 'sequence public.full would be set to 1003 (source 998, sequenceMargin 5), outside its bounds [1, 1000]',
    });
  });

  it('a margin that would push a sequence past its bounds fails before any sequence is set; then undo', async () => {
    const before = await onTarget<{ v: string }>('SELECT last_value::text AS v FROM orders_id_seq');
    const cp = memoryCheckpoint();
    const r = await runLocal(logicalSwitchover, spec({ sequenceMargin: 200 }), { cutover: cutover(), checkpoint: cp });
    expect(r.error?.message).toMatch(
      /sequence public\.countdown would be set to -150 \(source 50, sequenceMargin 200\), outside its bounds \[-100, 100\]\. No sequence was changed\. Lower sequenceMargin or widen the sequence/,
    );
    expect(await onTarget('SELECT last_value::text AS v FROM orders_id_seq')).toEqual(before);
    const undo = await runLocal(logicalSwitchover, spec(), { cutover: cutover(), checkpoint: cp, undo: true });
    expect(undo.error).toBeUndefined();
    expect(await enabled()).toBe(true);
  }, 60_000);

  it('the whole switchover with a margin, then its undo twice: subscription back on, no reverse slot or publication left', async () => {
    const cp = memoryCheckpoint();
    const r = await runLocal(logicalSwitchover, spec({ sequenceMargin: 30 }), { cutover: cutover(), checkpoint: cp });
    expect(r.error).toBeUndefined();
    expect(r.outputs).toMatchObject({ caughtUpAt: expect.any(String), sequencesCopied: 4, reverseSlot: REVERSE });
    const [{ v }] = await w.source.query<{ v: string }>(
      'SELECT last_value::text AS v FROM orders_id_seq',
      [],
      'orders',
    );
    expect((await onTarget<{ v: string }>('SELECT last_value::text AS v FROM orders_id_seq'))[0]!.v).toBe(
      String(Number(v) + 30),
    );
    expect((await onTarget<{ v: string }>('SELECT last_value::text AS v FROM countdown'))[0]!.v).toBe('20'); // descending: 50 - 30
    expect(await enabled()).toBe(false);
    expect(await slots()).toEqual([REVERSE]);
    expect(await pubs()).toEqual([REVERSE]);
    for (let i = 0; i < 2; i++) {
      const u = await runLocal(logicalSwitchover, spec(), { cutover: cutover(), checkpoint: cp, undo: true });
      expect(u.error).toBeUndefined();
    }
    expect(await enabled()).toBe(true);
    expect(await slots()).toEqual([]);
    expect(await pubs()).toEqual([]);
  }, 60_000);

  it('killed right after DISABLE (before its checkpoint), then right after the reverse publication: each resume converges, one slot and one publication', async () => {
    const done = {
      token: 'earlier',
      commitLsn: '0/0',
      caughtUpAt: new Date().toISOString(),
      sequencesCopied: 4,
      viewsRefreshed: [],
    };
    // 1. The DISABLE went through, its checkpoint did not: the resume does not mistake it for a subscription someone else disabled.
    await onTarget(`ALTER SUBSCRIPTION ${SUB} DISABLE`);
    const cp = memoryCheckpoint({ ...done, disabling: true });
    const r1 = await runLocal(logicalSwitchover, spec(), { cutover: cutover(), checkpoint: cp });
    expect(r1.error).toBeUndefined();
    expect(cp.get()).toMatchObject({ disabledAt: expect.any(String), reverseSlot: REVERSE });
    expect(await slots()).toEqual([REVERSE]);
    await runLocal(logicalSwitchover, spec(), { cutover: cutover(), checkpoint: cp, undo: true });
    expect(await enabled()).toBe(true);

    // 2. The reverse publication was created, the slot not yet: the resume adopts the one and creates the other.
    await asRole({ ...w.targetMaster }, (c) => c.query(`ALTER SUBSCRIPTION ${SUB} DISABLE`));
    await asRole({ ...w.targetMaster }, (c) => c.query(`CREATE PUBLICATION ${REVERSE} FOR TABLE public.orders`));
    const cp2 = memoryCheckpoint({
      ...done,
      disabling: true,
      disabledAt: new Date().toISOString(),
      rolesChecked: ['app'],
      reverseCreating: REVERSE,
    });
    const r2 = await runLocal(logicalSwitchover, spec(), { cutover: cutover(), checkpoint: cp2 });
    expect(r2.error).toBeUndefined();
    expect(r2.named('reverse-publication')).toEqual([{ name: REVERSE, publicationWas: 'adopted', slotWas: 'created' }]);
    expect(await slots()).toEqual([REVERSE]);
    expect(await pubs()).toEqual([REVERSE]);
    // A subscription disabled by someone else (no checkpoint of ours) is not silently enabled: the step says so.
    await runLocal(logicalSwitchover, spec(), { cutover: cutover(), checkpoint: cp2, undo: true });
    await onTarget(`ALTER SUBSCRIPTION ${SUB} DISABLE`);
    const r3 = await runLocal(logicalSwitchover, spec(), { cutover: cutover() });
    expect(r3.error?.message).toMatch(
      /subscription aurora_migrate_orders_replicate on the target is disabled, so the target cannot catch up with the source\. Run ALTER SUBSCRIPTION/,
    );
    const u3 = await runLocal(logicalSwitchover, spec(), { cutover: cutover(), undo: true });
    expect(u3.error).toBeUndefined();
    expect(await enabled()).toBe(false); // not ours to enable
    await onTarget(`ALTER SUBSCRIPTION ${SUB} ENABLE`);
  }, 60_000);

  it('preflight (read-only) names a sequence the tool may not setval, with the GRANT, and a role that connects to the source but is in neither list', async () => {
    await w.target.query('CREATE ROLE billing NOLOGIN');
    await w.target.query('CREATE SEQUENCE public.billing_seq', [], 'orders');
    await w.target.query('ALTER SEQUENCE public.billing_seq OWNER TO billing', [], 'orders');
    try {
      const ctx = {
        planName: 'orders',
        stepId: 'switchover',
        aws: { send: () => Promise.reject(new Error('no AWS')) },
        db: createPgConnector(),
        signal: new AbortController().signal,
      };
      const checks = await switchoverPreflight(spec() as unknown as LogicalSwitchoverSpec, ctx);
      expect(checks).toContainEqual({ status: 'pass', check: 'subscription', detail: `${SUB} exists and is enabled` });
      expect(checks).toContainEqual({
        status: 'fail',
        check: 'setval and REFRESH on the target',
        detail: 'master may not setval or refresh public.billing_seq; run on the target: GRANT billing TO master',
      });
      expect(checks).toContainEqual({
        status: 'pass',
        check: 'reverse publication',
        detail: "the target has wal_level = logical and the tool's user may create the slot",
      });
      expect(checks).toContainEqual({
        status: 'pass',
        check: 'roles that connect to the source',
        detail: 'app: each in rolePasswords or rolesReady',
      });
      const without = await switchoverPreflight(spec({ rolePasswords: {} }) as unknown as LogicalSwitchoverSpec, ctx);
      expect(without.find((c) => c.check === 'roles that connect to the source')).toMatchObject({
        status: 'fail',
        detail: expect.stringMatching(/^app can connect to orders but is in neither rolePasswords nor rolesReady/),
      });
    } finally {
      await w.target.query('DROP SEQUENCE public.billing_seq', [], 'orders');
      await w.target.query('DROP ROLE billing');
    }
  }, 60_000);

  it('a target where the tool may not create the reverse slot stops the step before the marker is written', async () => {
    const markers = async () =>
      Number(
        (
          await w.source.query<{ n: string }>('SELECT count(*) AS n FROM aurora_migrate.cutover_marker', [], 'orders')
        )[0]!.n,
      );
    const before = await markers();
    await w.target.query(`ALTER ROLE ${w.targetMaster.user} NOREPLICATION`);
    try {
      const r = await runLocal(logicalSwitchover, spec(), { cutover: cutover() });
      expect(r.error?.message).toMatch(
        /master may not create a replication slot on the target: on Aurora run GRANT rds_replication TO master .*\. Nothing was changed on the target\./,
      );
      expect(await markers()).toBe(before);
      expect(await enabled()).toBe(true);
    } finally {
      await w.target.query(`ALTER ROLE ${w.targetMaster.user} REPLICATION`);
    }
  }, 60_000);
});
