// plan --preflight for the cutover's SQL side, against real PostgreSQL servers (the rehearsal's
// cluster toolkit: a primary and a real streaming standby of it). freeze-writes: the privileges the
// freeze needs (superuser, rds_superuser or owner for ALTER DATABASE … SET; pg_signal_backend to
// terminate; pg_read_all_stats to pick out sessions; CREATE for the marker), exact database
// names, the sessions there now. promote: the replicaConnection reaches a standby that replays.
// Every check is read-only: the settings and sessions are the same afterwards.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSourceServer, startStandby, type PgServer } from '../../../rehearsal/postgres/cluster.js';
import { createPgConnector } from '../../../src/db/pg-connector.js';
import type { DbSession, ResolvedConnection } from '../../../src/db/api.js';
import type { AwsApi } from '../../../src/aws/api.js';
import type { ConnectionSpec, FreezeWritesSpec, PromoteSpec } from '../../../src/plan/types.js';
import { freezeWrites } from '../../../src/steps/freeze-writes/index.js';
import { promote } from '../../../src/steps/promote/run.js';
import { TERMINATE_SQL } from '../../../src/steps/freeze-writes/sql.js';
import { sessionResults } from '../../../src/steps/freeze-writes/preflight.js';
import { runPreflight } from '../../../src/preflight/run-preflight.js';
import { checkPlanText } from '../../../src/plan/load.js';
import type { CheckResult } from '../../../src/steps/step.js';

const PW = 'preflight-test-password';
let source: PgServer;
let standby: PgServer;
const db = createPgConnector();
const noAws = { send: () => Promise.reject(new Error('no AWS in these checks')) } as unknown as AwsApi;
const ctx = () => ({ planName: 'orders', stepId: 'x', aws: noAws, db, signal: new AbortController().signal });
const open: DbSession[] = [];

beforeAll(async () => {
  source = await startSourceServer();
  for (const sql of [
    'CREATE DATABASE orders',
    'CREATE DATABASE "Billing"',
    // Every role but the harness's superuser logs in with a password (the rehearsal's pg_hba.conf).
    `CREATE ROLE plain LOGIN PASSWORD '${PW}'`,
    `CREATE ROLE dbowner LOGIN PASSWORD '${PW}'`,
    'ALTER DATABASE orders OWNER TO dbowner',
    'GRANT pg_signal_backend, pg_read_all_stats TO dbowner',
    `CREATE ROLE signaller LOGIN PASSWORD '${PW}' IN ROLE pg_signal_backend`,
    // RDS's shape: the master user is a member of rds_superuser, which holds the predefined roles.
    'CREATE ROLE rds_superuser NOLOGIN',
    'GRANT pg_signal_backend, pg_read_all_stats TO rds_superuser',
    `CREATE ROLE master LOGIN PASSWORD '${PW}' IN ROLE rds_superuser`,
    'GRANT CREATE ON DATABASE orders TO master',
  ])
    await source.query(sql);
  await source.query('CREATE TABLE t (id int)', [], 'orders');
  await source.query('GRANT ALL ON t TO PUBLIC', [], 'orders');
  standby = await startStandby(source, { slot: 'preflight_test' });
}, 180_000);
afterAll(async () => {
  for (const s of open) await s.close().catch(() => undefined);
  await standby?.stop();
  await source?.stop();
}, 60_000);

const as = (server: PgServer, user: string, database = 'postgres'): ConnectionSpec => ({
  host: server.address,
  port: server.port,
  database,
  user,
  ...(user === 'postgres' ? {} : { password: PW }),
});
const freezeSpec = (connection: ConnectionSpec, databases = ['orders']): FreezeWritesSpec => ({
  id: 'freeze',
  type: 'freeze-writes',
  connection,
  databases,
});
const promoteSpec = (replicaConnection: ConnectionSpec): PromoteSpec => ({
  id: 'promote',
  type: 'promote',
  cluster: '<steps.replica.outputs.clusterId>',
  replicaConnection,
});
const byCheck = (r: CheckResult[]) => Object.fromEntries(r.map((c) => [c.check, c]));
const freezePreflight = (spec: FreezeWritesSpec) => freezeWrites.preflight!(spec, ctx());
const promotePreflight = (spec: PromoteSpec) => promote.preflight!(spec, ctx());

