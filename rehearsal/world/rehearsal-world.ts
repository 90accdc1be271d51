// Everything a rehearsal of the replica route needs on one machine, on real data:
// - the local AWS stand-in (rehearsal/aws) whose RDS source instance orders-pg is a real PostgreSQL
//   server (real-backing.ts): its Aurora read replica becomes a real streaming standby, promotion is
//   pg_promote(), the lag metrics are read from the servers;
// - the source seeded with the shop's data (source-data.ts) and the aws_s3 stand-in extension
//   available to every server, with backfill CSV files in the "S3" folder both read;
// - the application's DNS name orders-db.internal.example.com: a Route 53 CNAME in the stand-in
//   (pointing at the source) played by a local TCP forwarder (rehearsal/app/forwarder.ts) that
//   follows it for every new connection.
// The CLI under test only ever sees environment variables (AWS_ENDPOINT_URL_*, PG*,
// AURORA_MIGRATE_TIME_SCALE): the stand-in is not on any production code path.
import { mkdtemp, mkdir, rm, chmod, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startAwsStandin, type AwsStandin } from '../aws/index.js';
import type { PgServer } from '../postgres/cluster.js';
import { installAwsS3Standin } from '../postgres/aws-s3-extension.js';
import { createAppRole, createRdsMasterUser, handOverToApp, newPassword } from '../postgres/rds-roles.js';
import { startForwarder, type Forwarder } from '../app/forwarder.js';
import type { WriterConnection } from '../app/writer.js';
import type { ResolvedConnection } from '../../src/db/api.js';
import { backfillTableDdl, rowsPerFileSql, writeBackfillFiles, type BackfillFile } from './backfill-files.js';
import { seedSourceData, type SourceCounts } from './source-data.js';
import { REPO_ROOT } from './cli-runner.js';
import type { CleanupStack } from './cleanup-stack.js';

/** The rehearsal plan (kept in step with plans/replica-with-backfill.yaml by test/rehearsal/world/demo-plan.test.ts). */
export const DEMO_PLAN = path.join(REPO_ROOT, 'rehearsal', 'world', 'demo-plan.yaml');
/** The replica route with a manual cutover (approval "cutover" + promote; a human stops writes): the crash campaign's plan. */
export const MANUAL_CUTOVER_PLAN = path.join(REPO_ROOT, 'rehearsal', 'world', 'manual-cutover-plan.yaml');
export const SOURCE_INSTANCE = 'orders-pg';
export const TARGET_CLUSTER = 'orders-aurora';
export const TARGET_DATABASE = 'orders';
export const BACKFILL_TABLE = 'public.events_archive';
export const BACKFILL_BUCKET = 'orders-archive';
export const BACKFILL_PREFIX = 'events/2023/';
/** The application's DNS name and its hosted zone. */
export const APP_NAME = 'orders-db.internal.example.com';
export const HOSTED_ZONE_ID = 'Z0123456789ABCDEFGHIJ';
export const APP_NAME_TTL = 5;
/** The forwarder's fixed port (another free port when it is taken). */
export const APP_PORT = 15432;
/** The tool's user on the source: an RDS-like master user (rds-roles.ts), never a superuser. */
export const MASTER_USER = 'master';
/** The application's role: owns its tables, logs in with a password. */
export const APP_ROLE = 'app';

export interface RehearsalWorldOptions {
  /** AURORA_MIGRATE_TIME_SCALE for the CLI and the stand-in's clock. */
  timeScale: number;
  cleanup: CleanupStack;
  /** Number of backfill files (default 12). */
  files?: number;
  rowsInFile?(index: number): number;
  /** Customers on the source (orders 4×, items 8×; default 25 000). */
  customers?: number;
  /** Forwarder port (default APP_PORT, then any free one; 0 = any free one). */
  appPort?: number;
  /** The plan the world is for (default DEMO_PLAN). */
  planFile?: string;
  /** Narration of each stage (the demo prints it; tests pass nothing). */
  say?(line: string): void;
}

