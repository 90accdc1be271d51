// verify-data against two real PostgreSQL servers (embedded): the source and the target, loaded
// with the same data; then the target is changed behind the tool's back in the ways a cutover can
// go wrong, and the step must fail naming the table and both numbers.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startPostgres, type TestPostgres } from '../../../rehearsal/postgres/server.js';
import { createPgConnector } from '../../../src/db/pg-connector.js';
import { createStepContext, memoryCheckpoint, type StepEvent } from '../../../src/engine/step-context.js';
import type { ResolvedConnection } from '../../../src/db/api.js';
import type { AwsApi } from '../../../src/aws/api.js';
import type { ConnectionSpec, VerifyDataSpec } from '../../../src/plan/types.js';
import { verifyData } from '../../../src/steps/verify-data/verify-data.js';
import { steps } from '../../../src/steps/index.js';
import { StepFailed } from '../../../src/errors.js';

let source: TestPostgres;
let target: TestPostgres;
let src: ResolvedConnection;
let tgt: ResolvedConnection;
const db = createPgConnector();

const SETUP = `
CREATE TABLE public.customers (id bigserial PRIMARY KEY, name text NOT NULL);
CREATE TABLE public.orders (id bigserial PRIMARY KEY, customer_id bigint REFERENCES public.customers, total numeric(10,2), placed_at timestamptz, note text);
CREATE SCHEMA "Odd Schema";
CREATE TABLE "Odd Schema"."Line Items" (order_id bigint, n int, PRIMARY KEY (order_id, n));
CREATE SCHEMA aurora_migrate;
CREATE TABLE aurora_migrate.cutover_marker (token text);
INSERT INTO public.customers (name) SELECT 'c' || g FROM generate_series(1, 50) g;
INSERT INTO public.orders (customer_id, total, placed_at, note)
  SELECT 1 + g % 50, g * 1.25, timestamptz '2026-01-01 00:00:00+00' + g * interval '1 minute', CASE WHEN g % 7 = 0 THEN NULL ELSE 'n' || g END
  FROM generate_series(1, 2000) g;
INSERT INTO "Odd Schema"."Line Items" SELECT g, 1 FROM generate_series(1, 30) g;
`;

beforeAll(async () => {
  [source, target] = await Promise.all([startPostgres(), startPostgres()]);
}, 60_000);
afterAll(async () => {
  await Promise.all([source?.stop(), target?.stop()]);
});
let n = 0;
beforeEach(async () => {
  n += 1;
  src = await source.createDatabase(`orders_${n}`);
  tgt = await target.createDatabase(`orders_${n}`);
  await source.query(src, SETUP);
  await target.query(tgt, SETUP);
  // The tool's own schema differs by design: it must not matter.
  await source.query(src, "INSERT INTO aurora_migrate.cutover_marker VALUES ('only-on-source')");
});

const spec = (
  conn: (c: ResolvedConnection) => ConnectionSpec = (c) => ({ ...c }),
  extra: Partial<VerifyDataSpec> = {},
): VerifyDataSpec => ({
  id: 'check',
  type: 'verify-data',
  source: conn(src),
  target: conn(tgt),
  schemas: ['public', '"Odd Schema"'],
  ...extra,
});

async function run(s: VerifyDataSpec) {
  const events: StepEvent[] = [];
  const ctx = createStepContext({
    planName: 'cutover-test',
    stepId: s.id,
    attempt: 1,
    runId: 'run-1',
    aws: {} as AwsApi,
    db,
    clock: { now: () => Date.parse('2026-12-04T02:00:00Z') },
    timeScale: 1,
    signal: new AbortController().signal,
    checkpoint: memoryCheckpoint(),
    onEvent: (e) => events.push(e),
    delay: async () => undefined,
  });
  try {
    return { outputs: await verifyData.run(s, ctx), events };
  } catch (error) {
    return { error: error as Error, events };
  }
}

