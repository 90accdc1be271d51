// freeze-writes on a real (embedded) PostgreSQL, run as an RDS-like master user (NOSUPERUSER,
// member of an rds_superuser stand-in, owner of the databases and of nothing the application owns),
// with the application logging in with its password — as on RDS, so a privilege the tool lacks
// fails here too. Proven: the default fence stops an application whose driver opens every
// transaction READ WRITE (it cannot even connect), sessions are terminated and write transactions
// drained, rdsadmin is left alone, undo puts CONNECT and the setting back exactly (aclexplode-equal),
// also after a kill half-way; a REVOKE that does nothing is caught by the read-back; the last check
// names a session the fence cannot stop; the record on the server lets a later plan lift the fence;
// `fence: read-only` keeps the old cooperative behaviour, which BEGIN READ WRITE gets through.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStepContext, memoryCheckpoint } from '../../../src/engine/step-context.js';
import { createPgConnector } from '../../../src/db/pg-connector.js';
import type { DbSession, ResolvedConnection } from '../../../src/db/api.js';
import { startPostgres, type TestPostgres } from '../../../rehearsal/postgres/server.js';
import {
  createAppRole,
  createRdsMasterUser,
  newPassword,
  type AdminServer,
} from '../../../rehearsal/postgres/rds-roles.js';
import { freezeWrites, type FreezeWritesSpec } from '../../../src/steps/freeze-writes/index.js';
import { OWN_SESSION_WRITABLE_SQL, quoteIdent } from '../../../src/steps/freeze-writes/sql.js';
import { applyFence, liftFence, type Sql } from '../../../src/steps/freeze-writes/fence.js';
import { StepFailed } from '../../../src/errors.js';

const ODD = 'Odd "Name"';
let pg: TestPostgres;
let admin: AdminServer;
let master: ResolvedConnection;
let app: ResolvedConnection;
let orders: string;
const db = createPgConnector();
const extraPg = createPgConnector({ applicationName: 'billing-service' });

beforeAll(async () => {
  pg = await startPostgres();
  admin = {
    admin: pg.admin,
    query: (sql, params, database) => pg.query(database ? { ...pg.admin, database } : pg.admin, sql, params),
  };
  master = await createRdsMasterUser(admin, { user: 'master', password: newPassword() });
  app = await createAppRole(admin, { user: 'app', password: newPassword() });
  const created = await pg.createDatabase();
  orders = created.database;
  await pg.query(pg.admin, `ALTER DATABASE ${orders} OWNER TO master`);
  await pg.query(pg.admin, `ALTER DATABASE ${orders} SET default_transaction_read_only = off`);
  await pg.query(pg.admin, `CREATE DATABASE ${quoteIdent(ODD)} OWNER master`);
  await pg.query(pg.admin, `GRANT CONNECT ON DATABASE ${quoteIdent(ODD)} TO app WITH GRANT OPTION`);
  await pg.query({ ...pg.admin, database: orders }, 'CREATE TABLE t (id int)');
  await pg.query({ ...pg.admin, database: orders }, 'ALTER TABLE t OWNER TO app');
  await pg.query(pg.admin, `CREATE ROLE rdsadmin LOGIN SUPERUSER PASSWORD 'x'`);
}, 120_000);
afterAll(async () => pg?.stop());

function context(checkpoint = memoryCheckpoint<Record<string, unknown>>(), runId = 'run-1') {
  let t = Date.parse('2026-12-04T02:00:00Z');
  const events: Array<{ name: string; data?: Record<string, unknown> }> = [];
  const ctx = createStepContext({
    planName: 'cutover-test',
    stepId: 'freeze',
    attempt: 1,
    runId,
    aws: {} as never,
    db,
    clock: { now: () => t },
    timeScale: 1,
    signal: new AbortController().signal,
    checkpoint,
    onEvent: (e) => (e.type === 'step-event' ? events.push({ name: e.name, data: e.data }) : undefined),
    delay: async (ms) => {
      t += ms;
    },
    monotonic: () => t,
  });
  return { ctx, checkpoint, events };
}

const spec = (extra: Partial<FreezeWritesSpec> = {}): FreezeWritesSpec => ({
  id: 'freeze',
  type: 'freeze-writes',
  window: '2m',
  drainTimeout: '5s',
  connection: {
    host: master.host,
    port: master.port,
    database: 'postgres',
    user: master.user,
    password: master.password,
  },
  databases: [orders, ODD],
  ...extra,
});
const on = (conn: ResolvedConnection, database = orders): ResolvedConnection => ({ ...conn, database });

