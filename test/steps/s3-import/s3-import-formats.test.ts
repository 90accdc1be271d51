// s3-import on real PostgreSQL with the aws_s3 stand-in: file formats and COPY options, the errors a
// user reads for a bad row, and names that try to smuggle SQL in.
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { s3Import } from '../../../src/steps/s3-import/run.js';
import type { ResolvedConnection } from '../../../src/db/api.js';
import type { S3ImportSpec, ImportTableSpec } from '../../../src/plan/types.js';
import { connectionSpec, csvRows, runStep, startDataWorld, stepEvents, type DataWorld } from '../support/s3-data.js';

let world: DataWorld;
let conn: ResolvedConnection;
let bucket: string;
let n = 0;

beforeAll(async () => {
  world = await startDataWorld();
});
afterAll(async () => {
  await world?.stop();
});
beforeEach(async () => {
  conn = await world.pg.createDatabase();
  bucket = `formats-${++n}`;
  await world.pg.query(conn, "CREATE TABLE public.t (id int PRIMARY KEY, name text, extra text DEFAULT 'd')");
});

const spec = (tables: ImportTableSpec[], extra: Partial<S3ImportSpec> = {}): S3ImportSpec => ({
  id: 'backfill',
  type: 's3-import',
  connection: connectionSpec(conn),
  concurrency: 2,
  tables,
  ...extra,
});
const rows = (sql = 'SELECT id, name, extra FROM t ORDER BY id') => world.pg.query(conn, sql);

