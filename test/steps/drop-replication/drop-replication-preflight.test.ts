// drop-replication's preflight on a real PostgreSQL 14 server, as the RDS-like master user (never a
// superuser): what is there and will be dropped, what is already gone, a slot someone reads now
// (which the run would refuse) named with its reader, a publication the tool's user does not own,
// and names that come from an earlier step's output, which cannot be looked up yet.
import { spawn, type ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { startSourceServer, type PgServer } from '../../../rehearsal/postgres/cluster.js';
import { prepareRdsDatabase } from '../../../rehearsal/postgres/rds-roles.js';
import { createPgConnector } from '../../../src/db/pg-connector.js';
import { dropReplication } from '../../../src/steps/drop-replication/index.js';
import type { CheckResult } from '../../../src/steps/step.js';

let server: PgServer | undefined;
let reader: ChildProcess | undefined;
afterEach(async () => {
  reader?.kill('SIGKILL');
  await server?.stop();
  server = reader = undefined;
});

const preflight = (spec: Record<string, unknown>) =>
  dropReplication.preflight!({ id: 'drop', type: 'drop-replication', ...spec } as never, {
    planName: 'orders',
    stepId: 'drop',
    aws: { send: () => Promise.reject(new Error('no AWS here')) },
    db: createPgConnector(),
    signal: new AbortController().signal,
  });
const byCheck = (results: CheckResult[]) =>
  Object.fromEntries(results.map((r) => [r.check, `${r.status}: ${r.detail}`]));

describe('drop-replication preflight', () => {
  it('names what it will drop, what is gone, an active slot with its reader, and a publication the user does not own', async () => {
    server = await startSourceServer({ major: 14, settings: { wal_level: 'logical' } });
    const { master, app } = await prepareRdsDatabase(server, 'orders');
    await server.query(`ALTER ROLE ${master.user} REPLICATION`); // the rehearsal's rds_replication
    await server.query('CREATE TABLE t (id int PRIMARY KEY)', [], 'orders');
    await server.query(`ALTER TABLE t OWNER TO ${app.user}`, [], 'orders');
    await server.query(`CREATE PUBLICATION ours FOR TABLE t`, [], 'orders');
    await server.query(`ALTER PUBLICATION ours OWNER TO ${master.user}`, [], 'orders');
    await server.query(`CREATE PUBLICATION theirs FOR TABLE t`, [], 'orders');
    await server.query(`ALTER PUBLICATION theirs OWNER TO ${app.user}`, [], 'orders');
    await server.query(`SELECT pg_create_logical_replication_slot('idle_slot', 'pgoutput')`, [], 'orders');
    await server.query(`SELECT pg_create_logical_replication_slot('busy_slot', 'test_decoding')`, [], 'orders');
    // Someone streams from busy_slot right now (pg_recvlogical, as a replication client would).
    reader = spawn(
      'pg_recvlogical',
      [
        '-h',
        server.address,
        '-p',
        String(server.port),
        '-U',
        server.admin.user,
        '-d',
        'orders',
        '--slot',
        'busy_slot',
        '--start',
        '-f',
        '/dev/null',
      ],
      {
        stdio: 'ignore',
        env: { ...process.env, PGPASSWORD: server.admin.password ?? '', PGAPPNAME: 'someone-elses-reader' },
      },
    );
    for (let i = 0; i < 100; i++) {
      const [{ active }] = await server.query<{ active: boolean }>(
        `SELECT active FROM pg_replication_slots WHERE slot_name = 'busy_slot'`,
      );
      if (active) break;
      await new Promise((r) => setTimeout(r, 100));
    }

    const results = await preflight({
      connection: { ...master, database: 'orders' },
      subscriptions: ['gone_sub'],
      publications: ['ours', 'theirs', 'gone_pub'],
      slots: ['idle_slot', 'busy_slot', 'gone_slot', '<steps.replicate.outputs.slot>'],
      ddlGuard: true,
    });
    const checks = byCheck(results);
    expect(checks['server connection is reachable']).toMatch(/^pass: connected to /);
    expect(checks['subscription gone_sub']).toBe('pass: not there (already dropped, or not made yet): nothing to drop');
    expect(checks['publication ours']).toBe('pass: there: it will be dropped');
    expect(checks['publication theirs']).toMatch(/^fail: the tool's user does not own it: grant it the owning role/);
    expect(checks['publication gone_pub']).toMatch(/^pass: not there/);
    expect(checks['slot idle_slot']).toBe('pass: there, not in use: it will be dropped (the WAL it holds is released)');
    expect(checks['slot busy_slot']).toMatch(
      /^fail: in use by pid \d+ \(user postgres, application_name "someone-elses-reader", client [^)]+\): the run would refuse to drop it/,
    );
    expect(checks['slot gone_slot']).toMatch(/^pass: not there/);
    expect(checks['slot to drop']).toBe(
      'warn: skipped: the name is not known until step "replicate" has run; looked up at apply time',
    );
    expect(checks['DDL guard']).toBe('pass: not there: nothing to drop');
    // Read-only: nothing was dropped.
    expect((await server.query<{ n: string }>('SELECT count(*) AS n FROM pg_publication', [], 'orders'))[0]!.n).toBe(
      '2',
    );
    expect((await server.query<{ n: string }>('SELECT count(*) AS n FROM pg_replication_slots'))[0]!.n).toBe('2');
  }, 60_000);

  it("a slot the tool's user may not drop (no REPLICATION, no rds_replication) fails, saying what to grant", async () => {
    server = await startSourceServer({ major: 14, settings: { wal_level: 'logical' } });
    const { master } = await prepareRdsDatabase(server, 'orders');
    await server.query(`SELECT pg_create_logical_replication_slot('idle_slot', 'pgoutput')`, [], 'orders');
    const checks = byCheck(await preflight({ connection: { ...master, database: 'orders' }, slots: ['idle_slot'] }));
    expect(checks['slot idle_slot']).toMatch(
      /^fail: the tool's user may not drop replication slots: GRANT rds_replication TO <user>/,
    );
  }, 60_000);
});