export interface RehearsalWorld {
  aws: AwsStandin;
  /** The real RDS source server. */
  source: PgServer;
  /** The source's application database. */
  sourceDb: ResolvedConnection;
  sourceCounts: SourceCounts;
  /** The application's name, played by the forwarder. */
  forwarder: Forwarder;
  /** The tool's user (the RDS-like master user) on the source's application database. */
  master: ResolvedConnection;
  /** How the application connects: through the forwarder, to database orders, as role app with its password. */
  app: WriterConnection;
  /** The promoted cluster's application database (undefined while there is no real cluster). */
  target(): ResolvedConnection | undefined;
  backfill: BackfillFile[];
  s3Root: string;
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

  // "S3": read by the stand-in's S3 and by the aws_s3 stand-in inside every server (user postgres).
  const s3Root = await mkdtemp(path.join(tmpdir(), 'aurora-migrate-s3-'));
  cleanup.add('remove the S3 folder', () => rm(s3Root, { recursive: true, force: true }));
  await chmod(s3Root, 0o1777);

  say('Starting the local AWS stand-in (RDS, CloudWatch, S3, Route 53 over HTTP on 127.0.0.1)…');
  say(
    `  its RDS source instance ${SOURCE_INSTANCE} is a real PostgreSQL server (wal_level=replica, replication allowed from loopback)`,
  );
  const aws = await startAwsStandin({
    s3Root,
    timeScale: options.timeScale,
    seed: {
      instances: [{ id: SOURCE_INSTANCE, engine: 'postgres', allocatedStorageGiB: 100, real: true }],
      buckets: [BACKFILL_BUCKET],
      hostedZones: [{ id: HOSTED_ZONE_ID, name: 'internal.example.com', privateZone: true }],
    },
  });
  cleanup.add('stop the AWS stand-in and its PostgreSQL servers', () => aws.close());
  const source = aws.real!.server(SOURCE_INSTANCE)!;
  say(`  stand-in at ${aws.endpoint}; its clock runs ${options.timeScale}x faster than real time`);
  say(
    `  PostgreSQL listening on ${source.address}:${source.port} (PostgreSQL ${source.version}), data in ${source.dataDir}`,
  );

  // Roles as on RDS: the tool logs in as the master user, the application as its own role, both with passwords.
  const master = await createRdsMasterUser(source, { user: MASTER_USER, password: newPassword() });
  const appRole = await createAppRole(source, { user: APP_ROLE, password: newPassword() });
  await installAwsS3Standin({
    admin: source.admin,
    query: (conn, sql, params) => source.query(sql, params, conn.database),
  });
  const counts = await seedSourceData(source, {
    database: TARGET_DATABASE,
    owner: MASTER_USER,
    s3Root,
    backfillDdl: backfillTableDdl(BACKFILL_TABLE),
    customers: options.customers,
  });
  // aws_s3 installed up front by an administrator (on Aurora rds_superuser may create it; the stand-in needs a superuser).
  await source.query('CREATE EXTENSION IF NOT EXISTS aws_s3 CASCADE', [], TARGET_DATABASE);
  await source.query('GRANT USAGE ON SCHEMA aws_s3, aws_commons TO rds_superuser', [], TARGET_DATABASE);
  await handOverToApp(source, {
    database: TARGET_DATABASE,
    appRole: APP_ROLE,
    reader: MASTER_USER,
    writable: [BACKFILL_TABLE],
  });
  const sourceDb: ResolvedConnection = { ...source.admin, database: TARGET_DATABASE };
  say(
    `  seeded database "${TARGET_DATABASE}": ${counts.customers} customers, ${counts.orders} orders, ${counts.orderItems} order items ` +
      `(identity sequences, foreign keys) and an empty ${BACKFILL_TABLE}, owned by role ${APP_ROLE}; the tool logs in as ${MASTER_USER} (NOSUPERUSER, member of rds_superuser)`,
  );

