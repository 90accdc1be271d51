// s3-import exactly once: many files in parallel, crashes at chosen instants (between files,
// mid-file, right after COMMIT), a lost connection, two runs racing, onError continue, expectRows.
// After every resume each file is in the table exactly once and row counts equal the source's.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { s3Import } from '../../src/steps/s3-import.js';
import type { ResolvedConnection } from '../../src/db/api.js';
import type { S3ImportSpec } from '../../src/plan/types.js';
import { connectionSpec, csvRows, hookedConnector, runStep, SimulatedCrash, startDataWorld, stepEvents, type DataWorld } from './support.js';

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
  tables: [{ table: 'items', columns: ['id', 'name'], options: '(format csv)', from: { bucket, region: 'us-east-1', prefix: 'part/' }, expectRows }],
  ...extra,
});

async function expectExactlyOnce(totalRows: number, files: number) {
  const [t] = await world.pg.query<{ rows: number; ids: number }>(conn, 'SELECT count(*)::int AS rows, count(DISTINCT id)::int AS ids FROM items');
  expect(t).toEqual({ rows: totalRows, ids: totalRows });
  const [l] = await world.pg.query<{ files: number; rows: number }>(conn, 'SELECT count(*)::int AS files, sum(rows_imported)::int AS rows FROM aurora_migrate.s3_import_ledger');
  expect(l).toEqual({ files, rows: totalRows });
}