describe('verify-data', () => {
  it('is registered as a step type', () => {
    expect(steps['verify-data']).toBe(verifyData);
  });

  it('passes when source and target hold the same rows and sequences; outputs the counts; a port given as a string works', async () => {
    const r = await run(spec((c) => ({ ...c, port: String(c.port) }), { checksum: true }));
    expect(r.error).toBeUndefined();
    expect(r.outputs).toEqual({ tablesChecked: 3, rowsChecked: 2080, checkedAt: '2026-12-04T02:00:00.000Z' });
    const progress = r.events.filter((e) => e.type === 'progress').map((e) => (e as { detail: string }).detail);
    expect(progress).toContain('"Odd Schema"."Line Items": 30 rows on both sides, checksums equal');
    expect(progress).toContain('public.orders: 2000 rows on both sides, checksums equal');
  });

  it('a row deleted on the target fails, naming the table and both counts', async () => {
    await target.query(tgt, 'DELETE FROM public.orders WHERE id = 17');
    const r = await run(spec());
    expect(r.error).toBeInstanceOf(StepFailed);
    expect(r.error!.message).toContain('public.orders has 2000 rows on the source and 1999 on the target');
    expect(r.error!.message).toMatch(/^step "check" failed: the target does not match the source: /);
    expect(r.error!.message).not.toContain('customers');
  });

  it('a target sequence behind the source fails', async () => {
    await source.query(src, "SELECT setval('public.orders_id_seq', 5000)");
    const r = await run(spec());
    expect(r.error!.message).toContain(
      "sequence public.orders_id_seq is at 2000 on the target, behind the source's 5000",
    );
    const off = await run(spec(undefined, { sequences: false }));
    expect(off.error).toBeUndefined();
  });

  it('checksum detects an updated row with equal counts; without checksum the counts alone pass', async () => {
    await target.query(tgt, "UPDATE public.orders SET note = 'changed' WHERE id = 1234");
    const r = await run(spec(undefined, { checksum: ['public.orders'] }));
    expect(r.error!.message).toContain(
      'public.orders has 2000 rows on both sides but their contents differ (checksum)',
    );
    expect((await run(spec())).error).toBeUndefined();
  });

  it('an UNLOGGED table (its rows reach no replica, snapshot or subscriber) is left out with a warning naming it, listed or not', async () => {
    await source.query(
      src,
      "CREATE UNLOGGED TABLE public.session_cache (k text PRIMARY KEY); INSERT INTO public.session_cache SELECT 'k' || g FROM generate_series(1, 40) g",
    );
    await target.query(tgt, 'CREATE UNLOGGED TABLE public.session_cache (k text PRIMARY KEY)');
    for (const s of [
      spec(),
      spec(undefined, {
        schemas: undefined,
        tables: ['public.orders', 'public.session_cache'],
        checksum: ['public.session_cache'],
      }),
    ]) {
      const r = await run(s);
      expect(r.error).toBeUndefined();
      const warnings = r.events.filter((e) => e.type === 'warning').map((e) => (e as { message: string }).message);
      expect(warnings).toEqual([
        expect.stringMatching(/^public\.session_cache is UNLOGGED on the source and left out of the comparison/),
      ]);
      expect(
        r.events.some(
          (e) => e.type === 'progress' && (e as { detail: string }).detail.startsWith('public.session_cache'),
        ),
      ).toBe(false);
    }
    // A logged table with the same difference still fails: only unlogged ones are left out.
    await source.query(src, 'ALTER TABLE public.session_cache SET LOGGED');
    expect((await run(spec())).error!.message).toContain(
      'public.session_cache has 40 rows on the source and 0 on the target',
    );
  });

  it('a table missing on one side fails, and a listed table that exists nowhere fails', async () => {
    await target.query(tgt, 'DROP TABLE "Odd Schema"."Line Items"');
    const r = await run(spec());
    expect(r.error!.message).toContain('"Odd Schema"."Line Items" is missing on the target');
    const listed = await run(spec(undefined, { schemas: undefined, tables: ['public.orders', 'public.nope'] }));
    expect(listed.error!.message).toContain('public.nope is missing on the source and the target');
  });

  it('plan names are never SQL: an injection attempt is refused before connecting, quoted names are looked up', async () => {
    const r = await run(
      spec(undefined, { schemas: undefined, tables: ['public.orders; DROP TABLE public.customers'] }),
    );
    expect(r.error).toBeInstanceOf(StepFailed);
    expect(r.error!.message).toContain('is not a plain identifier');
    const quoted = await run(spec(undefined, { schemas: undefined, tables: ['"public"."orders"" WHERE false --"'] }));
    expect(quoted.error!.message).toContain('is missing on the source and the target');
    expect(await source.query(src, 'SELECT count(*)::int AS n FROM public.customers')).toEqual([{ n: 50 }]);
  });

  it('describe() lists the SQL it runs on both sides', () => {
    const actions = verifyData.describe(
      spec(undefined, { schemas: undefined, tables: ['public.orders'], checksum: ['public.orders'] }),
      { planName: 'p', stepId: 'check' },
    );
    const sql = actions.filter((a) => a.kind === 'sql').map((a) => (a as { sql: string }).sql);
    expect(
      sql.some((s) => s.startsWith('SELECT count(*) AS n, coalesce(sum(') && s.includes('FROM "public"."orders" AS t')),
    ).toBe(true);
    expect(sql.some((s) => s.includes('pg_sequences'))).toBe(true);
  });
});
