// reverse-replication onto an old source of 16 or newer (here two PostgreSQL 18 servers): the tool's
// user there is an RDS-like master user — not a superuser —, which may create the subscription
// through pg_create_subscription (what 16 added; the rehearsal's rds_superuser stand-in holds it) and
// owns the database; the subscription gets origin = none, and the database's fence
// (default_transaction_read_only = on) stops neither the step nor the apply worker.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSourceServer, type PgServer } from '../../../rehearsal/postgres/cluster.js';
import { createRdsMasterUser, newPassword } from '../../../rehearsal/postgres/rds-roles.js';
import type { ResolvedConnection } from '../../../src/db/api.js';
import { reverseReplication } from '../../../src/steps/reverse-replication/index.js';
import { runLocal } from '../../support/logical/run-logical.js';
import { asRole } from '../../support/logical/world.js';

let aurora: PgServer;
let old: PgServer;
let auroraMaster: ResolvedConnection;
let oldMaster: ResolvedConnection;

beforeAll(async () => {
  [aurora, old] = await Promise.all([
    startSourceServer({ major: 18, settings: { wal_level: 'logical' } }),
    startSourceServer({ major: 18 }),
  ]);
  auroraMaster = {
    ...(await createRdsMasterUser(aurora, { user: 'master', password: newPassword() })),
    database: 'orders',
  };
  oldMaster = { ...(await createRdsMasterUser(old, { user: 'master', password: newPassword() })), database: 'orders' };
  await aurora.query('ALTER ROLE master REPLICATION'); // stand-in of GRANT rds_replication TO master on Aurora
  for (const s of [aurora, old]) await s.query('CREATE DATABASE orders OWNER master');
  for (const c of [auroraMaster, oldMaster])
    await asRole(c, (db) => db.query('CREATE TABLE t (id int PRIMARY KEY, v text)'));
  await asRole(auroraMaster, async (db) => {
    await db.query('CREATE PUBLICATION aurora_migrate_p_switchover FOR TABLE t');
    await db.query("SELECT pg_create_logical_replication_slot('aurora_migrate_p_switchover', 'pgoutput')");
    await db.query("INSERT INTO t SELECT g, 'after the switch' FROM generate_series(1, 10) g");
  });
  // The forward cutover's fence on the old source.
  await old.query('ALTER DATABASE orders SET default_transaction_read_only = on');
}, 120_000);
afterAll(async () => {
  await Promise.all([aurora?.stop(), old?.stop()]);
}, 60_000);

const conn = (c: ResolvedConnection) => ({
  host: c.host,
  port: c.port,
  database: c.database,
  user: c.user,
  password: c.password,
});

describe('reverse-replication onto a 16+ old source', () => {
  it('a non-superuser with pg_create_subscription subscribes with origin = none past the fence; the rows written on Aurora since the switch arrive', async () => {
    const spec = {
      id: 'fallback',
      type: 'reverse-replication',
      source: conn(auroraMaster),
      target: conn(oldMaster),
      subscription: 'aurora_migrate_p_replicate',
      reverseSlot: 'aurora_migrate_p_switchover',
      maxLag: '1MiB',
      timeout: '2m',
    };
    const r = await runLocal(reverseReplication, spec, { planName: 'p' });
    expect(r.error).toBeUndefined();
    expect(r.outputs).toEqual({
      publication: 'aurora_migrate_p_switchover',
      subscription: 'aurora_migrate_p_fallback',
      slot: 'aurora_migrate_p_switchover',
    });
    expect(r.named('forward-subscription-dropped')).toEqual([expect.objectContaining({ how: 'adopted' })]);
    expect(r.named('reverse-subscription')).toEqual([expect.objectContaining({ how: 'created', origin: 'none' })]);
    const [sub] = await old.query<{ origin: string; owner: string }>(
      'SELECT suborigin AS origin, pg_get_userbyid(subowner) AS owner FROM pg_subscription',
      [],
      'orders',
    );
    expect(sub).toEqual({ origin: 'none', owner: 'master' });
    const [{ n }] = await old.query<{ n: string }>(
      "SELECT count(*) AS n FROM t WHERE v = 'after the switch'",
      [],
      'orders',
    );
    expect(Number(n)).toBe(10);
    // Still fenced for everyone else.
    const [{ ro }] = await old.query<{ ro: string }>(
      "SELECT setting AS ro FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase, unnest(s.setconfig) setting WHERE d.datname = 'orders'",
    );
    expect(ro).toBe('default_transaction_read_only=on');
    const text = JSON.stringify(r.events);
    expect(text).toMatch(/CREATE SUBSCRIPTION .*password=\*\*\*.*origin = none/);
    for (const secret of [auroraMaster.password!, oldMaster.password!]) expect(text).not.toContain(secret);
  }, 120_000);
});