const imports = (events: Parameters<typeof stepEvents>[0]) => stepEvents(events, 'sql').filter((e) => String(e.sql).includes('table_import_from_s3'));

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
    let commits = 0;
    // Session 1 is the step's control session (setup); workers import on sessions 2..5.
    const db = hookedConnector(world.db, ({ sql, phase, session }) => {
      if (sql === 'COMMIT' && phase === 'after' && session > 1 && ++commits === 5) ac.abort();
    });
    const first = await runStep(s3Import, spec(), { world, db, signal: ac.signal });
    expect(first.error?.name).toBe('Interrupted');
    expect(first.error?.message).toMatch(/run apply again to import the rest/);
    const [{ done }] = await world.pg.query<{ done: number }>(conn, 'SELECT count(*)::int AS done FROM aurora_migrate.s3_import_ledger');
    expect(done).toBeGreaterThanOrEqual(5);
    expect(done).toBeLessThan(40);

    const second = await runStep(s3Import, spec({}, total), { world });
    expect(second.error).toBeUndefined();
    expect(imports(second.events)).toHaveLength(40 - done);
    await expectExactlyOnce(total, 40);
  });

  it('rolls back a file that crashed mid-import and imports it on resume', async () => {
    const total = await seed(12, 4);
    let seen = 0;
    let crashedKey: unknown;
    const db = hookedConnector(world.db, ({ sql, params, phase }) => {
      if (sql.includes('table_import_from_s3') && phase === 'after' && ++seen === 3) {
        crashedKey = params?.[4];
        throw new SimulatedCrash('process died while importing');
      }
    });
    const first = await runStep(s3Import, spec({ concurrency: 1 }), { world, db });
    expect(first.error?.name).toBe('StepFailed');
    expect(first.error?.message).toContain('process died while importing');
    expect(first.error?.message).toContain('run apply again to import the rest');
    // The crashed file's rows and its ledger claim were rolled back together.
    expect(await world.pg.query(conn, 'SELECT key FROM aurora_migrate.s3_import_ledger WHERE key = $1', [crashedKey])).toEqual([]);
    expect(await world.pg.query(conn, 'SELECT count(*)::int AS c FROM items')).toEqual([{ c: 8 }]);

    const second = await runStep(s3Import, spec({}, total), { world });
    expect(second.error).toBeUndefined();
    await expectExactlyOnce(total, 12);
  });

  it('keeps a file that committed just before a crash and does not import it again', async () => {
    const total = await seed(6, 10);
    let commits = 0;
    const db = hookedConnector(world.db, ({ sql, phase, session }) => {
      if (sql === 'COMMIT' && phase === 'after' && session > 1 && ++commits === 2) throw new SimulatedCrash('crash right after COMMIT');
    });
    const first = await runStep(s3Import, spec({ concurrency: 1 }), { world, db });
    expect(first.error?.message).toContain('crash right after COMMIT');
    expect(await world.pg.query(conn, 'SELECT count(*)::int AS c FROM items')).toEqual([{ c: 20 }]);

    const second = await runStep(s3Import, spec({}, total), { world });
    expect(second.error).toBeUndefined();
    expect(imports(second.events)).toHaveLength(4);
    await expectExactlyOnce(total, 6);
  });

  it('retries a file on a new connection when the server drops the connection mid-file', async () => {
    const total = await seed(5, 7);
    let killed = false;
    const db = hookedConnector(world.db, async ({ sql, phase }) => {
      if (!killed && sql.includes('table_import_from_s3') && phase === 'before') {
        killed = true;
        const rows = await world.pg.query(conn, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'aurora-migrate' AND state = 'idle in transaction'");
        expect(rows).toHaveLength(1);
      }
    });
    const r = await runStep(s3Import, spec({ concurrency: 1 }, total), { world, db });
    expect(r.error).toBeUndefined();
    const warnings = r.events.flatMap((e) => (e.type === 'warning' ? [e.message] : []));
    expect(warnings.join('\n')).toMatch(/connection problem while importing s3:\/\/resume-\d+\/part\/00000\.csv \(attempt 1 of 5\).*retrying on a new connection/);
    await expectExactlyOnce(total, 5);
  });

  it('lets two runs race over the same files: every file is imported once', async () => {
    const total = await seed(60, 2);
    const [a, b] = await Promise.all([runStep(s3Import, spec({ concurrency: 3 }), { world }), runStep(s3Import, spec({ concurrency: 3 }), { world })]);
    expect(a.error).toBeUndefined();
    expect(b.error).toBeUndefined();
    expect(imports(a.events).length + imports(b.events).length).toBeGreaterThanOrEqual(60);
    await expectExactlyOnce(total, 60);
  });

  it('with onError continue imports the rest, lists the failed files, and a resume imports only those', async () => {
    await seed(5, 3);
    await world.pg.putObject(bucket, 'part/00001.csv', '3,a\nthree,b\n');
    await world.pg.putObject(bucket, 'part/00003.csv', '9,a\n10,b\n11,c,extra\n');
    const first = await runStep(s3Import, spec({ onError: 'continue', concurrency: 2 }), { world });
    expect(first.error?.name).toBe('StepFailed');
    const msg = first.error!.message;
    expect(msg).toContain('2 file(s) failed (onError: continue)');
    expect(msg).toContain(`s3://${bucket}/part/00001.csv into public.items: invalid input syntax for type integer: "three" at COPY items, line 2, column id: "three"`);
    expect(msg).toContain(`s3://${bucket}/part/00003.csv into public.items: extra data after last expected column at COPY items, line 3`);
    expect(await world.pg.query(conn, 'SELECT count(*)::int AS c FROM items')).toEqual([{ c: 9 }]);
    expect(first.checkpoint.get()).toMatchObject({ failedFiles: 2, lastAttempt: { filesImported: 3, rowsImported: 9 } });

    // Fixed files (new content, new ETag); a resume imports just those two.
    await world.pg.putObject(bucket, 'part/00001.csv', csvRows(3, 6));
    await world.pg.putObject(bucket, 'part/00003.csv', csvRows(9, 12));
    const second = await runStep(s3Import, spec({ onError: 'continue' }, 15), { world });
    expect(second.error).toBeUndefined();
    expect(imports(second.events).map((e) => (e.params as string[])[4]).sort()).toEqual(['part/00001.csv', 'part/00003.csv']);
    await expectExactlyOnce(15, 5);
  });

  it('imports a changed object again (new ETag) and says so', async () => {
    await seed(2, 2);
    expect((await runStep(s3Import, spec(), { world })).error).toBeUndefined();
    await world.pg.putObject(bucket, 'part/00000.csv', csvRows(100, 103));
    const r = await runStep(s3Import, spec(), { world });
    expect(r.outputs).toEqual({ filesImported: 3, rowsImported: 7 });
    const warnings = r.events.flatMap((e) => (e.type === 'warning' ? [e.message] : []));
    expect(warnings).toEqual([expect.stringMatching(/^s3:\/\/resume-\d+\/part\/00000\.csv changed since it was imported into public\.items \(ETag now [0-9a-f]{32}\); importing the new version as well$/)]);
  });

  it('fails when the ledger disagrees with expectRows, naming the table and both counts', async () => {
    await seed(2, 5);
    const r = await runStep(s3Import, spec({}, 99), { world });
    expect(r.error?.name).toBe('StepFailed');
    expect(r.error?.message).toContain(`public.items from s3://${bucket}/part/: expected 99 rows, the ledger records 10 in 2 file(s)`);
  });
});
