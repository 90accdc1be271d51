// s3-import exactly once: many files in parallel, crashes at chosen instants (between files,
// mid-file, right after COMMIT), a lost connection, two runs racing, onError continue, expectRows.
// After every resume each file is in the table exactly once and row counts equal the source's.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { s3Import } from '../../../src/steps/s3-import/run.js';
import type { ResolvedConnection } from '../../../src/db/api.js';
import type { S3ImportSpec } from '../../../src/plan/types.js';
import {
  connectionSpec,
  csvRows,
  hookedConnector,
  runStep,
  SimulatedCrash,
  startDataWorld,
  stepEvents,
  type DataWorld,
} from '../support/s3-data.js';

let world: DataWorld;
let conn: ResolvedConnection;
let bucket: string;
let n = 0;

beforeAll(async () => {
  world = await startDataWorld();
});
afterAll(async () => {
  await world?.stop();
});
beforeEach(async () => {
  conn = await world.pg.createDatabase();
  bucket = `resume-${++n}`;
  await world.pg.query(conn, 'CREATE TABLE items (id int, name text)');
});

/** `files` objects of `per` rows each, ids 0..files*per-1 (unique, so duplicates show). */
async function seed(files: number, per: number, prefix = 'part/') {
  for (let f = 0; f < files; f++) {
    await world.pg.putObject(bucket, `${prefix}${String(f).padStart(5, '0')}.csv`, csvRows(f * per, (f + 1) * per));
  }
  return files * per;
}

const spec = (extra: Partial<S3ImportSpec> = {}, expectRows?: number): S3ImportSpec => ({
  id: 'backfill',
  type: 's3-import',
  connection: connectionSpec(conn),
  concurrency: 4,
  tables: [
    {
      table: 'items',
      columns: ['id', 'name'],
      options: '(format csv)',
      from: { bucket, region: 'us-east-1', prefix: 'part/' },
      expectRows,
    },
  ],
  ...extra,
});

async function expectExactlyOnce(totalRows: number, files: number) {
  const [t] = await world.pg.query<{ rows: number; ids: number }>(
    conn,
    'SELECT count(*)::int AS rows, count(DISTINCT id)::int AS ids FROM items',
  );
  expect(t).toEqual({ rows: totalRows, ids: totalRows });
  const [l] = await world.pg.query<{ files: number; rows: number }>(
    conn,
    'SELECT count(*)::int AS files, sum(rows_imported)::int AS rows FROM aurora_migrate.s3_import_ledger',
  );
  expect(l).toEqual({ files, rows: totalRows });
}

const isImport = (sql: string) => sql.includes('table_import_from_s3');
const imports = (events: Parameters<typeof stepEvents>[0]) =>
  stepEvents(events, 'sql').filter((e) => isImport(String(e.sql)));

/**
 * Makes the COPY block when it reaches the row with this id (a trigger waits on an advisory lock
 * the test holds), so a test can act at a precise instant inside a file without sleeping.
 */
async function blockMidFile(id: number) {
  await world.pg.query(
    conn,
    `CREATE FUNCTION block_mid_file() RETURNS trigger LANGUAGE plpgsql AS $$
     BEGIN IF NEW.id = ${id} THEN PERFORM pg_advisory_lock(4242); PERFORM pg_advisory_unlock(4242); END IF; RETURN NEW; END $$`,
  );
  await world.pg.query(
    conn,
    'CREATE TRIGGER block_mid_file BEFORE INSERT ON items FOR EACH ROW EXECUTE FUNCTION block_mid_file()',
  );
  const holder = await world.db.connect(conn);
  await holder.query('SELECT pg_advisory_lock(4242)');
  return {
    /** Resolves with the pid of the import that is waiting inside the file. */
    async waitUntilBlocked(): Promise<number> {
      for (;;) {
        const rows = await world.pg.query<{ pid: number }>(
          conn,
          "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND wait_event = 'advisory' AND query LIKE '%table_import_from_s3%'",
        );
        if (rows.length) return rows[0].pid;
      }
    },
    async release() {
      await holder.query('SELECT pg_advisory_unlock(4242)');
      await holder.close();
    },
  };
}