  aws.route53.seedRecord({
    zoneId: HOSTED_ZONE_ID,
    name: APP_NAME,
    type: 'CNAME',
    ttl: APP_NAME_TTL,
    values: [source.address],
  });
  const forwarder = await startAppForwarder(aws, options);
  cleanup.add('stop the forwarder', () => forwarder.stop());
  say(
    `  the application's name ${APP_NAME} (CNAME ${source.address}, TTL ${APP_NAME_TTL} s) is played by a forwarder on ${forwarder.host}:${forwarder.port}`,
  );

  const backfill = await writeBackfillFiles({
    put: (bucket, key, body) => putObject(s3Root, bucket, key, body),
    bucket: BACKFILL_BUCKET,
    prefix: BACKFILL_PREFIX,
    files: options.files ?? 12,
    rowsInFile: options.rowsInFile,
  });
  const totalRows = backfill.reduce((n, f) => n + f.rows, 0);
  say(
    `  wrote ${backfill.length} backfill CSV files (${totalRows} rows) to s3://${BACKFILL_BUCKET}/${BACKFILL_PREFIX}`,
  );

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
    // The RDS-like master user and its password (a new one each rehearsal).
    PGUSER: master.user,
    PGPASSWORD: master.password ?? '',
    SOURCE_HOST: source.address,
    SOURCE_PORT: String(source.port),
  };

  const target = (): ResolvedConnection | undefined => {
    const server = aws.real!.server(TARGET_CLUSTER);
    return server ? { ...server.admin, database: TARGET_DATABASE } : undefined;
  };

  return {
    aws,
    source,
    sourceDb,
    sourceCounts: counts,
    forwarder,
    master: { ...master, database: TARGET_DATABASE },
    app: {
      host: forwarder.host,
      port: forwarder.port,
      database: TARGET_DATABASE,
      user: appRole.user,
      password: appRole.password,
    },
    target,
    backfill,
    s3Root,
    workDir,
    statePath,
    eventLogPath: `${statePath}.events.jsonl`,
    planFile: options.planFile ?? DEMO_PLAN,
    env,
    async rowsPerFile() {
      const conn = target();
      if (!conn) return new Map();
      const server = aws.real!.server(TARGET_CLUSTER)!;
      const rows = await server.query<{ key: string; rows: number; ids: number }>(
        rowsPerFileSql(BACKFILL_TABLE),
        [],
        conn.database,
      );
      return new Map(rows.map((r) => [r.key, { rows: r.rows, ids: r.ids }]));
    },
  };
}

/** The forwarder that plays the application's DNS name (APP_NAME), on APP_PORT or any free port; the logical world's too. */
export async function startAppForwarder(
  aws: AwsStandin,
  options: Pick<RehearsalWorldOptions, 'timeScale' | 'appPort'>,
): Promise<Forwarder> {
  const base = {
    recordName: APP_NAME,
    hostedZoneId: HOSTED_ZONE_ID,
    awsEnv: aws.env,
    resolve: (address: string) => aws.resolveEndpoint(address),
    timeScale: options.timeScale,
  };
  const port = options.appPort ?? APP_PORT;
  try {
    return await startForwarder({ ...base, port });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || port === 0) throw err;
    return startForwarder({ ...base, port: 0 });
  }
}

/** Writes an object into the S3 folder, readable by the servers' user (folders 0777, file 0644). */
async function putObject(root: string, bucket: string, key: string, body: string): Promise<string> {
  const file = path.join(root, bucket, key);
  let dir = root;
  for (const part of path.relative(root, path.dirname(file)).split(path.sep)) {
    dir = path.join(dir, part);
    await mkdir(dir).then(
      () => chmod(dir, 0o777),
      (err: NodeJS.ErrnoException) => {
        if (err.code !== 'EEXIST') throw err;
      },
    );
  }
  await writeFile(file, body);
  await chmod(file, 0o644);
  return file;
}
