// The writer keeps committing through the forwarder across a terminated session, a read-only
// database and refused connections, and its report matches the rows really on the server.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, type TestPostgres } from '../../../rehearsal/postgres/server.js';
import { startForwarder } from '../../../rehearsal/app/forwarder.js';
import { startWriter } from '../../../rehearsal/app/writer.js';
import { buildReport } from '../../../rehearsal/app/report.js';

let server: TestPostgres;
beforeAll(async () => {
  server = await startPostgres();
});
afterAll(async () => {
  await server?.stop();
});

const until = async (cond: () => boolean, what: string, ms = 20_000) => {
  const end = performance.now() + ms;
  while (!cond()) {
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('writer and report', () => {
  it('survives a terminated session, a read-only database and refused connections; the report is exact', async () => {
    const db = await server.createDatabase();
    let address: string | undefined = 'source';
    const fwd = await startForwarder({
      recordName: 'app.example.com',
      lookup: async () => (address ? { value: address, ttl: 0 } : undefined),
      resolve: (a) => (a === 'source' ? { host: '127.0.0.1', port: db.port! } : undefined),
      port: 0,
    });
    const writer = await startWriter({
      connection: { ...db, port: fwd.port, host: fwd.host, password: db.password ?? undefined } as never,
      ratePerSecond: 500,
    });
    let run: Awaited<ReturnType<typeof writer.stop>>;
    try {
      await writer.waitForAcks(100);

      // A session killed while idle in the pool is dropped silently (pg-pool discards it); one killed
      // mid-statement is an error the writer sees. Kill until the writer has seen one, then go on.
      const kill = () =>
        server.query(
          db,
          `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'rehearsal-writer'`,
        );
      for (let i = 0; i < 50 && writer.errors.terminated === 0; i++) {
        await kill();
        await new Promise((r) => setTimeout(r, 20));
      }
      await writer.waitForAcks(100);
      expect(writer.errors.terminated).toBeGreaterThan(0);

      await server.query(server.admin, `ALTER DATABASE ${db.database} SET default_transaction_read_only = on`);
      await server.query(
        db,
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'rehearsal-writer'`,
      );
      await until(() => writer.errors.readOnly > 0, 'a read-only error');
      await server.query(server.admin, `ALTER DATABASE ${db.database} RESET default_transaction_read_only`);
      await server.query(
        db,
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'rehearsal-writer'`,
      );
      await writer.waitForAcks(100);

      address = undefined;
      await server.query(
        db,
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'rehearsal-writer'`,
      );
      await until(() => fwd.refused > 2, 'refused connections');
      address = 'source';
      await writer.waitForAcks(100);
    } finally {
      run = await writer.stop();
      await fwd.stop();
    }

    const rows = Number((await server.query<{ n: string }>(db, 'SELECT count(*) AS n FROM app_writes'))[0].n);
    const dupes = Number(
      (await server.query<{ n: string }>(db, 'SELECT count(*) - count(DISTINCT seq) AS n FROM app_writes'))[0].n,
    );
    const report = await buildReport({ run, target: db as never, route: fwd.route });
    expect(report.acknowledgedWrites).toBeGreaterThanOrEqual(400);
    expect(report.lostWrites).toBe(0);
    expect(report.foundOnTarget).toBe(report.acknowledgedWrites);
    expect(rows).toBe(report.acknowledgedWrites + report.unacknowledgedOnTarget);
    expect(dupes).toBe(0);
    expect(report.writeDowntimeSeconds).toBeGreaterThan(0);
    expect(report.route).toEqual(['source']);

    // Rows deleted behind the writer's back are reported as lost, with their seqs.
    const victims = run.acks.slice(10, 13).map((a) => a.seq);
    await server.query(db, 'DELETE FROM app_writes WHERE seq = ANY($1)', [victims]);
    const after = await buildReport({ run, target: db as never });
    expect(after.lostWrites).toBe(3);
    expect(after.lostSeqs).toEqual([...victims].sort((a, b) => a - b));
  });
});