/** Everything that decides who may connect and whether new sessions start read-only, per database. */
const catalogState = async () =>
  pg.query<{ datname: string; acl: string; setconfig: string[] | null }>(
    pg.admin,
    `SELECT d.datname, s.setconfig,
            (SELECT string_agg(format('%s>%s:%s:%s', a.grantor::regrole, CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE a.grantee::regrole::text END, a.privilege_type, a.is_grantable), ',' ORDER BY 1)
               FROM aclexplode(COALESCE(d.datacl, acldefault('d', d.datdba))) a) AS acl
       FROM pg_database d LEFT JOIN pg_db_role_setting s ON s.setdatabase = d.oid AND s.setrole = 0
      WHERE d.datname = ANY($1) ORDER BY 1`,
    [[orders, ODD]],
  );

/** An application whose driver opens every transaction READ WRITE. */
async function writeReadWrite(session: DbSession, id: number): Promise<void> {
  await session.query('BEGIN READ WRITE');
  await session.query('INSERT INTO t VALUES ($1)', [id]);
  await session.query('COMMIT');
}

async function masterSql(database = 'postgres'): Promise<{ sql: Sql; close(): Promise<void> }> {
  const session = await db.connect(on(master, database));
  await session.query(OWN_SESSION_WRITABLE_SQL);
  return {
    sql: async (text, params) => (await session.query(text, params)).rows as never,
    close: () => session.close(),
  };
}

