// Everything a rehearsal of plans/replica-with-backfill.yaml needs on one machine, built from the
// project's own test harnesses (imported, not copied): the local AWS stand-in (rehearsal/aws)
// seeded with the source RDS instance orders-pg, an embedded PostgreSQL (rehearsal/postgres/server.ts) that
// plays the promoted Aurora cluster, with the aws_s3 stand-in extension installed, the target table
// created and backfill CSV files in its "S3" folder. The CLI under test only ever sees environment
// variables (AWS_ENDPOINT_URL_*, PG*, AURORA_MIGRATE_TIME_SCALE): the stand-in is not on any
// production code path.
import { mkdtemp, rm, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startAwsStandin, type AwsStandin } from '../aws/index.js';
import { startPostgres, type TestPostgres } from '../postgres/server.js';
import { installAwsS3Standin } from '../postgres/aws-s3-extension.js';
import type { ResolvedConnection } from '../../src/db/api.js';
import { backfillTableDdl, rowsPerFileSql, writeBackfillFiles, type BackfillFile } from './backfill-files.js';
import { REPO_ROOT } from './cli-runner.js';
import type { CleanupStack } from './cleanup-stack.js';

/** The rehearsal plan: the example plan with the backfill connection pointed at the local server. */
export const DEMO_PLAN = path.join(REPO_ROOT, 'rehearsal', 'world', 'demo-plan.yaml');
/** What the plan expects to find (kept in step with plans/replica-with-backfill.yaml). */
export const SOURCE_INSTANCE = 'orders-pg';
export const TARGET_DATABASE = 'orders';
export const BACKFILL_TABLE = 'public.events_archive';
export const BACKFILL_BUCKET = 'orders-archive';
export const BACKFILL_PREFIX = 'events/2023/';

export interface RehearsalWorldOptions {
  /** AURORA_MIGRATE_TIME_SCALE for the CLI and the stand-in's clock. */
  timeScale: number;
  cleanup: CleanupStack;
  /** Number of backfill files (default 12). */
  files?: number;
  rowsInFile?(index: number): number;
  /** Reuse a running server (the crash campaign runs several rounds on one); else one is started. */
  postgres?: TestPostgres;
  /** Narration of each stage (the demo prints it; tests pass nothing). */
  say?(line: string): void;
}

export interface RehearsalWorld {
  aws: AwsStandin;
  pg: TestPostgres;
  /** The database that plays the promoted Aurora cluster. */
  target: ResolvedConnection;
  backfill: BackfillFile[];
  /** Temp folder holding the state file and its event log. */
  workDir: string;
  statePath: string;
  eventLogPath: string;
  planFile: string;
  /** Environment for the CLI child process: only what a user would export, plus PATH/HOME. */
  env: Record<string, string>;
  /** Rows per backfill file key currently in the target table. */
  rowsPerFile(): Promise<Map<string, { rows: number; ids: number }>>;
}

export async function startRehearsalWorld(options: RehearsalWorldOptions): Promise<RehearsalWorld> {
  const say = options.say ?? (() => undefined);
  const { cleanup } = options;

  let pg = options.postgres;
  if (!pg) {
    say('Starting an embedded PostgreSQL 18 server (it plays the promoted Aurora cluster)…');
    pg = await startPostgres();
    const started = pg;
    cleanup.add('stop PostgreSQL', () => started.stop());
    say(`  PostgreSQL listening on ${pg.admin.host}:${pg.admin.port}, data in ${pg.root}`);
  }
  await installAwsS3Standin(pg);
  await dropEarlierTarget(pg);
  const target = await pg.createDatabase(TARGET_DATABASE);
  createdHere.add(pg);
  await pg.query(target, backfillTableDdl(BACKFILL_TABLE));
  say(`  created database "${TARGET_DATABASE}" with table ${BACKFILL_TABLE} (id, kind, payload) and the aws_s3 stand-in extension available`);

  say('Starting the local AWS stand-in (RDS, CloudWatch, S3 over HTTP on 127.0.0.1)…');
  const aws = await startAwsStandin({
    s3Root: pg.s3Root,
    timeScale: options.timeScale,
    seed: {
      instances: [{ id: SOURCE_INSTANCE, engine: 'postgres', engineVersion: '16.4', allocatedStorageGiB: 100 }],
      buckets: [BACKFILL_BUCKET],
    },
  });
  cleanup.add('stop the AWS stand-in', () => aws.close());
  say(`  stand-in at ${aws.endpoint}; its clock runs ${options.timeScale}x faster than real time`);
  say('  the CLI keeps its own clock; the stand-in reads the metric and event windows it asks for on that clock');
  say(`  seeded RDS for PostgreSQL instance ${SOURCE_INSTANCE} (16.4, 100 GiB, available)`);

  const backfill = await writeBackfillFiles({
    put: (bucket, key, body) => pg!.putObject(bucket, key, body),
    bucket: BACKFILL_BUCKET,
    prefix: BACKFILL_PREFIX,
    files: options.files ?? 12,
    rowsInFile: options.rowsInFile,
  });
  const totalRows = backfill.reduce((n, f) => n + f.rows, 0);
  say(`  wrote ${backfill.length} backfill CSV files (${totalRows} rows) to s3://${BACKFILL_BUCKET}/${BACKFILL_PREFIX}`);

  const workDir = await mkdtemp(path.join(tmpdir(), 'aurora-migrate-rehearsal-'));
  await chmod(workDir, 0o700);
  cleanup.add('remove the rehearsal folder', () => rm(workDir, { recursive: true, force: true }));
  const statePath = path.join(workDir, 'orders-to-aurora.state.json');

  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? workDir,
    NO_COLOR: '1',
    ...aws.env,
    AWS_CONFIG_FILE: path.join(workDir, 'no-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: path.join(workDir, 'no-aws-credentials'),
    AURORA_MIGRATE_TIME_SCALE: String(options.timeScale),
    PGHOST: target.host,
    PGPORT: String(target.port),
    PGUSER: target.user,
    PGPASSWORD: target.password ?? '',
  };

  return {
    aws,
    pg,
    target,
    backfill,
    workDir,
    statePath,
    eventLogPath: `${statePath}.events.jsonl`,
    planFile: DEMO_PLAN,
    env,
    async rowsPerFile() {
      const rows = await pg!.query<{ key: string; rows: number; ids: number }>(target, rowsPerFileSql(BACKFILL_TABLE));
      return new Map(rows.map((r) => [r.key, { rows: r.rows, ids: r.ids }]));
    },
  };
}

/** Servers on which this process created the target database (only those are dropped again). */
const createdHere = new WeakSet<TestPostgres>();

/**
 * A fresh target database per world. The plan names it ("orders"), so an earlier round's copy is
 * dropped — but only one this process made: on a TEST_DATABASE_URL server an existing "orders" may
 * be somebody's data, and the rehearsal stops instead.
 */
async function dropEarlierTarget(pg: TestPostgres): Promise<void> {
  const [row] = await pg.query<{ n: number }>(pg.admin, 'SELECT count(*)::int AS n FROM pg_database WHERE datname = $1', [TARGET_DATABASE]);
  if (!row || row.n === 0) return;
  if (pg.external && !createdHere.has(pg)) {
    throw new Error(
      `the server at TEST_DATABASE_URL already has a database "${TARGET_DATABASE}"; the rehearsal needs a fresh one and will not drop it. ` +
        'Unset TEST_DATABASE_URL (an embedded server is started) or drop it yourself.',
    );
  }
  await pg.query(pg.admin, `DROP DATABASE ${TARGET_DATABASE} WITH (FORCE)`);
}
