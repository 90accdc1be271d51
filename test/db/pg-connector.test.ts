// The pg adapter against a real server: settings it applies, and the errors a user reads.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, type TestPostgres } from '../../rehearsal/postgres/server.js';
import { clientConfig, createPgConnector } from '../../src/db/pg-connector.js';
import { DbError } from '../../src/db/errors.js';
import { toResolvedConnection } from '../../src/db/connection.js';
import type { ResolvedConnection } from '../../src/db/api.js';

let pg: TestPostgres;
let conn: ResolvedConnection;
const connector = createPgConnector();

beforeAll(async () => {
  pg = await startPostgres();
  conn = await pg.createDatabase();
});
afterAll(async () => {
  await pg?.stop();
});

async function failure(p: Promise<unknown>): Promise<DbError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(DbError);
    return err as DbError;
  }
  throw new Error('expected a failure');
}

describe('pg connector', () => {
  it('reports application_name aurora-migrate and applies the statement timeout', async () => {
    const s = await connector.connect(conn, { statementTimeoutMs: 1500 });
    try {
      const { rows } = await s.query<{ app: string; timeout: string }>(
        "SELECT current_setting('application_name') AS app, current_setting('statement_timeout') AS timeout",
      );
      expect(rows[0]).toEqual({ app: 'aurora-migrate', timeout: '1500ms' });
    } finally {
      await s.close();
    }
  });

  it('turns a statement timeout into a query error with the server message', async () => {
    const s = await connector.connect(conn, { statementTimeoutMs: 50 });
    try {
      const err = await failure(s.query('SELECT pg_sleep(10)'));
      expect(err.kind).toBe('query');
      expect(err.sqlstate).toBe('57014');
      expect(err.message).toMatch(/statement timeout/);
    } finally {
      await s.close();
    }
  });

  it('cancels the running statement on the server when the signal aborts', async () => {
    const ac = new AbortController();
    const s = await connector.connect(conn, { signal: ac.signal });
    try {
      const running = s.query('SELECT pg_sleep(30)');
      // Abort once the statement is visibly running on the server (no wall-clock sleeping).
      for (;;) {
        const rows = await pg.query(
          conn,
          "SELECT 1 FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(30)' AND state = 'active'",
        );
        if (rows.length > 0) break;
      }
      const started = performance.now();
      ac.abort();
      const err = await failure(running);
      expect(err.kind).toBe('canceled');
      expect(performance.now() - started).toBeLessThan(5000);
    } finally {
      await s.close();
    }
  });

  it('says the connection was lost when the server ends the session', async () => {
    const s = await connector.connect(conn);
    try {
      const { rows } = await s.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      await pg.query(conn, 'SELECT pg_terminate_backend($1)', [rows[0].pid]);
      const err = await failure(s.query('SELECT 1'));
      expect(err.kind).toBe('connection');
      expect(err.message).toMatch(
        /lost the connection to PostgreSQL at 127\.0\.0\.1:\d+ \(database "t_[0-9a-f]+"\).*running apply again resumes/,
      );
    } finally {
      await s.close();
    }
  });

  it('names the user and the fix for a wrong password, and never prints the password', async () => {
    const secret = 'Sup3r-Secret-Pa55word';
    const err = await failure(connector.connect({ ...conn, password: secret }));
    expect(err.kind).toBe('connect');
    expect(err.sqlstate).toBe('28P01');
    expect(err.message).toContain(`password authentication failed for user "postgres"`);
    expect(err.message).toContain('Check connection.password');
    expect(JSON.stringify({ m: err.message, d: err.detail, s: String(err.stack) })).not.toContain(secret);
  });

  it('explains a refused connection and a missing database', async () => {
    const refused = await failure(connector.connect({ ...conn, port: 1 }));
    expect(refused.message).toMatch(
      /could not connect to PostgreSQL at 127\.0\.0\.1:1 .*connection refused\. Check connection\.host/,
    );
    const missing = await failure(connector.connect({ ...conn, database: 'nope_db' }));
    expect(missing.message).toContain('the database "nope_db" does not exist');
  });

  it('tells the user to turn TLS off when the server does not speak it', async () => {
    const err = await failure(connector.connect({ ...conn, ssl: 'require' }));
    expect(err.message).toMatch(/does not accept TLS connections\. Set connection\.ssl to false/);
  });

  it('maps ssl settings and keepalive into the client configuration', () => {
    const base = { host: 'db.example', port: 5432, database: 'd', user: 'u' };
    expect(clientConfig(base).ssl).toBe(false);
    expect(clientConfig({ ...base, ssl: 'require' }).ssl).toEqual({ rejectUnauthorized: false });
    expect(clientConfig({ ...base, ssl: true }).ssl).toEqual({ rejectUnauthorized: true, servername: 'db.example' });
    expect(clientConfig({ ...base, ssl: 'verify-full' }).ssl).toEqual({
      rejectUnauthorized: true,
      servername: 'db.example',
    });
    const c = clientConfig(base);
    expect(c).toMatchObject({
      keepAlive: true,
      keepAliveInitialDelayMillis: 1000,
      connectionTimeoutMillis: 10_000,
      application_name: 'aurora-migrate',
    });
    expect(c.statement_timeout).toBeUndefined();
  });

  it('reads a port given as a string and rejects a bad one', () => {
    expect(toResolvedConnection({ host: 'h', port: '6432', database: 'd', user: 'u' }).port).toBe(6432);
    expect(() => toResolvedConnection({ host: 'h', port: 'x', database: 'd', user: 'u' })).toThrow(
      /connection\.port: "x" is not a port number/,
    );
  });
});
