// The rehearsal world's real PostgreSQL cluster: streaming standby from an online base backup,
// promotion, and snapshots that hold exactly what was committed before them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startSourceServer,
  startStandby,
  promote,
  takeSnapshot,
  startFromSnapshot,
  replicaLag,
  slotLagBytes,
  stopAll,
  type PgServer,
} from '../../../rehearsal/postgres/cluster.js';

const count = async (s: PgServer) => Number((await s.query<{ n: string }>('select count(*)::text as n from t'))[0].n);
async function until(what: string, check: () => Promise<boolean>, ms = 30_000) {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('rehearsal cluster toolkit', () => {
  let source: PgServer;
  beforeAll(async () => {
    source = await startSourceServer();
    await source.query('create table t (id bigint primary key, note text)');
  }, 60_000);
  afterAll(async () => {
    await stopAll();
  }, 60_000);

  it('takes the base backup while a writer keeps inserting, streams every committed row, and promotes to writable', async () => {
    let stop = false;
    let next = 1;
    const committed: number[] = [];
    const writer = (async () => {
      while (!stop) {
        const id = next++;
        await source.query('insert into t values ($1, $2)', [id, 'w']);
        committed.push(id);
      }
    })();
    await until('some writes', async () => committed.length > 20);
    const beforeBackup = committed.length;
    const standby = await startStandby(source, { slot: 'aurora_replica' }).finally(() => {
      if (committed.length <= 20) stop = true;
    });
    const duringBackup = committed.length;
    expect(standby.address).not.toBe(source.address);
    expect(standby.version).toMatch(/^18\./);
    expect((await standby.query<{ r: boolean }>('select pg_is_in_recovery() as r'))[0].r).toBe(true);
    const atStandbyStart = committed.length;
    await until('writes after the backup', async () => committed.length > atStandbyStart + 20).finally(
      () => (stop = true),
    );
    await writer;

    await until('catch-up', async () => (await replicaLag(source, standby)).bytes === 0);
    const ids = (await standby.query<{ id: string }>('select id::text from t order by t.id')).map((r) => Number(r.id));
    expect(ids).toEqual(committed);
    expect(duringBackup).toBeGreaterThan(beforeBackup); // the writer kept committing while the backup was copied
    expect((await replicaLag(source, standby)).seconds).toBe(0);

    await source.query(`insert into t values (-1, 'streamed')`);
    await until('row on standby', async () => (await standby.query(`select 1 from t where id = -1`)).length === 1);
    await expect(standby.query(`insert into t values (-2, 'x')`)).rejects.toThrow(/read-only/);
    // The slot the standby streams through holds back little WAL once it caught up; no slot: 0.
    const held = await slotLagBytes(source, 'aurora_replica');
    expect(Number.isInteger(held) && held < 16 * 1024 * 1024, `slot lag ${held} bytes`).toBe(true);
    expect(await slotLagBytes(source, 'no_such_slot')).toBe(0);

    await promote(standby);
    await standby.query(`insert into t values (-2, 'on target')`);
    expect((await standby.query(`select 1 from t where id = -2`)).length).toBe(1);
    // The source is untouched by the target's writes.
    expect((await source.query(`select 1 from t where id = -2`)).length).toBe(0);
    await standby.stop();
  }, 120_000);

  it('a snapshot restore has exactly the rows committed before the snapshot', async () => {
    await source.query(`insert into t select g, 'before' from generate_series(100000, 100999) g`);
    const before = await count(source);
    const snap = await takeSnapshot(source);
    await source.query(`insert into t select g, 'after' from generate_series(200000, 200099) g`);
    const restored = await startFromSnapshot(snap);
    try {
      expect(await count(restored)).toBe(before);
      expect((await restored.query(`select 1 from t where note = 'after'`)).length).toBe(0);
      await restored.query(`insert into t values (-3, 'restored is writable')`);
    } finally {
      await restored.stop();
      await snap.remove();
    }
  }, 120_000);
});
