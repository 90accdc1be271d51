// withSession / withTransaction (src/db) on a real server: what is committed, what is rolled back,
// and that the session is closed whatever the work did.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, type TestPostgres } from '../../rehearsal/postgres/server.js';
import { createPgConnector } from '../../src/db/pg-connector.js';
import { withSession } from '../../src/db/with-session.js';
import { withTransaction } from '../../src/db/with-transaction.js';
import type { DbSession, ResolvedConnection } from '../../src/db/api.js';

let pg: TestPostgres;
let conn: ResolvedConnection;
const db = createPgConnector();

beforeAll(async () => {
  pg = await startPostgres();
  conn = await pg.createDatabase();
  await withSession(db, conn, {}, (s) => s.query('CREATE TABLE t (v text)'));
});
afterAll(async () => {
  await pg?.stop();
});

const rows = () =>
  withSession(db, conn, {}, async (s) =>
    (await s.query<{ v: string }>('SELECT v FROM t ORDER BY v')).rows.map((r) => r.v),
  );

describe('withTransaction', () => {
  it('commits the work and returns its result', async () => {
    const n = await withSession(db, conn, {}, (s) =>
      withTransaction(s, async () => (await s.query("INSERT INTO t VALUES ('committed')")).rowCount),
    );
    expect(n).toBe(1);
    expect(await rows()).toContain('committed');
  });

  it('rolls back when the work throws, rethrows its error, and leaves the session usable', async () => {
    await withSession(db, conn, {}, async (s) => {
      const boom = new Error('boom');
      await expect(
        withTransaction(s, async () => {
          await s.query("INSERT INTO t VALUES ('rolled back')");
          throw boom;
        }),
      ).rejects.toBe(boom);
      // Not left inside an aborted transaction: the next statement runs.
      expect((await s.query<{ one: number }>('SELECT 1 AS one')).rows[0].one).toBe(1);
    });
    expect(await rows()).not.toContain('rolled back');
  });

  it('a read-only check ending in ROLLBACK leaves nothing, and its BEGIN mode holds', async () => {
    await withSession(db, conn, {}, async (s) => {
      const seen = await withTransaction(
        s,
        async () => (await s.query<{ ro: string }>("SELECT current_setting('transaction_read_only') AS ro")).rows[0].ro,
        { begin: 'BEGIN READ ONLY', end: 'ROLLBACK' },
      );
      expect(seen).toBe('on');
      await expect(
        withTransaction(s, () => s.query("INSERT INTO t VALUES ('read-only')"), {
          begin: 'BEGIN READ ONLY',
          end: 'ROLLBACK',
        }),
      ).rejects.toThrow(/read-only transaction/);
      await withTransaction(s, () => s.query("INSERT INTO t VALUES ('checked only')"), { end: 'ROLLBACK' });
    });
    expect(await rows()).not.toContain('read-only');
    expect(await rows()).not.toContain('checked only');
  });
});

describe('withSession', () => {
  const backendGone = async (pid: number) => {
    for (let i = 0; i < 100; i++) {
      const alive = await withSession(
        db,
        conn,
        {},
        async (s) => (await s.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [pid])).rowCount,
      );
      if (alive === 0) return true;
      await new Promise((r) => setTimeout(r, 20));
    }
    return false;
  };
  const pidOf = async (s: DbSession) => (await s.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid;

  it('closes the session after the work, whether it succeeded or threw', async () => {
    let pid = 0;
    await withSession(db, conn, {}, async (s) => {
      pid = await pidOf(s);
    });
    expect(await backendGone(pid)).toBe(true);
    await expect(
      withSession(db, conn, {}, async (s) => {
        pid = await pidOf(s);
        throw new Error('work failed');
      }),
    ).rejects.toThrow('work failed');
    expect(await backendGone(pid)).toBe(true);
  });

  it('throws what connectFailed makes of a connection that cannot be opened', async () => {
    const wrong = { ...conn, database: 'no_such_database' };
    let work = false;
    const err = await withSession(
      db,
      wrong,
      { connectFailed: (e) => new Error(`mapped: ${(e as Error).message}`) },
      async () => {
        work = true;
      },
    ).catch((e: Error) => e);
    expect(work).toBe(false);
    expect((err as Error).message).toMatch(/^mapped: .*no_such_database/);
  });
});
