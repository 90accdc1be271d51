// freeze-writes on a real (embedded) PostgreSQL: sessions terminated, write transactions drained
// (their rows rolled back), new sessions read-only, an rdsadmin-like session untouched, previous
// settings restored exactly by undo, and a resume after a crash keeps the remembered settings.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStepContext, memoryCheckpoint } from '../../src/engine/step-context.js';
import { createPgConnector } from '../../src/db/pg-connector.js';
import type { DbSession, ResolvedConnection } from '../../src/db/api.js';
import { startPostgres, type TestPostgres } from '../../rehearsal/postgres/server.js';
import { freezeWrites, type FreezeWritesSpec } from '../../src/steps/freeze-writes/index.js';
import { quoteIdent } from '../../src/steps/freeze-writes/sql.js';

const ODD = 'Odd "Name"';
let pg: TestPostgres;
let plain: ResolvedConnection;
const db = createPgConnector();

beforeAll(async () => {
  pg = await startPostgres();
  plain = await pg.createDatabase();
  await pg.query(pg.admin, `ALTER DATABASE ${plain.database} SET default_transaction_read_only = off`);
  await pg.query(pg.admin, `CREATE DATABASE ${quoteIdent(ODD)}`);
  await pg.query(plain, 'CREATE TABLE t (id int)');
  await pg.query(pg.admin, "CREATE ROLE rdsadmin LOGIN SUPERUSER PASSWORD 'x'");
  await pg.query(pg.admin, "CREATE ROLE app LOGIN PASSWORD 'x'");
  await pg.query(plain, 'GRANT ALL ON t TO app');
}, 120_000);
afterAll(async () => pg?.stop());

function context(checkpoint = memoryCheckpoint<Record<string, unknown>>()) {
  let t = Date.parse('2026-12-04T02:00:00Z');
  const ctx = createStepContext({
    planName: 'cutover-test', stepId: 'freeze', attempt: 1, runId: 'run-1', aws: {} as never, db,
    clock: { now: () => t }, timeScale: 1, signal: new AbortController().signal, checkpoint,
    onEvent: () => undefined, delay: async (ms) => void (t += ms), monotonic: () => t,
  });
  return { ctx, checkpoint };
}

const spec = (): FreezeWritesSpec => ({
  id: 'freeze', type: 'freeze-writes', window: '2m',
  connection: { host: pg.admin.host, port: pg.admin.port, database: 'postgres', user: pg.admin.user, password: pg.admin.password },
  databases: [plain.database, ODD],
});
const settings = async () =>
  (await pg.query<{ datname: string; setconfig: string[] | null }>(pg.admin,
    'SELECT d.datname, s.setconfig FROM pg_database d LEFT JOIN pg_db_role_setting s ON s.setdatabase = d.oid AND s.setrole = 0 WHERE d.datname = ANY($1) ORDER BY 1', [[plain.database, ODD]]));
const as = (user: string): ResolvedConnection => ({ ...plain, user, password: 'x' });

describe('freeze-writes on a real server', () => {
  it('freezes, terminates and drains, leaves rdsadmin alone; undo restores the exact previous settings', async () => {
    const before = await settings();
    const idle = await db.connect(as('app'));
    const writer = await db.connect(as('app'));
    await writer.query('BEGIN');
    await writer.query('INSERT INTO t VALUES (1)'); // open write transaction, never committed
    const agent = await db.connect(as('rdsadmin'));
    const { ctx, checkpoint } = context();

    const outputs = await freezeWrites.run(spec(), ctx);

    expect(outputs.sourceLsn).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/);
    expect(outputs.frozenAt).toBe('2026-12-04T02:00:00.000Z');
    expect(outputs.windowEndsAt).toBe('2026-12-04T02:02:00.000Z');
    expect(outputs.previousSettings).toEqual({ [plain.database]: 'off', [ODD]: null });
    await expect(idle.query('SELECT 1')).rejects.toThrow();
    await expect(writer.query('COMMIT')).rejects.toThrow();
    expect((await agent.query<{ one: number }>('SELECT 1 AS one')).rows[0]!.one).toBe(1); // untouched
    expect(await pg.query(plain, 'SELECT * FROM t')).toEqual([]); // the uncommitted write rolled back
    const late = await db.connect(as('app'));
    await expect(late.query('INSERT INTO t VALUES (2)')).rejects.toThrow(/read-only/);
    await late.close();

    const undone = await freezeWrites.undo!(spec(), ctx);
    expect(undone.restored).toEqual([plain.database, ODD]);
    expect(await settings()).toEqual(before);
    const after = await db.connect(as('app'));
    await after.query('INSERT INTO t VALUES (3)');
    await after.close();
    expect(checkpoint.get()?.rolledBackAt).toBeDefined();
    await Promise.all([idle, writer, agent].map((s: DbSession) => s.close().catch(() => undefined)));
  }, 60_000);

  it('a resume after a crash mid-freeze keeps the remembered previous settings, never the tool\'s own "on"', async () => {
    const before = await settings();
    const { ctx, checkpoint } = context();
    await freezeWrites.run(spec(), ctx);
    // The crash: the setting is on, the step is run again with the same checkpoint.
    const again = context(checkpoint);
    const outputs = await freezeWrites.run(spec(), again.ctx);
    expect(outputs.previousSettings).toEqual({ [plain.database]: 'off', [ODD]: null });
    expect(outputs.frozenAt).toBe('2026-12-04T02:00:00.000Z');
    await freezeWrites.undo!(spec(), again.ctx);
    expect(await settings()).toEqual(before);
  }, 60_000);

  it('quotes database names as identifiers and refuses unsafe ones', () => {
    expect(quoteIdent(ODD)).toBe('"Odd ""Name"""');
    expect(() => quoteIdent('orders\n; DROP DATABASE x')).toThrow(/control character/);
    expect(() => quoteIdent('x'.repeat(64))).toThrow(/63 bytes/);
    expect(() => quoteIdent('')).toThrow(/empty/);
  });
});