async function session(conn: ResolvedConnection): Promise<DbSession> {
  const s = await db.connect(conn);
  open.push(s);
  return s;
}
const settings = () =>
  source.query<{ datname: string; setconfig: string[] | null }>(
    `SELECT d.datname, s.setconfig FROM pg_database d LEFT JOIN pg_db_role_setting s ON s.setdatabase = d.oid AND s.setrole = 0 ORDER BY 1`,
  );

describe('freeze-writes preflight', () => {
  it('passes for a superuser, reports the sessions and the write transactions there now, and changes nothing', async () => {
    const before = await settings();
    const writer = await session({ ...source.admin, database: 'orders', user: 'plain', password: PW });
    await writer.query('BEGIN');
    await writer.query('INSERT INTO t VALUES (1)');
    const idle = await session({ ...source.admin, database: 'orders', user: 'plain', password: PW });
    const r = await freezePreflight(freezeSpec(as(source, 'postgres')));
    // orders belongs to a login role: an owner always keeps CONNECT, so no fence would hold — said before anything changes.
    expect(r.filter((c) => c.status !== 'pass')).toEqual([
      {
        status: 'fail',
        check: 'the fence can hold',
        detail:
          'role dbowner owns "orders" and can log in: an owner always keeps CONNECT, so the fence would not stop it and the freeze would fail its read-back. Make postgres the owner (ALTER DATABASE … OWNER TO postgres), or — if that role never writes — add it to allowRoles',
      },
    ]);
    expect(byCheck(r)['may take CONNECT away (owner of the databases)'].detail).toBe('postgres is a superuser');
    expect(byCheck(r)['who loses CONNECT on "orders"'].detail).toMatch(
      /^PUBLIC, master, plain, signaller: their sessions are terminated and they cannot reconnect/,
    );
    expect(byCheck(r)['sessions on the databases now'].detail).toBe(
      '2 other session(s) on "orders", 1 with an open write transaction; the freeze terminates them all',
    );
    expect(byCheck(r)['may set the read-only default (ALTER DATABASE … SET)'].detail).toBe('postgres is a superuser');
    // Read-only: no setting changed, both sessions still alive, the write transaction still open.
    expect(await settings()).toEqual(before);
    expect((await idle.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    await writer.query('COMMIT');
  });

  it('a user without the privileges fails, each message naming the missing privilege', async () => {
    const r = byCheck(await freezePreflight(freezeSpec(as(source, 'plain'))));
    expect(r['may set the read-only default (ALTER DATABASE … SET)']).toEqual({
      status: 'fail',
      check: 'may set the read-only default (ALTER DATABASE … SET)',
      detail:
        'plain is neither a superuser, a member of rds_superuser, nor the owner of "orders" (owner dbowner): ALTER DATABASE … SET needs one of them. Use the RDS master user (a member of rds_superuser), or make this user the owner',
    });
    expect(r['may terminate other sessions (pg_signal_backend)']).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(
        /^missing privilege pg_signal_backend: plain cannot terminate other roles' sessions.*GRANT pg_signal_backend TO plain$/,
      ),
    });
    expect(r["sees other roles' sessions (pg_read_all_stats)"]).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(/^missing privilege pg_read_all_stats: .*GRANT pg_read_all_stats TO plain$/),
    });
    expect(r['may create the cutover marker']).toMatchObject({
      status: 'warn',
      detail: expect.stringMatching(/^plain has no CREATE on "orders": promote's caught-up marker/),
    });
  });

  it('the failures are true: those statements really are refused for such a user', async () => {
    const victim = await session({ ...source.admin, database: 'orders', user: 'dbowner', password: PW });
    await victim.query('BEGIN');
    await victim.query('INSERT INTO t VALUES (2)');
    const [{ pid }] = (await victim.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows;
    const plain = await session({ ...source.admin, database: 'orders', user: 'plain', password: PW });
    await expect(plain.query('ALTER DATABASE orders SET default_transaction_read_only = on')).rejects.toThrow(
      /must be owner of database orders/,
    );
    await expect(plain.query('SELECT pg_terminate_backend($1)', [pid])).rejects.toThrow(
      /permission denied to terminate process/,
    );
    await expect(plain.query('CREATE SCHEMA IF NOT EXISTS aurora_migrate')).rejects.toThrow(
      /permission denied for database orders/,
    );
    // With pg_signal_backend but not pg_read_all_stats, the freeze's own terminate statement matches
    // nothing (backend_type is hidden), and the writer keeps its session.
    const signaller = await session({ ...source.admin, database: 'orders', user: 'signaller', password: PW });
    expect((await signaller.query(TERMINATE_SQL, [['orders'], false, null])).rows).toEqual([]);
    expect((await victim.query<{ one: number }>('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    const r = byCheck(await freezePreflight(freezeSpec(as(source, 'signaller'))));
    expect(r['may terminate other sessions (pg_signal_backend)'].status).toBe('pass');
    expect(r["sees other roles' sessions (pg_read_all_stats)"].status).toBe('fail');
    await victim.query('ROLLBACK');
  });

  it("the owner of the databases with the predefined roles passes (only the harness's superuser, which no fence stops, is named)", async () => {
    const r = await freezePreflight(freezeSpec(as(source, 'dbowner', 'orders')));
    expect(r.filter((c) => c.status !== 'pass')).toEqual([
      {
        status: 'warn',
        check: 'superusers',
        detail: 'postgres is a superuser: no fence stops a superuser; make sure no application connects as one',
      },
    ]);
    expect(byCheck(r)['may take CONNECT away (owner of the databases)'].detail).toBe('dbowner owns "orders"');
    expect(byCheck(r)['may set the read-only default (ALTER DATABASE … SET)'].detail).toBe('dbowner owns "orders"');
  });

  it("an RDS-like master user (rds_superuser) passes, and is warned about superusers' sessions it cannot terminate", async () => {
    const su = await session({ ...source.admin, database: 'orders' });
    const r = byCheck(await freezePreflight(freezeSpec(as(source, 'master'))));
    expect(r['may set the read-only default (ALTER DATABASE … SET)']).toMatchObject({
      status: 'pass',
      detail: 'master is a member of rds_superuser',
    });
    expect(r['may terminate other sessions (pg_signal_backend)']).toMatchObject({
      status: 'pass',
      detail: 'master has the privileges of pg_signal_backend (through rds_superuser)',
    });
    expect(r["sees other roles' sessions (pg_read_all_stats)"].status).toBe('pass');
    expect(r['may create the cutover marker'].status).toBe('pass');
    expect(r["superusers' sessions"]).toMatchObject({
      status: 'warn',
      detail: expect.stringMatching(
        /^1 session\(s\) of superuser postgres on these databases: master is not a superuser and cannot terminate them/,
      ),
    });
    await su.close();
  });

  it('the fence: an RDS-like master user that does not own the database is told that rds_superuser is not enough, and the fix', async () => {
    const r = byCheck(await freezePreflight(freezeSpec(as(source, 'master'))));
    expect(r['may take CONNECT away (owner of the databases)']).toEqual({
      status: 'fail',
      check: 'may take CONNECT away (owner of the databases)',
      detail:
        'master does not own "orders" (owner dbowner): only a database\'s owner can take CONNECT from PUBLIC — a REVOKE by anyone else, rds_superuser included, only warns "no privileges could be revoked". ' +
        'Have the owner (or an administrator) run ALTER DATABASE "orders" OWNER TO master, or GRANT dbowner TO master',
    });
    // The record of the fence goes into the connection's database: master has no CREATE on postgres here.
    expect(r['may record the fence on the server']).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(
        /^master has no CREATE on database "postgres".*GRANT CREATE ON DATABASE "postgres" TO master/,
      ),
    });
  });

  it('the fence: warns when an application connects as a kept role (the fence cannot stop it), and for fence: read-only', async () => {
    const app = await db.connect({ ...source.admin, database: 'orders', user: 'dbowner', password: PW }); // application_name aurora-migrate: the tool's own
    const other = await createPgConnector({ applicationName: 'billing-api' }).connect({
      ...source.admin,
      database: 'orders',
      user: 'dbowner',
      password: PW,
    });
    const r = byCheck(await freezePreflight(freezeSpec(as(source, 'dbowner', 'orders'))));
    expect(r['applications connected as a kept role']).toEqual({
      status: 'warn',
      check: 'applications connected as a kept role',
      detail:
        '1 session(s) of dbowner (application_name "billing-api", client 127.0.0.1) on "orders": the fence cannot stop a role that keeps CONNECT, and the last check rolls the cutover back while such a session is connected. Give the application its own role',
    });
    await Promise.all([app.close(), other.close()]);
    const ro = byCheck(await freezePreflight({ ...freezeSpec(as(source, 'dbowner', 'orders')), fence: 'read-only' }));
    expect(ro.fence).toMatchObject({
      status: 'warn',
      detail: expect.stringMatching(/^fence: read-only — cooperative only: an application that runs BEGIN READ WRITE/),
    });
    expect(ro['may take CONNECT away (owner of the databases)']).toBeUndefined();
  });

  it('fails for a database that does not exist, suggesting the exact spelling', async () => {
    const r = byCheck(await freezePreflight(freezeSpec(as(source, 'postgres'), ['orders', 'billing', 'nope'])));
    expect(r['databases exist']).toEqual({
      status: 'fail',
      check: 'databases exist',
      detail:
        'no database named "billing" (did you mean "Billing"? names are case-sensitive), "nope" on the source; fix "databases" in the plan (names as in pg_database)',
    });
  });

  it('warns about write transactions open for over a minute (the drain would cut them off)', () => {
    // The rows SESSIONS_SQL returns; a real transaction open this long cannot be made without waiting.
    const rows = [
      { datname: 'orders', pid: 41, usename: 'app', writing: true, xact_seconds: 3.2, superuser: false },
      { datname: 'orders', pid: 42, usename: 'batch', writing: true, xact_seconds: 754, superuser: false },
      { datname: 'orders', pid: 43, usename: 'app', writing: false, xact_seconds: 900, superuser: false },
    ];
    expect(sessionResults(rows, ['orders'], 'postgres', true)).toEqual([
      {
        status: 'pass',
        check: 'sessions on the databases now',
        detail: '3 other session(s) on "orders", 2 with an open write transaction; the freeze terminates them all',
      },
      {
        status: 'warn',
        check: 'long-running write transactions',
        detail:
          '1 write transaction(s) open for more than 60s (oldest 12m34s: pid 42 as batch on "orders"): the drain would terminate them and their work would be rolled back. Let them finish (or stop them) before the cutover',
      },
    ]);
  });

  it('fails when the source is unreachable, and skips what is not known yet', async () => {
    const down = await freezePreflight(
      freezeSpec({ host: '127.0.0.1', port: 1, database: 'postgres', user: 'postgres' }),
    );
    expect(down).toHaveLength(1);
    expect(down[0]).toMatchObject({
      status: 'fail',
      check: 'source connection is reachable',
      detail: expect.stringMatching(
        /^cannot connect to database "postgres" at 127\.0\.0\.1:1 as postgres: .*Check "connection" in the plan/,
      ),
    });
    const unset = await freezePreflight(
      freezeSpec({ host: '<env.SOURCE_HOST unset>', database: 'postgres', user: 'postgres' }),
    );
    expect(unset).toEqual([
      {
        status: 'warn',
        check: 'source connection is reachable',
        detail:
          "skipped: connection.host is not known: environment variable SOURCE_HOST is not set; the freeze's privileges are checked when it runs",
      },
    ]);
  });
});

describe('promote preflight: the replica for the caught-up marker', () => {
  it('passes on a standby and reports its replay position and last replay time', async () => {
    await source.query('INSERT INTO t VALUES (3)', [], 'orders');
    const r = await promotePreflight(promoteSpec(as(standby, 'postgres', 'orders')));
    const c = byCheck(r);
    expect(c['replica for the caught-up marker is reachable'].status).toBe('pass');
    expect(c['replica is a standby']).toMatchObject({
      status: 'pass',
      detail: expect.stringMatching(
        new RegExp(
          `^${standby.address.replace(/\./g, '\\.')}:${standby.port} is a standby \\(in recovery\\): received WAL up to [0-9A-F]+/[0-9A-F]+, replayed up to [0-9A-F]+/[0-9A-F]+; last replayed transaction committed on the source at \\d{4}-`,
        ),
      ),
    });
    expect(r.filter((x) => x.status === 'fail')).toEqual([]);
  });

  it('fails on a primary: "not a standby"', async () => {
    const c = byCheck(await promotePreflight(promoteSpec(as(source, 'postgres', 'orders'))));
    expect(c['replica is a standby']).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(
        /is not a standby \(pg_is_in_recovery\(\) is false\): it accepts writes.*Point replicaConnection at the replica/,
      ),
    });
  });

  it('fails when the replica is unreachable', async () => {
    const r = await promotePreflight(promoteSpec({ host: '127.0.0.1', port: 1, database: 'orders', user: 'postgres' }));
    expect(byCheck(r)['replica for the caught-up marker is reachable']).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(
        /^cannot connect to database "orders" at 127\.0\.0\.1:1 as postgres: .*Check "replicaConnection" in the plan/,
      ),
    });
  });

  it('fails when replay is paused (the marker would never appear)', async () => {
    await standby.query('SELECT pg_wal_replay_pause()');
    try {
      const c = byCheck(await promotePreflight(promoteSpec(as(standby, 'postgres', 'orders'))));
      expect(c['replica is replaying']).toMatchObject({
        status: 'fail',
        detail: expect.stringMatching(/WAL replay is paused/),
      });
    } finally {
      await standby.query('SELECT pg_wal_replay_resume()');
    }
  });

  it("warns when the user has no CREATE on the marker database (the catalogs are the source's)", async () => {
    const c = byCheck(await promotePreflight(promoteSpec(as(standby, 'plain', 'orders'))));
    expect(c['replica is a standby'].status).toBe('pass');
    expect(c['marker database allows CREATE']).toMatchObject({
      status: 'warn',
      detail: expect.stringMatching(/^plain has no CREATE on database "orders"/),
    });
  });

  it('skips, not fails, when the replica is not known until an earlier step ran', async () => {
    const r = await promotePreflight(
      promoteSpec({
        host: '<steps.replica.outputs.readerEndpoint>',
        port: '<steps.replica.outputs.port>',
        database: 'orders',
        user: 'postgres',
      }),
    );
    expect(r.at(-1)).toEqual({
      status: 'warn',
      check: 'replica is reachable for the caught-up marker',
      detail:
        'skipped: replicaConnection.host is not known until step "replica" has run; the replica is checked when promote runs',
    });
    expect(r.some((x) => x.status === 'fail')).toBe(false);
  });
});

