// apply --max-runtime between s3-import files (real PostgreSQL, the aws_s3 stand-in): once the run's
// time is up no new file starts, the files in flight finish (none is cancelled half-way), the step
// stops resumably (Interrupted, the run aborted with MaxRuntimeReached), and the next attempt imports
// the rest, every file exactly once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { s3Import } from '../../../src/steps/s3-import/run.js';
import { createStepContext, memoryCheckpoint, type StepEvent } from '../../../src/engine/step-context.js';
import type { RunDeadline } from '../../../src/engine/run-deadline.js';
import { Interrupted, MaxRuntimeReached } from '../../../src/errors.js';
import type { ResolvedConnection } from '../../../src/db/api.js';
import type { S3ImportSpec } from '../../../src/plan/types.js';
import { connectionSpec, csvRows, runStep, startDataWorld, type DataWorld } from '../support/s3-data.js';

let world: DataWorld;
let conn: ResolvedConnection;
const BUCKET = 'maxrt';
const FILES = 12;
const PER = 50;

beforeAll(async () => {
  world = await startDataWorld();
  conn = await world.pg.createDatabase();
  await world.pg.query(conn, 'CREATE TABLE items (id int, name text)');
  for (let f = 0; f < FILES; f++)
    await world.pg.putObject(BUCKET, `part/${String(f).padStart(5, '0')}.csv`, csvRows(f * PER, (f + 1) * PER));
}, 120_000);
afterAll(async () => {
  await world?.stop();
});

const spec = (): S3ImportSpec => ({
  id: 'backfill',
  type: 's3-import',
  connection: connectionSpec(conn),
  concurrency: 3,
  tables: [
    {
      table: 'items',
      columns: ['id', 'name'],
      options: '(format csv)',
      from: { bucket: BUCKET, region: 'us-east-1', prefix: 'part/' },
    },
  ],
});

describe('s3-import and --max-runtime', () => {
  it('stops between files: files in flight finish, none starts after the limit, the next attempt imports the rest exactly once', async () => {
    const controller = new AbortController();
    let timeUp = false;
    let started = 0;
    let startedAtLimit = -1;
    const deadline: RunDeadline = {
      limit: '5m',
      roomMs: () => Infinity,
      due: () => timeUp,
      check: (where) => {
        if (!timeUp) return undefined;
        const reason = new MaxRuntimeReached(`--max-runtime 5m reached ${where}`);
        controller.abort(reason);
        return reason;
      },
      stopIfDue(where) {
        const reason = this.check(where);
        if (reason) throw new Interrupted(reason.message, { cause: reason });
      },
      stoppedAt: () => undefined,
    };
    const checkpoint = memoryCheckpoint<Record<string, unknown>>();
    const ctx = createStepContext({
      planName: 'backfill-test',
      stepId: 'backfill',
      attempt: 1,
      runId: 'run-1',
      aws: world.api,
      db: world.db,
      clock: { now: () => world.aws.clock.now() },
      timeScale: 1,
      signal: controller.signal,
      checkpoint,
      deadline,
      onEvent: (e: StepEvent) => {
        if (e.type === 'step-event' && e.name === 'sql' && String(e.data?.sql).includes('table_import_from_s3')) {
          started++;
          if (started === 4) {
            timeUp = true; // the limit passes while the 4th file is being imported
            startedAtLimit = started;
          }
        }
      },
      delay: async (ms) => world.aws.clock.advance(ms),
      monotonic: () => world.aws.clock.now(),
    });
    const err = await s3Import.run(spec(), ctx).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(Interrupted);
    expect((err as Error).message).toMatch(
      /^--max-runtime 5m reached between s3-import files \(step "backfill", \d+ file\(s\) imported in this attempt\)$/,
    );
    expect(controller.signal.reason).toBeInstanceOf(MaxRuntimeReached);
    expect(started).toBeLessThanOrEqual(startedAtLimit + 2); // at most the files the other two workers already held
    const [ledger] = await world.pg.query<{ files: number }>(
      conn,
      'SELECT count(*)::int AS files FROM aurora_migrate.s3_import_ledger',
    );
    expect(ledger.files).toBe(started); // every file that started finished: none cancelled
    expect(ledger.files).toBeLessThan(FILES);

    const rest = await runStep(s3Import, spec(), { world, checkpoint });
    expect(rest.error).toBeUndefined();
    expect(rest.outputs).toEqual({ filesImported: FILES, rowsImported: FILES * PER });
    const [t] = await world.pg.query<{ rows: number; ids: number }>(
      conn,
      'SELECT count(*)::int AS rows, count(DISTINCT id)::int AS ids FROM items',
    );
    expect(t).toEqual({ rows: FILES * PER, ids: FILES * PER });
  }, 60_000);
});
