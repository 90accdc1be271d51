// s3-export on real PostgreSQL with the aws_s3 stand-in: exported once, counts as outputs, a resume
// after success does not export again, a crash before COMMIT exports again on resume.
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { s3Export } from '../../../src/steps/s3-export.js';
import type { ResolvedConnection } from '../../../src/db/api.js';
import type { S3ExportSpec } from '../../../src/plan/types.js';
import {
  connectionSpec,
  hookedConnector,
  runStep,
  SimulatedCrash,
  startDataWorld,
  stepEvents,
  type DataWorld,
} from '../support/s3-data.js';

let world: DataWorld;
let conn: ResolvedConnection;
let n = 0;
let bucket: string;

beforeAll(async () => {
  world = await startDataWorld();
});
afterAll(async () => {
  await world?.stop();
});
beforeEach(async () => {
  conn = await world.pg.createDatabase();
  bucket = `exports-${++n}`;
  await world.pg.query(
    conn,
    'CREATE TABLE orders (id int, total numeric); INSERT INTO orders SELECT g, g * 1.5 FROM generate_series(1, 4) g',
  );
});

const spec = (extra: Partial<S3ExportSpec> = {}): S3ExportSpec => ({
  id: 'archive',
  type: 's3-export',
  connection: connectionSpec(conn),
  query: 'SELECT id, total FROM orders WHERE id > 1 ORDER BY id',
  to: { bucket, path: 'archive/orders.csv', region: 'us-east-1' },
  options: 'format csv',
  ...extra,
});
const exportCalls = (r: { events: Parameters<typeof stepEvents>[0] }) =>
  stepEvents(r.events, 'sql').filter((e) => String(e.sql).includes('query_export_to_s3'));

describe('s3-export', () => {
  it('exports once and returns rowsUploaded, filesUploaded, bytesUploaded', async () => {
    const r = await runStep(s3Export, spec(), { world });
    expect(r.error).toBeUndefined();
    const file = join(world.pg.s3Root, bucket, 'archive/orders.csv');
    const body = await readFile(file, 'utf8');
    expect(body).toBe('2,3.0\n3,4.5\n4,6.0\n');
    expect(r.outputs).toEqual({ rowsUploaded: 3, filesUploaded: 1, bytesUploaded: Buffer.byteLength(body) });
    expect(exportCalls(r).map((e) => e.params)).toEqual([
      [
        'SELECT id, total FROM orders WHERE id > 1 ORDER BY id',
        bucket,
        'archive/orders.csv',
        'us-east-1',
        'format csv',
      ],
    ]);

    // Resume after success: the ledger answers; nothing is exported again (the deleted object stays gone).
    await rm(file);
    const again = await runStep(s3Export, spec(), { world });
    expect(again.error).toBeUndefined();
    expect(again.outputs).toEqual(r.outputs);
    expect(exportCalls(again)).toEqual([]);
    await expect(readFile(file)).rejects.toThrow(/ENOENT/);
  });

  it('exports again on resume when it crashed before recording the export', async () => {
    const db = hookedConnector(world.db, ({ sql, phase }) => {
      if (sql.includes('query_export_to_s3') && phase === 'after') throw new SimulatedCrash('crash before COMMIT');
    });
    const first = await runStep(s3Export, spec(), { world, db });
    expect(first.error?.message).toContain('crash before COMMIT');
    expect(await world.pg.query(conn, 'SELECT count(*)::int AS c FROM aurora_migrate.s3_export_ledger')).toEqual([
      { c: 0 },
    ]);
    const second = await runStep(s3Export, spec(), { world });
    expect(second.outputs).toMatchObject({ rowsUploaded: 3, filesUploaded: 1 });
    expect(exportCalls(second)).toHaveLength(1);
  });

  it('reports a failing query with the database message and a remedy', async () => {
    const r = await runStep(s3Export, spec({ query: 'SELECT nope FROM orders' }), { world });
    expect(r.error?.name).toBe('StepFailed');
    expect(r.error?.message).toMatch(
      /aws_s3\.query_export_to_s3 to s3:\/\/exports-\d+\/archive\/orders\.csv failed: column "nope" does not exist\. Check the query/,
    );
  });

  it('describes the export with its bound parameters', () => {
    const actions = s3Export.describe(spec(), { planName: 'p', stepId: 'archive' });
    expect(actions.at(-1)).toMatchObject({
      kind: 'sql',
      params: [
        'SELECT id, total FROM orders WHERE id > 1 ORDER BY id',
        bucket,
        'archive/orders.csv',
        'us-east-1',
        'format csv',
      ],
    });
    expect(actions[0]).toEqual({ kind: 'sql', sql: 'CREATE EXTENSION IF NOT EXISTS aws_s3 CASCADE' });
  });
});
