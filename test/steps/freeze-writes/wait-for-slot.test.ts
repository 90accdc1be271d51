// freeze-writes' waitForSlot (the logical route): after a long approval wait the subscription's slot
// may lag; the freeze waits, before changing anything, until the slot is within maxLag — on a real
// server with a real logical slot that falls behind and is then read. A slot that never catches up
// fails the step with nothing changed (no fence, no record); a missing slot is named.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSourceServer, stopAll, type PgServer } from '../../../rehearsal/postgres/cluster.js';
import { prepareRdsDatabase, publicCanConnect, type RdsDatabase } from '../../../rehearsal/postgres/rds-roles.js';
import { createStepContext, memoryCheckpoint } from '../../../src/engine/step-context.js';
import { createPgConnector } from '../../../src/db/pg-connector.js';
import { freezeWrites } from '../../../src/steps/freeze-writes/index.js';
import type { FreezeWritesSpec } from '../../../src/plan/types.js';

let source: PgServer;
let roles: RdsDatabase;
const db = createPgConnector();

beforeAll(async () => {
  source = await startSourceServer({ settings: { wal_level: 'logical' } });
  roles = await prepareRdsDatabase(source, 'orders');
  await source.query(`SELECT pg_create_logical_replication_slot('lagging', 'test_decoding')`);
  await source.query('CREATE TABLE filler (id int, pad text)', [], 'orders');
}, 120_000);
afterAll(async () => stopAll(), 60_000);

function context() {
  let t = Date.parse('2026-12-05T02:00:00Z');
  const progress: string[] = [];
  const ctx = createStepContext({
    planName: 'wait',
    stepId: 'freeze',
    attempt: 1,
    runId: 'run-1',
    aws: {} as never,
    db,
    clock: { now: () => t },
    timeScale: 1,
    signal: new AbortController().signal,
    checkpoint: memoryCheckpoint(),
    onEvent: (e) => (e.type === 'progress' ? progress.push(e.detail) : undefined),
    // Each poll's sleep lets real time pass a little (the reader below advances the slot meanwhile).
    delay: async (ms) => {
      t += ms;
      await new Promise((r) => setTimeout(r, 20));
    },
    monotonic: () => t,
  });
  return { ctx, progress };
}

const spec = (waitForSlot: FreezeWritesSpec['waitForSlot'], timeout?: string): FreezeWritesSpec => ({
  id: 'freeze',
  type: 'freeze-writes',
  drainTimeout: '5s',
  databases: ['orders'],
  waitForSlot,
  ...(timeout ? { timeout } : {}),
  connection: {
    host: source.address,
    port: source.port,
    database: 'postgres',
    user: roles.master.user,
    password: roles.master.password,
  },
});

describe('freeze-writes waitForSlot', () => {
  it('waits, changing nothing, until the slot is within maxLag; then freezes', async () => {
    await source.query(`INSERT INTO filler SELECT g, repeat('x', 500) FROM generate_series(1, 20000) g`, [], 'orders'); // ~10 MB of WAL the slot has not confirmed
    const { ctx, progress } = context();
    let readerDone = false;
    const reader = (async () => {
      // Nothing changed while the freeze waits: PUBLIC still connects.
      while (progress.length < 3) await new Promise((r) => setTimeout(r, 10));
      expect(await publicCanConnect(source, 'orders')).toBe(true);
      await source.query(`SELECT pg_replication_slot_advance('lagging', pg_current_wal_lsn())`);
      readerDone = true;
    })();
    const out = await freezeWrites.run(spec({ slot: 'lagging', maxLag: '1MiB' }), ctx);
    await reader;
    expect(readerDone).toBe(true);
    expect(progress.join('\n')).toMatch(
      /slot lagging: [\d.]+ ?[KMG]i?B behind \(nobody is reading it\); waiting for at most 1(\.0)? ?MiB before freezing/,
    );
    expect(out.fence).toBe('connections');
    expect(await publicCanConnect(source, 'orders')).toBe(false);
    await freezeWrites.undo!(spec({ slot: 'lagging' }), ctx);
    expect(await publicCanConnect(source, 'orders')).toBe(true);
  }, 60_000);

  it('a slot that does not catch up in time fails with nothing changed; a missing slot is named', async () => {
    await source.query(`INSERT INTO filler SELECT g, repeat('y', 500) FROM generate_series(1, 20000) g`, [], 'orders');
    const late = await freezeWrites
      .run(spec({ slot: 'lagging', maxLag: '1MiB' }, '5s'), context().ctx)
      .catch((e: Error) => e);
    expect((late as Error).message).toMatch(
      /timed out after 5s waiting for replication slot lagging to be within 1(\.0)? ?MiB before the freeze \(last seen: slot lagging: [\d.]+ ?MiB behind/,
    );
    expect(await publicCanConnect(source, 'orders')).toBe(true);
    expect(await source.query(`SELECT count(*)::int AS n FROM aurora_migrate.fence`)).toEqual([{ n: 0 }]); // no fence recorded
    const missing = await freezeWrites.run(spec({ slot: 'no_such_slot' }), context().ctx).catch((e: Error) => e);
    expect((missing as Error).message).toMatch(
      /replication slot "no_such_slot" does not exist on the source \(waitForSlot\)\. Nothing was changed/,
    );
  }, 60_000);
});
