// The least privileges the data steps run with (docs/aws-setup.md "Database grants"): an administrator
// creates the extension and the aurora_migrate schema once; the step's user needs no CREATE on the
// database. Without the schema, the error says what to grant.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { s3Import } from '../../../src/steps/s3-import/run.js';
import { s3Export } from '../../../src/steps/s3-export.js';
import type { ResolvedConnection } from '../../../src/db/api.js';
import type { S3ImportSpec } from '../../../src/plan/types.js';
import { connectionSpec, csvRows, runStep, startDataWorld, type DataWorld } from '../support/s3-data.js';

let world: DataWorld;
let admin: ResolvedConnection;
let migrator: ResolvedConnection;
let n = 0;
const PASSWORD = 'migrator-pw-123';

beforeAll(async () => {
  world = await startDataWorld();
  await world.pg.query(world.pg.admin, `CREATE ROLE migrator LOGIN PASSWORD '${PASSWORD}'`);
  // Only for the stand-in, which reads "S3" from the server's disk: on Aurora the aws_s3 extension
  // reads S3 itself and this role is not needed.
  await world.pg.query(
    world.pg.admin,
    'GRANT pg_read_server_files, pg_write_server_files, pg_execute_server_program TO migrator',
  );
});
afterAll(async () => {
  await world?.stop();
});
beforeEach(async () => {
  admin = await world.pg.createDatabase();
  migrator = { ...admin, user: 'migrator', password: PASSWORD };
  await world.pg.query(admin, 'CREATE TABLE items (id int, name text)');
  await world.pg.query(admin, 'GRANT INSERT, SELECT ON items TO migrator');
});

const bucket = () => `grants-${n}`;
const spec = (): S3ImportSpec => ({
  id: 'backfill',
  type: 's3-import',
  connection: connectionSpec(migrator),
  tables: [
    {
      table: 'items',
      options: '(format csv)',
      from: { bucket: bucket(), region: 'us-east-1', prefix: 'p/' },
      expectRows: 3,
    },
  ],
});

/** What an administrator runs once (rds_superuser on Aurora). */
async function adminSetup(withSchema: boolean) {
  await world.pg.query(admin, 'CREATE EXTENSION IF NOT EXISTS aws_s3 CASCADE');
  await world.pg.query(admin, 'GRANT USAGE ON SCHEMA aws_s3, aws_commons TO migrator');
  await world.pg.query(admin, 'GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA aws_s3, aws_commons TO migrator');
  // Stand-in only (it stats the file on the server's disk).
  await world.pg.query(admin, 'GRANT EXECUTE ON FUNCTION pg_stat_file(text, boolean), pg_stat_file(text) TO migrator');
  if (withSchema) await world.pg.query(admin, 'CREATE SCHEMA aurora_migrate AUTHORIZATION migrator');
}

describe('data steps with least privileges', () => {
  it('import and export run as a user without CREATE on the database once the schema exists', async () => {
    n++;
    await adminSetup(true);
    expect(
      await world.pg.query(admin, "SELECT has_database_privilege('migrator', current_database(), 'CREATE') AS c"),
    ).toEqual([{ c: false }]);
    await world.pg.putObject(bucket(), 'p/a.csv', csvRows(0, 3));
    const imported = await runStep(s3Import, spec(), { world });
    expect(imported.error).toBeUndefined();
    expect(imported.outputs).toEqual({ filesImported: 1, rowsImported: 3 });

    const exported = await runStep(
      s3Export,
      {
        id: 'archive',
        type: 's3-export',
        connection: connectionSpec(migrator),
        query: 'SELECT * FROM items',
        to: { bucket: bucket(), path: 'out/items.csv', region: 'us-east-1' },
        options: 'format csv',
      },
      { world },
    );
    expect(exported.error).toBeUndefined();
    expect(exported.outputs).toMatchObject({ rowsUploaded: 3, filesUploaded: 1 });
  });

  it('says what to grant when the schema is missing', async () => {
    n++;
    await adminSetup(false);
    await world.pg.putObject(bucket(), 'p/a.csv', csvRows(0, 3));
    const r = await runStep(s3Import, spec(), { world });
    expect(r.error?.message).toMatch(
      /^step "backfill" failed: creating schema aurora_migrate failed: permission denied for database t_[0-9a-f]+\. Grant CREATE on the database to the step's user, or have an administrator run CREATE SCHEMA aurora_migrate AUTHORIZATION <user>, then run apply again\.$/,
    );
  });

  it('says an administrator must create the extension', async () => {
    n++;
    const r = await runStep(s3Import, spec(), { world });
    expect(r.error?.message).toMatch(
      /^step "backfill" failed: CREATE EXTENSION IF NOT EXISTS aws_s3 CASCADE failed: permission denied for database t_[0-9a-f]+\. On Aurora PostgreSQL this needs rds_superuser: have an administrator run it once in this database, then run apply again\.$/,
    );
  });
});