describe('s3-import exactly once', () => {
  it('imports 1000 small files at concurrency 4 over 4 connections', async () => {
    const total = await seed(1000, 3);
    const sessions = new Set<number>();
    const db = hookedConnector(world.db, ({ sql, session }) => {
      if (sql.includes('table_import_from_s3')) sessions.add(session);
    });
    const r = await runStep(s3Import, spec({}, total), { world, db });
    expect(r.error).toBeUndefined();
    expect(r.outputs).toEqual({ filesImported: 1000, rowsImported: 3000 });
    expect(sessions.size).toBe(4);
    await expectExactlyOnce(total, 1000);
    const progress = r.events.flatMap((e) => (e.type === 'progress' ? [e.detail] : []));
    expect(progress.at(-1)).toMatch(/^files 1000\/1000 · rows 3,000 · /);

    // A second run finds everything in the ledger and imports nothing.
    const again = await runStep(s3Import, spec({}, total), { world });
    expect(again.outputs).toEqual({ filesImported: 1000, rowsImported: 3000 });
    expect(imports(again.events)).toHaveLength(0);
    await expectExactlyOnce(total, 1000);
  }, 120_000);

  it('resumes after an interruption between files (Ctrl-C) without importing anything twice', async () => {
    const total = await seed(40, 5);
    const ac = new AbortController();
    let imported = 0;
    // An import statement that returned has committed (file rows + ledger row together).
    const db = hookedConnector(world.db, ({ sql, phase }) => {
      if (isImport(sql) && phase === 'after' && ++imported === 5) ac.abort();
    });
    const first = await runStep(s3Import, spec(), { world, db, signal: ac.signal });
    expect(first.error?.name).toBe('Interrupted');
    expect(first.error?.message).toMatch(/run apply again to import the rest/);
    const [{ done }] = await world.pg.query<{ done: number }>(
      conn,
      'SELECT count(*)::int AS done FROM aurora_migrate.s3_import_ledger',
    );
    expect(done).toBeGreaterThanOrEqual(5);
    expect(done).toBeLessThan(40);

    const second = await runStep(s3Import, spec({}, total), { world });
    expect(second.error).toBeUndefined();
    expect(imports(second.events)).toHaveLength(40 - done);
    await expectExactlyOnce(total, 40);
  });

  it('rolls back a file interrupted mid-import (Ctrl-C while COPY runs) and imports it on resume', async () => {
    const total = await seed(12, 4);
    // Row id 21 (in part/00005.csv, ids 20..23) blocks inside the COPY until the test lets go: row
    // 20 was already inserted by then, so the interruption is truly mid-file.
    const gate = await blockMidFile(21);
    const ac = new AbortController();
    const running = runStep(s3Import, spec({ concurrency: 1 }), { world, signal: ac.signal });
    await gate.waitUntilBlocked();
    ac.abort();
    const first = await running;
    await gate.release();
    expect(first.error?.name).toBe('Interrupted');
    // The interrupted file's rows and its ledger row were rolled back together.
    expect(
      await world.pg.query(conn, "SELECT key FROM aurora_migrate.s3_import_ledger WHERE key = 'part/00005.csv'"),
    ).toEqual([]);
    expect(await world.pg.query(conn, 'SELECT count(*)::int AS c FROM items')).toEqual([{ c: 20 }]);

    const second = await runStep(s3Import, spec({}, total), { world });
    expect(second.error).toBeUndefined();
    expect(imports(second.events)).toHaveLength(7);
    await expectExactlyOnce(total, 12);
  });

  it('does not import again a file whose statement committed just before the process died', async () => {
    const total = await seed(6, 10);
    let n = 0;
    const db = hookedConnector(world.db, ({ sql, phase }) => {
      if (isImport(sql) && phase === 'after' && ++n === 2)
        throw new SimulatedCrash('process died right after the import committed');
    });
    const first = await runStep(s3Import, spec({ concurrency: 1 }), { world, db });
    expect(first.error?.message).toContain('process died right after the import committed');
    expect(first.error?.message).toContain('run apply again to import the rest');
    expect(await world.pg.query(conn, 'SELECT count(*)::int AS c FROM items')).toEqual([{ c: 20 }]);

    const second = await runStep(s3Import, spec({}, total), { world });
    expect(second.error).toBeUndefined();
    expect(imports(second.events)).toHaveLength(4);
    await expectExactlyOnce(total, 6);
  });

  it('retries a file on a new connection when the server drops the connection mid-file', async () => {
    const total = await seed(5, 7);
    const gate = await blockMidFile(10);
    const running = runStep(s3Import, spec({ concurrency: 1 }, total), { world });
    const pid = await gate.waitUntilBlocked();
    expect(await world.pg.query(conn, 'SELECT pg_terminate_backend($1) AS ok', [pid])).toEqual([{ ok: true }]);
    await gate.release();
    const r = await running;
    expect(r.error).toBeUndefined();
    const warnings = r.events.flatMap((e) => (e.type === 'warning' ? [e.message] : []));
    expect(warnings.join('\n')).toMatch(
      /connection problem while importing s3:\/\/resume-\d+\/part\/00001\.csv \(attempt 1 of 5\).*retrying on a new connection/,
    );
    await expectExactlyOnce(total, 5);
  });

  it('lets two runs race over the same files: every file is imported once', async () => {
    const total = await seed(60, 2);
    const [a, b] = await Promise.all([
      runStep(s3Import, spec({ concurrency: 3 }), { world }),
      runStep(s3Import, spec({ concurrency: 3 }), { world }),
    ]);
    expect(a.error).toBeUndefined();
    expect(b.error).toBeUndefined();
    expect(imports(a.events).length + imports(b.events).length).toBeGreaterThanOrEqual(60);
    await expectExactlyOnce(total, 60);
  });

  it('when two runs import the same file at the same instant, one commits it and the other skips it', async () => {
    const total = await seed(1, 5);
    const gate = await blockMidFile(2);
    const a = runStep(s3Import, spec({ concurrency: 1 }), { world });
    await gate.waitUntilBlocked();
    const b = runStep(s3Import, spec({ concurrency: 1 }), { world });
    // Both are inside the same file now (neither has committed, so neither skipped it up front).
    for (;;) {
      const rows = await world.pg.query(
        conn,
        "SELECT 1 FROM pg_stat_activity WHERE wait_event = 'advisory' AND query LIKE '%table_import_from_s3%'",
      );
      if (rows.length === 2) break;
    }
    await gate.release();
    const [ra, rb] = await Promise.all([a, b]);
    expect(ra.error).toBeUndefined();
    expect(rb.error).toBeUndefined();
    expect(imports(ra.events).length + imports(rb.events).length).toBe(2);
    expect(ra.outputs).toEqual({ filesImported: 1, rowsImported: 5 });
    expect(rb.outputs).toEqual({ filesImported: 1, rowsImported: 5 });
    await expectExactlyOnce(total, 1);
  });

  it('with onError continue imports the rest, lists the failed files, and a resume imports only those', async () => {
    await seed(5, 3);
    await world.pg.putObject(bucket, 'part/00001.csv', '3,a\nthree,b\n');
    await world.pg.putObject(bucket, 'part/00003.csv', '9,a\n10,b\n11,c,extra\n');
    const first = await runStep(s3Import, spec({ onError: 'continue', concurrency: 2 }), { world });
    expect(first.error?.name).toBe('StepFailed');
    const msg = first.error!.message;
    expect(msg).toContain('2 file(s) failed (onError: continue)');
    expect(msg).toContain(
      `s3://${bucket}/part/00001.csv into public.items: invalid input syntax for type integer: "three" at COPY items, line 2, column id: "three"`,
    );
    expect(msg).toContain(
      `s3://${bucket}/part/00003.csv into public.items: extra data after last expected column at COPY items, line 3`,
    );
    expect(await world.pg.query(conn, 'SELECT count(*)::int AS c FROM items')).toEqual([{ c: 9 }]);
    expect(first.checkpoint.get()).toMatchObject({
      failedFiles: 2,
      lastAttempt: { filesImported: 3, rowsImported: 9 },
    });

    // Fixed files (new content, new ETag); a resume imports just those two.
    await world.pg.putObject(bucket, 'part/00001.csv', csvRows(3, 6));
    await world.pg.putObject(bucket, 'part/00003.csv', csvRows(9, 12));
    const second = await runStep(s3Import, spec({ onError: 'continue' }, 15), { world });
    expect(second.error).toBeUndefined();
    expect(
      imports(second.events)
        .map((e) => (e.params as string[])[4])
        .sort(),
    ).toEqual(['part/00001.csv', 'part/00003.csv']);
    await expectExactlyOnce(15, 5);
  });

  it('imports a changed object again (new ETag) and says so', async () => {
    await seed(2, 2);
    expect((await runStep(s3Import, spec(), { world })).error).toBeUndefined();
    await world.pg.putObject(bucket, 'part/00000.csv', csvRows(100, 103));
    const r = await runStep(s3Import, spec(), { world });
    expect(r.outputs).toEqual({ filesImported: 3, rowsImported: 7 });
    const warnings = r.events.flatMap((e) => (e.type === 'warning' ? [e.message] : []));
    expect(warnings).toEqual([
      expect.stringMatching(
        /^s3:\/\/resume-\d+\/part\/00000\.csv changed since it was imported into public\.items \(ETag now [0-9a-f]{32}\); importing the new version as well$/,
      ),
    ]);
  });

  it('fails when the ledger disagrees with expectRows, naming the table and both counts', async () => {
    await seed(2, 5);
    const r = await runStep(s3Import, spec({}, 99), { world });
    expect(r.error?.name).toBe('StepFailed');
    expect(r.error?.message).toContain(
      `public.items from s3://${bucket}/part/: expected 99 rows, the ledger records 10 in 2 file(s)`,
    );
  });
});
