// lift-fence on a real (embedded) PostgreSQL, as the RDS-like master user: a fence left by a forward
// cutover (freeze-writes' record in aurora_migrate.fence) is lifted from the server's record alone —
// CONNECT and the read-only setting back exactly, the record gone, the application writing again;
// a second run finds nothing to lift; the dry-run shows what it reads and changes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStepContext, memoryCheckpoint } from '../../../src/engine/step-context.js';
import { createPgConnector } from '../../../src/db/pg-connector.js';
import type { ResolvedConnection } from '../../../src/db/api.js';
import { startPostgres, type TestPostgres } from '../../../rehearsal/postgres/server.js';
import {
  createAppRole,
  createRdsMasterUser,
  newPassword,
  type AdminServer,
} from '../../../rehearsal/postgres/rds-roles.js';
import { freezeWrites } from '../../../src/steps/freeze-writes/index.js';
import { liftFenceStep } from '../../../src/steps/lift-fence/index.js';
import type { FreezeWritesSpec, LiftFenceSpec } from '../../../src/plan/types.js';

let pg: TestPostgres;
let master: ResolvedConnection;
let app: ResolvedConnection;
let orders: string;
const db = createPgConnector();

beforeAll(async () => {
  pg = await startPostgres();
  const admin: AdminServer = {
    admin: pg.admin,
    query: (sql, params, database) => pg.query(database ? { ...pg.admin, database } : pg.admin, sql, params),
  };
  master = await createRdsMasterUser(admin, { user: 'master', password: newPassword() });
  app = await createAppRole(admin, { user: 'app', password: newPassword() });
  orders = (await pg.createDatabase()).database;
  await pg.query(pg.admin, `ALTER DATABASE ${orders} OWNER TO master`);
  await pg.query({ ...pg.admin, database: orders }, 'CREATE TABLE t (id int)');
  await pg.query({ ...pg.admin, database: orders }, 'ALTER TABLE t OWNER TO app');
}, 120_000);
afterAll(async () => pg?.stop());

function context(stepId: string) {
  const warnings: string[] = [];
  const ctx = createStepContext({
    planName: 'lift-test',
    stepId,
    attempt: 1,
    runId: 'run-1',
    aws: {} as never,
    db,
    clock: { now: () => Date.parse('2026-12-05T02:00:00Z') },
    timeScale: 1,
    signal: new AbortController().signal,
    checkpoint: memoryCheckpoint(),
    onEvent: (e) => (e.type === 'warning' ? warnings.push(e.message) : undefined),
    delay: async () => undefined,
    monotonic: () => 0,
  });
  return { ctx, warnings };
}
const conn = () => ({
  host: master.host,
  port: master.port,
  database: 'postgres',
  user: master.user,
  password: master.password,
});
const acl = async () =>
  (
    await pg.query<{ acl: string | null; setconfig: string[] | null }>(
      pg.admin,
      'SELECT d.datacl::text AS acl, s.setconfig FROM pg_database d LEFT JOIN pg_db_role_setting s ON s.setdatabase = d.oid AND s.setrole = 0 WHERE d.datname = $1',
      [orders],
    )
  )[0];

describe('lift-fence', () => {
  it("lifts a fence left behind from the server's record: CONNECT and setting back, the application writes again; a second run has nothing to lift", async () => {
    const before = await acl();
    expect(before.acl).toBeNull(); // the owner's defaults, implicitly
    const freeze: FreezeWritesSpec = {
      id: 'freeze',
      type: 'freeze-writes',
      connection: conn(),
      databases: [orders],
      drainTimeout: '5s',
    };
    await freezeWrites.run(freeze, context('freeze').ctx); // forward: nobody undoes it
    await expect(db.connect({ ...app, database: orders })).rejects.toThrow(/permission denied for database/);

    const spec: LiftFenceSpec = { id: 'unfence', type: 'lift-fence', connection: conn(), databases: [orders] };
    const first = context('unfence');
    expect(await liftFenceStep.run(spec, first.ctx)).toMatchObject({ lifted: [orders] });
    // PUBLIC has CONNECT again, the owner's defaults as they were (a NULL ACL comes back explicit), no setting.
    expect(await acl()).toEqual({ acl: '{=Tc/master,master=CTc/master}', setconfig: before.setconfig });
    const session = await db.connect({ ...app, database: orders });
    await session.query('BEGIN READ WRITE');
    await session.query('INSERT INTO t VALUES (1)');
    await session.query('COMMIT');
    await session.close();
    expect(await pg.query(pg.admin, 'SELECT count(*)::int AS n FROM aurora_migrate.fence')).toEqual([{ n: 0 }]);

    const second = context('unfence');
    expect(await liftFenceStep.run(spec, second.ctx)).toMatchObject({ lifted: [] });
    expect(second.warnings).toEqual([`no fence recorded for "${orders}" in database postgres: nothing lifted there`]);
  }, 60_000);

  it('the dry-run shows what it reads and changes', () => {
    const actions = liftFenceStep.describe(
      { id: 'unfence', type: 'lift-fence', connection: conn(), databases: ['orders'] },
      { planName: 'p', stepId: 'unfence' },
    );
    expect(actions.map((a) => a.kind)).toEqual(['sql', 'sql', 'sql', 'sql']);
    expect(JSON.stringify(actions)).toMatch(/DELETE FROM aurora_migrate\.fence/);
  });
});