describe('plan --preflight (runPreflight) with the cutover steps', () => {
  it('runs the freeze checks with ${vars…}/${env…} resolved, in plan order, and fails the report for a missing privilege', async () => {
    const text = `
version: 1
name: pf
vars: { host: ${source.address} }
steps:
  - id: freeze
    type: freeze-writes
    connection: { host: "\${vars.host}", port: ${source.port}, database: postgres, user: "\${env.PGUSER}" }
    databases: [orders]
    allowRoles: [dbowner]
`;
    const checked = checkPlanText('plans/pf.yaml', text);
    if (!checked.ok) throw new Error(JSON.stringify(checked.diagnostics));
    const ok = await runPreflight(checked.plan, {
      aws: noAws,
      db,
      signal: new AbortController().signal,
      env: { PGUSER: 'postgres' },
    });
    expect(ok.failed).toBe(false);
    expect(ok.steps[0].checks.map((c) => c.check)).toContain('may terminate other sessions (pg_signal_backend)');
    const denied = await runPreflight(checked.plan, {
      aws: noAws,
      db,
      signal: new AbortController().signal,
      env: { PGUSER: 'plain' },
    });
    expect(denied.failed).toBe(true);
  });

  it('logs in with the ${env…} password (not the masked display form) and never shows it', async () => {
    const text = `
version: 1
name: pf-secret
steps:
  - id: freeze
    type: freeze-writes
    connection: { host: ${source.address}, port: ${source.port}, database: postgres, user: postgres, password: "\${env.PGPASSWORD}" }
    databases: [orders]
    allowRoles: [dbowner]
`;
    const checked = checkPlanText('plans/pf-secret.yaml', text);
    if (!checked.ok) throw new Error(JSON.stringify(checked.diagnostics));
    const report = await runPreflight(checked.plan, {
      aws: noAws,
      db,
      signal: new AbortController().signal,
      env: { PGPASSWORD: 'correct-horse-battery' },
    });
    expect(report.failed).toBe(false);
    expect(JSON.stringify(report)).not.toMatch(/masked here/);
    expect(report.steps[0].checks.map((c) => c.check)).toContain('may terminate other sessions (pg_signal_backend)');
    expect(JSON.stringify(report)).not.toContain('correct-horse-battery');
  });
});