describe('s3-import formats', () => {
  it('imports csv files with a header from a prefix, creating the extension and the ledger', async () => {
    await world.pg.putObject(bucket, 'events/2023/a.csv', 'id,name\n' + csvRows(1, 4));
    await world.pg.putObject(bucket, 'events/2023/b.csv', 'id,name\n' + csvRows(4, 6));
    await world.pg.putObject(bucket, 'events/2024/c.csv', 'id,name\n' + csvRows(100, 101));
    const r = await runStep(
      s3Import,
      spec([
        {
          table: 't',
          columns: ['id', 'name'],
          options: '(format csv, header true)',
          from: { bucket, region: 'us-east-1', prefix: 'events/2023/' },
          expectRows: 5,
        },
      ]),
      { world },
    );
    expect(r.error).toBeUndefined();
    expect(r.outputs).toEqual({ filesImported: 2, rowsImported: 5 });
    expect((await rows()).map((x) => x.id)).toEqual([1, 2, 3, 4, 5]);
    const ledger = await world.pg.query(
      conn,
      'SELECT table_name, bucket, key, rows_imported, result FROM aurora_migrate.s3_import_ledger ORDER BY key',
    );
    expect(ledger).toEqual([
      {
        table_name: 'public.t',
        bucket,
        key: 'events/2023/a.csv',
        rows_imported: '3',
        result: '3 rows imported into relation "public.t" from file events/2023/a.csv of 35 bytes',
      },
      {
        table_name: 'public.t',
        bucket,
        key: 'events/2023/b.csv',
        rows_imported: '2',
        result: '2 rows imported into relation "public.t" from file events/2023/b.csv of 26 bytes',
      },
    ]);
    const ext = await world.pg.query(
      conn,
      "SELECT extname FROM pg_extension WHERE extname IN ('aws_s3', 'aws_commons') ORDER BY 1",
    );
    expect(ext.map((e) => e.extname)).toEqual(['aws_commons', 'aws_s3']);
    const progress = r.events.flatMap((e) => (e.type === 'progress' ? [e.detail] : []));
    expect(progress.at(-1)).toMatch(/^files 2\/2 · rows 5 · [\d,]+ rows\/s$/);
    const imports = stepEvents(r.events, 'sql').filter((e) => String(e.sql).includes('table_import_from_s3'));
    expect(imports.map((e) => (e.params as string[]).slice(0, 6)).sort((a, b) => a[4].localeCompare(b[4]))).toEqual([
      ['public.t', 'id, name', '(format csv, header true)', bucket, 'events/2023/a.csv', 'us-east-1'],
      ['public.t', 'id, name', '(format csv, header true)', bucket, 'events/2023/b.csv', 'us-east-1'],
    ]);
  });

  it('uses a custom delimiter with a column list in another order', async () => {
    await world.pg.putObject(bucket, 'pipe.txt', 'alpha|7|x\nbeta|8|y\n');
    const r = await runStep(
      s3Import,
      spec([
        {
          table: 'public.t',
          columns: ['name', 'id', 'extra'],
          options: "(format csv, delimiter '|')",
          from: { bucket, region: 'us-east-1', keys: ['pipe.txt'] },
        },
      ]),
      { world },
    );
    expect(r.error).toBeUndefined();
    expect(await rows()).toEqual([
      { id: 7, name: 'alpha', extra: 'x' },
      { id: 8, name: 'beta', extra: 'y' },
    ]);
  });

  it('reads gzip objects', async () => {
    await world.pg.putObject(bucket, 'z/data.csv.gz', gzipSync(csvRows(1, 51)));
    const r = await runStep(
      s3Import,
      spec([
        {
          table: 't',
          columns: ['id', 'name'],
          options: '(format csv)',
          from: { bucket, region: 'us-east-1', prefix: 'z/' },
        },
      ]),
      { world },
    );
    expect(r.error).toBeUndefined();
    expect(r.outputs).toEqual({ filesImported: 1, rowsImported: 50 });
    expect((await rows('SELECT count(*)::int AS c, max(name) AS m FROM t'))[0]).toEqual({ c: 50, m: 'name-9' });
  });

  it('converts a WIN1252 file into the UTF-8 database', async () => {
    // "café – ½" in Windows-1252: é = 0xE9, en dash = 0x96, ½ = 0xBD.
    const body = Buffer.concat([Buffer.from('1,caf'), Buffer.from([0xe9, 0x20, 0x96, 0x20, 0xbd]), Buffer.from('\n')]);
    await world.pg.putObject(bucket, 'latin.csv', body);
    const r = await runStep(
      s3Import,
      spec([
        {
          table: 't',
          columns: ['id', 'name'],
          options: "(format csv, encoding 'WIN1252')",
          from: { bucket, region: 'us-east-1', keys: ['latin.csv'] },
        },
      ]),
      { world },
    );
    expect(r.error).toBeUndefined();
    expect((await rows())[0].name).toBe('café – ½');
  });

  it('records an empty file as imported with 0 rows', async () => {
    await world.pg.putObject(bucket, 'empty.csv', '');
    const r = await runStep(
      s3Import,
      spec([
        {
          table: 't',
          columns: ['id', 'name'],
          options: '(format csv)',
          from: { bucket, region: 'us-east-1', keys: ['empty.csv'] },
          expectRows: 0,
        },
      ]),
      { world },
    );
    expect(r.error).toBeUndefined();
    expect(r.outputs).toEqual({ filesImported: 1, rowsImported: 0 });
    const ledger = await world.pg.query(conn, 'SELECT key, rows_imported FROM aurora_migrate.s3_import_ledger');
    expect(ledger).toEqual([{ key: 'empty.csv', rows_imported: '0' }]);
  });

  it('names the file, the line and the database message for a bad row, and imports nothing of that file', async () => {
    await world.pg.putObject(bucket, 'bad/a.csv', csvRows(1, 3));
    await world.pg.putObject(bucket, 'bad/b.csv', '10,x\n11,y\noops,z\n');
    const r = await runStep(
      s3Import,
      spec(
        [
          {
            table: 't',
            columns: ['id', 'name'],
            options: '(format csv)',
            from: { bucket, region: 'us-east-1', prefix: 'bad/' },
          },
        ],
        { concurrency: 1 },
      ),
      { world },
    );
    expect(r.error?.name).toBe('StepFailed');
    expect(r.error?.message).toContain(
      `s3://${bucket}/bad/b.csv into public.t: invalid input syntax for type integer: "oops" at COPY t, line 3, column id: "oops"`,
    );
    expect(r.error?.message).toContain('(onError: stop)');
    expect(r.error?.message).toMatch(/run apply again: files already imported are skipped/);
    expect((await rows()).map((x) => x.id)).toEqual([1, 2]);
    const ledger = await world.pg.query(conn, 'SELECT key FROM aurora_migrate.s3_import_ledger');
    expect(ledger).toEqual([{ key: 'bad/a.csv' }]);
  });

  it('describes its SQL and AWS calls as data, with bound parameters and masked credentials', () => {
    const actions = s3Import.describe(
      {
        ...spec([
          {
            table: 'public.t',
            columns: ['id'],
            options: '(format csv)',
            from: { bucket: 'b1', region: 'eu-west-1', prefix: 'p/' },
            expectRows: 10,
          },
        ]),
        credentials: { accessKeyId: 'AKIAREAL', secretAccessKey: 'reallysecret' },
      },
      { planName: 'p', stepId: 'backfill' },
    );
    expect(
      actions.map((a) =>
        a.kind === 'aws' ? `aws ${a.operation}` : a.kind === 'sql' ? `sql ${a.sql.split('(')[0].trim()}` : a.kind,
      ),
    ).toEqual([
      'sql CREATE EXTENSION IF NOT EXISTS aws_s3 CASCADE',
      'sql CREATE SCHEMA IF NOT EXISTS aurora_migrate',
      'sql CREATE TABLE IF NOT EXISTS aurora_migrate.s3_import_ledger',
      'aws ListObjectsV2',
      'sql SELECT key, etag FROM aurora_migrate.s3_import_ledger WHERE table_name = $1 AND bucket = $2 AND key = ANY',
      'sql WITH imported AS MATERIALIZED',
    ]);
    const last = actions.at(-1)!;
    expect(last).toMatchObject({
      kind: 'sql',
      params: [
        'public.t',
        'id',
        '(format csv)',
        'b1',
        '<each key under p/>',
        'eu-west-1',
        '***',
        '***',
        '',
        '<ETag>',
        '<size>',
        '<plan>',
        '<step>',
        '<run id>',
      ],
    });
    expect(last.kind === 'sql' && last.sql).toContain(
      'aws_s3.table_import_from_s3($1, $2, $3, aws_commons.create_s3_uri($4, $5, $6), aws_commons.create_aws_credentials($7, $8, $9))',
    );
    expect(JSON.stringify(actions)).not.toMatch(/AKIAREAL|reallysecret/);
    expect(
      s3Import
        .describe(
          spec([{ table: 't', options: '', from: { bucket: 'b', region: 'r', keys: ['k'] } }], {
            cluster: 'c1',
            iamRole: 'arn:aws:iam::111122223333:role/r',
          }),
          { planName: 'p', stepId: 's' },
        )
        .filter((a) => a.kind === 'aws')
        .map((a) => (a.kind === 'aws' ? a.operation : '')),
    ).toEqual(['DescribeDBClusters', 'AddRoleToDBCluster', 'HeadObject']);
  });
});

