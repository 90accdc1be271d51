// s3-import's AWS side against the local AWS stand-in over HTTP: associating the IAM role for
// s3Import (once, waiting for ACTIVE), listing page by page while importing, the credentials form.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { s3Import } from '../../../src/steps/s3-import/run.js';
import type { AwsApi } from '../../../src/aws/api.js';
import type { ResolvedConnection } from '../../../src/db/api.js';
import type { S3ImportSpec } from '../../../src/plan/types.js';
import { MINUTE } from '../../../rehearsal/aws/index.js';
import { connectionSpec, csvRows, runStep, startDataWorld, stepEvents, type DataWorld } from '../support/s3-data.js';

let world: DataWorld;
let conn: ResolvedConnection;
let bucket: string;
let n = 0;
const ROLE = 'arn:aws:iam::111122223333:role/rds-s3-import';

beforeAll(async () => {
  world = await startDataWorld();
});
afterAll(async () => {
  await world?.stop();
});
beforeEach(async () => {
  conn = await world.pg.createDatabase();
  bucket = `aws-${++n}`;
  await world.pg.query(conn, 'CREATE TABLE items (id int, name text)');
});

const spec = (extra: Partial<S3ImportSpec> = {}): S3ImportSpec => ({
  id: 'backfill',
  type: 's3-import',
  connection: connectionSpec(conn),
  concurrency: 2,
  tables: [
    {
      table: 'items',
      columns: ['id', 'name'],
      options: '(format csv)',
      from: { bucket, region: 'us-east-1', prefix: 'p/' },
    },
  ],
  ...extra,
});

describe('s3-import and AWS', () => {
  it('associates the IAM role for s3Import once and waits until it is ACTIVE', async () => {
    await world.api.send('rds', 'CreateDBCluster', {
      DBClusterIdentifier: 'orders-aurora',
      Engine: 'aurora-postgresql',
    });
    world.aws.clock.advance(30 * MINUTE);
    await world.pg.putObject(bucket, 'p/a.csv', csvRows(0, 3));
    const before = world.aws.clock.now();
    const r = await runStep(s3Import, spec({ cluster: 'orders-aurora', iamRole: ROLE }), { world });
    expect(r.error).toBeUndefined();
    expect(world.aws.calls.count('AddRoleToDBCluster')).toBe(1);
    // The step polled (the stand-in activates a role after a minute of its time).
    expect(world.aws.clock.now() - before).toBeGreaterThanOrEqual(MINUTE);
    const out = await world.api.send('rds', 'DescribeDBClusters', { DBClusterIdentifier: 'orders-aurora' });
    expect(out.DBClusters[0].AssociatedRoles).toEqual([{ RoleArn: ROLE, Status: 'ACTIVE', FeatureName: 's3Import' }]);
    expect(r.events.some((e) => e.type === 'aws-call' && e.operation === 'AddRoleToDBCluster')).toBe(true);

    // Converges: the role is there, nothing is added again, the file is not imported again.
    const again = await runStep(s3Import, spec({ cluster: 'orders-aurora', iamRole: ROLE }), { world });
    expect(again.error).toBeUndefined();
    expect(world.aws.calls.count('AddRoleToDBCluster')).toBe(1);
    expect(again.outputs).toEqual({ filesImported: 1, rowsImported: 3 });
  });

  it('says so when the cluster does not exist', async () => {
    const r = await runStep(s3Import, spec({ cluster: 'missing-cluster', iamRole: ROLE }), { world });
    expect(r.error?.message).toMatch(/missing-cluster/);
    expect(r.error?.message).toMatch(/DBClusterNotFound/);
    expect(r.error?.message).toMatch(
      /^step "backfill" failed: RDS DescribeDBClusters for missing-cluster .* Then run apply again\.$/,
    );
  });

  it('imports while it lists: pages are processed as they come', async () => {
    for (let i = 0; i < 30; i++)
      await world.pg.putObject(bucket, `p/${String(i).padStart(3, '0')}.csv`, csvRows(i * 2, i * 2 + 2));
    const log: string[] = [];
    // The real step never sets MaxKeys (S3 pages by 1000); 7 here makes the paging visible.
    const api: AwsApi = {
      send(service, operation, input, options) {
        if (operation === 'ListObjectsV2') {
          log.push('list');
          return world.api.send(service, operation, { ...input, MaxKeys: 7 }, options);
        }
        return world.api.send(service, operation, input, options);
      },
    };
    const r = await runStep(s3Import, spec({ concurrency: 1 }), {
      world,
      aws: api,
      onEvent: (e) => {
        if (e.type === 'step-event' && e.name === 'sql' && String(e.data?.sql).includes('table_import_from_s3'))
          log.push('import');
      },
    });
    expect(r.error).toBeUndefined();
    expect(r.outputs).toEqual({ filesImported: 30, rowsImported: 60 });
    expect(log.filter((x) => x === 'list')).toHaveLength(5);
    // The first import happens before the last page is listed.
    expect(log.indexOf('import')).toBeLessThan(log.lastIndexOf('list'));
    const progress = r.events.flatMap((e) => (e.type === 'progress' ? [e.detail] : []));
    expect(progress.some((p) => /^files \d+\/\d+\+ /.test(p))).toBe(true);
  });

  it('uses the credentials form and never shows the secrets in its events', async () => {
    await world.pg.putObject(bucket, 'p/a.csv', csvRows(0, 2));
    const credentials = {
      accessKeyId: 'AKIAEXAMPLEKEY123',
      secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYzzz',
      sessionToken: 'token-abc-123',
    };
    const r = await runStep(s3Import, spec({ credentials }), { world });
    expect(r.error).toBeUndefined();
    const calls = stepEvents(r.events, 'sql').filter((e) => String(e.sql).includes('table_import_from_s3'));
    expect(calls).toHaveLength(1);
    expect(calls[0].sql).toContain('aws_commons.create_aws_credentials($7, $8, $9)');
    expect((calls[0].params as unknown[]).slice(6, 9)).toEqual(['***', '***', '***']);
    const everything = JSON.stringify({ events: r.events, checkpoint: r.checkpoint.history });
    for (const secret of Object.values(credentials)) expect(everything).not.toContain(secret);
  });

  it('names a missing key', async () => {
    const r = await runStep(
      s3Import,
      spec({
        tables: [
          { table: 'items', options: '(format csv)', from: { bucket, region: 'us-east-1', keys: ['nope.csv'] } },
        ],
      }),
      { world },
    );
    expect(r.error?.name).toBe('StepFailed');
    expect(r.error?.message).toMatch(/HeadObject/);
    expect(r.error?.message).toMatch(/nope\.csv/);
    expect(r.error?.message).not.toContain('..');
  });
});