describe('freeze-writes: the fence (fence: connections, the default)', () => {
  it('stops an application that opens its transactions READ WRITE; undo puts privileges and setting back exactly', async () => {
    const before = await catalogState();
    const idle = await db.connect(on(app));
    const writer = await db.connect(on(app));
    await writer.query('BEGIN READ WRITE');
    await writer.query('INSERT INTO t VALUES (1)'); // open write transaction, never committed
    const agent = await db.connect({ ...on(app), user: 'rdsadmin', password: 'x' });
    const { ctx, checkpoint } = context();

    const outputs = await freezeWrites.run(spec(), ctx);

    expect(outputs).toMatchObject({
      fence: 'connections',
      keptRoles: ['master', 'rdsadmin'],
      previousSettings: { [orders]: 'off', [ODD]: null },
    });
    expect(outputs.revokedFrom).toEqual({ [orders]: ['PUBLIC'], [ODD]: ['PUBLIC', 'app'] });
    await expect(idle.query('SELECT 1')).rejects.toThrow();
    await expect(writer.query('COMMIT')).rejects.toThrow();
    expect((await agent.query<{ one: number }>('SELECT 1 AS one')).rows[0]!.one).toBe(1); // rdsadmin untouched
    expect(await pg.query(on(pg.admin), 'SELECT * FROM t')).toEqual([]); // the uncommitted write rolled back
    // The application cannot come back, whatever its driver does.
    await expect(db.connect(on(app))).rejects.toThrow(/permission denied for database/);
    await expect(db.connect(on(app, ODD))).rejects.toThrow(/permission denied for database/);
    // The tool's own user still connects; new sessions start read-only.
    const mine = await db.connect(on(master));
    expect(
      (await mine.query<{ default_transaction_read_only: string }>('SHOW default_transaction_read_only')).rows[0]
        .default_transaction_read_only,
    ).toBe('on');
    await mine.close();
    // The record on the server says what to put back.
    expect(
      await pg.query(
        pg.admin,
        'SELECT datname, previous_setting, fence, kept_roles FROM aurora_migrate.fence ORDER BY 1',
      ),
    ).toEqual([
      { datname: ODD, previous_setting: null, fence: 'connections', kept_roles: ['master', 'rdsadmin'] },
      { datname: orders, previous_setting: 'off', fence: 'connections', kept_roles: ['master', 'rdsadmin'] },
    ]);

    const undone = await freezeWrites.undo!(spec(), ctx);
    expect(undone.restored).toEqual([orders, ODD]);
    expect(await catalogState()).toEqual(before);
    expect(await pg.query(pg.admin, 'SELECT count(*)::int AS n FROM aurora_migrate.fence')).toEqual([{ n: 0 }]);
    const after = await db.connect(on(app));
    await writeReadWrite(after, 3);
    await after.close();
    expect(checkpoint.get()?.rolledBackAt).toBeDefined();
    await Promise.all([idle, writer, agent].map((s: DbSession) => s.close().catch(() => undefined)));
  }, 60_000);

  it('a kill half-way (privileges partly revoked, no setting yet) is undone exactly from the checkpoint', async () => {
    const before = await catalogState();
    const { ctx, checkpoint } = context();
    await freezeWrites.run(spec(), ctx);
    await freezeWrites.undo!(spec(), ctx);
    // A second freeze that dies after the revoke of one database: redo that much by hand on top of its checkpoint.
    const half = context();
    const cp = { ...(checkpoint.get() as Record<string, unknown>) };
    delete cp.rolledBackAt;
    delete cp.revoked;
    await half.checkpoint.set(cp);
    const { sql, close } = await masterSql();
    await applyFence(sql, [orders], ['master'], { [orders]: 'master' });
    await close();
    expect(await catalogState()).not.toEqual(before);
    await freezeWrites.undo!(spec(), half.ctx);
    expect(await catalogState()).toEqual(before);
    // And an undo interrupted itself is simply run again.
    await freezeWrites.undo!(spec(), half.ctx);
    expect(await catalogState()).toEqual(before);
  }, 60_000);

  it("a resume after a crash keeps the remembered state, never the tool's own fence", async () => {
    const before = await catalogState();
    const { ctx, checkpoint } = context();
    await freezeWrites.run(spec(), ctx);
    const again = context(checkpoint);
    const outputs = await freezeWrites.run(spec(), again.ctx);
    expect(outputs.previousSettings).toEqual({ [orders]: 'off', [ODD]: null });
    expect(outputs.frozenAt).toBe('2026-12-04T02:00:00.000Z');
    await freezeWrites.undo!(spec(), again.ctx);
    expect(await catalogState()).toEqual(before);
  }, 60_000);

  it('a REVOKE without the right does nothing: the read-back catches it and the step fails naming the role', async () => {
    // A database the tool's user does not own: its REVOKE FROM PUBLIC only warns.
    await pg.query(pg.admin, 'CREATE DATABASE not_mine OWNER app');
    const { ctx } = context();
    const s = spec({ databases: ['not_mine'] });
    const err = await freezeWrites.run(s, ctx).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StepFailed);
    expect((err as Error).message).toMatch(
      /the fence does not hold: PUBLIC \(every role\) on "not_mine", role app on "not_mine" \(it owns the database\) can still connect/,
    );
    expect((err as Error).message).toMatch(/ALTER DATABASE … OWNER TO master/);
    // The engine undoes a failed freeze inside its window: nothing stays changed.
    await freezeWrites.undo!(s, ctx);
    const conn = await db.connect(on(app, 'not_mine'));
    await conn.close();
  }, 60_000);

  it("refuses to freeze over another run's fence, and liftFence restores from the record on the server", async () => {
    const before = await catalogState();
    const first = context(undefined, 'run-A');
    await freezeWrites.run(spec(), first.ctx);
    const second = context(undefined, 'run-B');
    const err = await freezeWrites.run(spec(), second.ctx).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(
      /is still fenced by step "freeze" of plan cutover-test .* Nothing was changed/,
    );
    // A later plan lifts it from the server's record alone (the logical route's fallback does so).
    const { sql, close } = await masterSql();
    expect((await liftFence(sql, [orders, ODD])).sort()).toEqual([ODD, orders].sort());
    await close();
    expect(await catalogState()).toEqual(before);
  }, 60_000);

  it("the last check names a session the fence cannot stop (the application as the tool's own user) and a write transaction", async () => {
    const { ctx } = context();
    await freezeWrites.run(spec(), ctx);
    expect(await freezeWrites.lastCheck!(spec(), ctx)).toEqual([]);
    const sneaky = await extraPg.connect(on(master));
    const problems = await freezeWrites.lastCheck!(spec(), ctx);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(
      new RegExp(
        `of user master on "${orders}" \\(application_name "billing-service", client 127\\.0\\.0\\.1\\) is connected to a frozen database`,
      ),
    );
    await sneaky.query('BEGIN READ WRITE');
    await sneaky.query('INSERT INTO t VALUES (9)').catch(() => undefined); // no INSERT right on t: the xid comes from a temp table instead
    await sneaky.query('ROLLBACK');
    await sneaky.query('BEGIN READ WRITE');
    await sneaky.query('CREATE TEMP TABLE x (a int)');
    expect((await freezeWrites.lastCheck!(spec(), ctx))[0]).toMatch(
      /holding a write transaction is connected to a frozen database/,
    );
    await sneaky.close();
    await freezeWrites.undo!(spec(), ctx);
  }, 60_000);
});

describe('freeze-writes: fence: read-only (cooperative)', () => {
  it('stops a plain INSERT but not a driver that opens its transactions READ WRITE', async () => {
    const before = await catalogState();
    const { ctx } = context();
    const outputs = await freezeWrites.run(spec({ fence: 'read-only' }), ctx);
    expect(outputs.fence).toBe('read-only');
    const late = await db.connect(on(app));
    await expect(late.query('INSERT INTO t VALUES (2)')).rejects.toThrow(/read-only/);
    await writeReadWrite(late, 4); // gets through: the gap `validate` and `plan` warn about
    await late.close();
    await freezeWrites.undo!(spec({ fence: 'read-only' }), ctx);
    expect(await catalogState()).toEqual(before);
  }, 60_000);

  it('quotes database names as identifiers and refuses unsafe ones', () => {
    expect(quoteIdent(ODD)).toBe('"Odd ""Name"""');
    expect(() => quoteIdent('orders\n; DROP DATABASE x')).toThrow(/control character/);
    expect(() => quoteIdent('x'.repeat(64))).toThrow(/63 bytes/);
    expect(() => quoteIdent('')).toThrow(/empty/);
  });
});