describe('s3-import names and options', () => {
  const attempts: Array<[string, Partial<ImportTableSpec>, RegExp]> = [
    [
      'a semicolon in the table',
      { table: 't; DROP TABLE victim' },
      /tables\[0\]\.table: "t; DROP TABLE victim": contains a semicolon/,
    ],
    [
      'a quote in the table',
      { table: 'public."t"' },
      /tables\[0\]\.table: "public\."t"": the part ""t"" contains a double quote/,
    ],
    ['three parts', { table: 'a.b.c' }, /has more than one dot/],
    [
      'a quote in a column',
      { columns: ['id', "name\") FROM PROGRAM 'touch /tmp/x' --"] },
      /tables\[0\]\.columns\[1\]: .* contains a double quote/,
    ],
    [
      'a statement after the options',
      { options: '(format csv); DROP TABLE victim; --' },
      /tables\[0\]\.options: contains a semicolon outside a quoted value/,
    ],
    ['a comment in the options', { options: '(format csv) -- x' }, /tables\[0\]\.options: contains "--"/],
    [
      'an unclosed quote in the options',
      { options: "(format csv, delimiter '|)" },
      /tables\[0\]\.options: has an unclosed single quote/,
    ],
  ];
  it.each(attempts)('refuses %s before sending any SQL', async (_what, override, message) => {
    await world.pg.query(conn, 'CREATE TABLE victim (x int)');
    await world.pg.putObject(bucket, 'ok.csv', csvRows(1, 2));
    const table = {
      table: 't',
      columns: ['id', 'name'],
      options: '(format csv)',
      from: { bucket, region: 'us-east-1', keys: ['ok.csv'] },
      ...override,
    };
    const r = await runStep(s3Import, spec([table]), { world });
    expect(r.error?.name).toBe('StepFailed');
    expect(r.error?.message).toMatch(message);
    expect(r.error?.message).toContain('Fix the plan, then run apply again.');
    expect(stepEvents(r.events, 'sql')).toEqual([]);
    expect(await world.pg.query(conn, "SELECT to_regclass('victim') IS NOT NULL AS present")).toEqual([
      { present: true },
    ]);
  });

  it('accepts a semicolon delimiter inside quotes', async () => {
    await world.pg.putObject(bucket, 'semi.csv', '5;five\n');
    const r = await runStep(
      s3Import,
      spec([
        {
          table: 't',
          columns: ['id', 'name'],
          options: "(format csv, delimiter ';')",
          from: { bucket, region: 'us-east-1', keys: ['semi.csv'] },
        },
      ]),
      { world },
    );
    expect(r.error).toBeUndefined();
    expect((await rows())[0]).toMatchObject({ id: 5, name: 'five' });
  });

  it('fails with the connection problem and its remedy, never the password', async () => {
    const table = { table: 't', options: '(format csv)', from: { bucket, region: 'us-east-1', keys: ['k.csv'] } };
    const badPort = await runStep(
      s3Import,
      { ...spec([table]), connection: { ...connectionSpec(conn), port: 'x' } },
      { world },
    );
    expect(badPort.error?.message).toBe(
      'step "backfill" failed: connection.port: "x" is not a port number (1-65535). Fix the plan (or the environment variable it reads), then run apply again.',
    );
    const secret = 'Wr0ng-Pa55word-For-Test';
    const badPassword = await runStep(
      s3Import,
      { ...spec([table]), connection: { ...connectionSpec(conn), password: secret } },
      { world },
    );
    expect(badPassword.error?.message).toMatch(
      /^step "backfill" failed: could not connect to PostgreSQL at 127\.0\.0\.1:\d+ .*password authentication failed for user "postgres"\. Check connection\.password/,
    );
    expect(JSON.stringify({ m: badPassword.error?.message, e: badPassword.events })).not.toContain(secret);
  });

  it('says which table is missing', async () => {
    await world.pg.putObject(bucket, 'ok.csv', csvRows(1, 2));
    const r = await runStep(
      s3Import,
      spec([
        { table: 'public.nope', options: '(format csv)', from: { bucket, region: 'us-east-1', keys: ['ok.csv'] } },
      ]),
      { world },
    );
    expect(r.error?.message).toContain(`tables[0].table: public.nope does not exist in database "${conn.database}"`);
  });

  it('the aws_s3 stand-in itself refuses SQL in a table or column name', async () => {
    await world.pg.putObject(bucket, 'ok.csv', csvRows(1, 2));
    await world.pg.query(conn, 'CREATE EXTENSION IF NOT EXISTS aws_s3 CASCADE');
    const call = (table: string, columns: string) =>
      world.pg.query(conn, 'SELECT aws_s3.table_import_from_s3($1, $2, $3, aws_commons.create_s3_uri($4, $5, $6))', [
        table,
        columns,
        '(format csv)',
        bucket,
        'ok.csv',
        'r',
      ]);
    await expect(call('t; DROP TABLE t', '')).rejects.toThrow(/not a valid identifier/);
    await expect(call('t', 'id, name) FROM PROGRAM $$id$$ --')).rejects.toThrow(
      /not a valid identifier|invalid column name/,
    );
    await expect(call('t', '')).rejects.toThrow(/missing data for column "extra"/);
    await expect(
      world.pg.query(conn, 'SELECT aws_s3.table_import_from_s3($1, $2, $3, aws_commons.create_s3_uri($4, $5, $6))', [
        't',
        'id, name',
        '(format csv)',
        bucket,
        '../../etc/passwd',
        'r',
      ]),
    ).rejects.toThrow(/invalid S3 key/);
  });
});
