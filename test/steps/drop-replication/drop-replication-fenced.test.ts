// drop-replication on the old source after a cutover: the source is still fenced (its database
// read-only by default), and the clean-up of the publication, the slot and the DDL guard must not be
// refused there ("cannot execute DROP PUBLICATION in a read-only transaction", found by the logical
// demo). The step's own session lifts the default for itself only: the database keeps it.
import { afterEach, describe, expect, it } from 'vitest';
import { dropReplication } from '../../../src/steps/drop-replication/index.js';
import { startSourceServer, type PgServer } from '../../../rehearsal/postgres/cluster.js';
import { runLocal } from '../../support/logical/run-logical.js';

let server: PgServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

describe('drop-replication on a fenced server', () => {
  it('drops the publication and the slot of a database whose default is read-only, and leaves that default in place', async () => {
    server = await startSourceServer({ major: 14, settings: { wal_level: 'logical' } });
    await server.query('CREATE DATABASE orders');
    await server.query('CREATE TABLE t (id int PRIMARY KEY)', [], 'orders');
    await server.query('CREATE PUBLICATION aurora_migrate_p FOR TABLE t', [], 'orders');
    await server.query(`SELECT pg_create_logical_replication_slot('aurora_migrate_p', 'pgoutput')`, [], 'orders');
    // What freeze-writes leaves on the old source after the switch (besides CONNECT taken away).
    await server.query('ALTER DATABASE orders SET default_transaction_read_only = on');

    const spec = {
      id: 'drop',
      type: 'drop-replication',
      connection: { ...server.admin, database: 'orders' },
      publications: ['aurora_migrate_p'],
      slots: ['aurora_migrate_p'],
    };
    const r = await runLocal(dropReplication, spec);
    expect(r.error?.message).toBeUndefined();
    expect(r.outputs).toEqual({ dropped: ['publication aurora_migrate_p', 'slot aurora_migrate_p'] });
    expect(await server.query('SELECT pubname FROM pg_publication', [], 'orders')).toEqual([]);
    expect(await server.query('SELECT slot_name FROM pg_replication_slots')).toEqual([]);
    const [{ ro }] = await server.query<{ ro: string }>(
      `SELECT current_setting('default_transaction_read_only') AS ro`,
      [],
      'orders',
    );
    expect(ro).toBe('on');
  }, 60_000);
});
