// Everything a rehearsal of the logical route needs on one machine, on real data (the demo's
// `--route logical`; reusable by benchmarks):
// - the local AWS stand-in whose RDS source instance orders-pg is a real PostgreSQL 14 server in its
//   default parameter group (wal_level = replica): enable-logical-replication's parameter change and
//   RebootDBInstance restart it for real with wal_level = logical; CreateDBCluster without a
//   replication source starts an empty real PostgreSQL 18 server with an RDS-like master user
//   (rehearsal/aws/real-backing.ts);
// - on the source, the roles of RDS (rds-roles.ts): the tool's master user `master` (NOSUPERUSER,
//   rds_superuser) and the application's role `app`, both with passwords, and database orders with
//   the application's data (logical-data.ts), owned by `app`;
// - what a DBA runs on RDS before the copy (preflight prints both when they are missing):
//   `GRANT rds_replication TO master` — stock PostgreSQL has no such role, REPLICATION is an
//   attribute, so its stand-in is `ALTER ROLE master REPLICATION` — and `GRANT app TO master` (adding
//   a table to a publication needs its ownership);
// - the application's DNS name orders-db.internal.example.com: a Route 53 CNAME pointing at the
//   source, played by the forwarder (rehearsal-world.ts startAppForwarder).
// The CLI only sees environment variables (`env`): the stand-in's endpoints, the time scale, the
// source's address and port, the master user and its password, the new cluster's master password
// (TARGET_PASSWORD) and the application's password for the target (APP_PASSWORD: the one it uses
// today, so its configuration does not change with the switch).
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { startAwsStandin, type AwsStandin } from '../aws/index.js';
import type { PgServer } from '../postgres/cluster.js';
import { newPassword, prepareRdsDatabase } from '../postgres/rds-roles.js';
import type { Forwarder } from '../app/forwarder.js';
import type { WriterConnection } from '../app/writer.js';
import type { ResolvedConnection } from '../../src/db/api.js';
import { REPO_ROOT } from './cli-runner.js';
import { standinCliEnv } from './cli-env.js';
import type { CleanupStack } from './cleanup-stack.js';
import { SCHEMA_SQL, seedSql } from './logical-data.js';
import {
  APP_NAME,
  APP_NAME_TTL,
  HOSTED_ZONE_ID,
  SOURCE_INSTANCE,
  TARGET_DATABASE,
  startAppForwarder,
} from './rehearsal-world.js';

/** The logical route's rehearsal plan (plans/logical-upgrade.yaml on the rehearsal's servers). */
export const LOGICAL_DEMO_PLAN = path.join(REPO_ROOT, 'rehearsal', 'world', 'logical-demo-plan.yaml');
/** The new Aurora cluster the plan creates (its `vars.cluster`). */
export const LOGICAL_TARGET_CLUSTER = 'orders-aurora-18';
export const LOGICAL_SOURCE_MAJOR = 14;

export interface LogicalRehearsalWorldOptions {
  /** AURORA_MIGRATE_TIME_SCALE for the CLI and the stand-in's clock. */
  timeScale: number;
  cleanup: CleanupStack;
  /** Orders on the source (events: half as many; default 50 000). */
  rows?: number;
  /** Forwarder port (default APP_PORT, then any free one; 0 = any free one). */
  appPort?: number;
  /** The plan the world is for (default LOGICAL_DEMO_PLAN). */
  planFile?: string;
  /** Narration of each stage (the demo prints it; tests pass nothing). */
  say?(line: string): void;
}

export interface LogicalRehearsalWorld {
  aws: AwsStandin;
  /** The real RDS source server (PostgreSQL 14). */
  source: PgServer;
  /** The application's name, played by the forwarder. */
  forwarder: Forwarder;
  /** The tool's user (the RDS-like master user) on the source's application database. */
  master: ResolvedConnection;
  /** How the application connects: through the forwarder, to database orders, as role app with its password. */
  app: WriterConnection;
  /** The new cluster's server once CreateDBCluster has started it. */
  targetServer(): PgServer | undefined;
  /** The new cluster's application database as its bootstrap superuser sees it (checks only). */
  target(): ResolvedConnection | undefined;
  /** Temp folder holding the state file and its event log. */
  workDir: string;
  statePath: string;
  eventLogPath: string;
  planFile: string;
  /** Environment for the CLI child process: only what a user would export, plus PATH/HOME. */
  env: Record<string, string>;
  /** The passwords in `env`: none may appear in the tool's output, state or event log. */
  secrets: string[];
}

export async function startLogicalRehearsalWorld(
  options: LogicalRehearsalWorldOptions,
): Promise<LogicalRehearsalWorld> {
  const say = options.say ?? (() => undefined);
  const { cleanup } = options;

  say('Starting the local AWS stand-in (RDS, CloudWatch, Route 53 over HTTP on 127.0.0.1)…');
  say(
    `  its RDS source instance ${SOURCE_INSTANCE} is a real PostgreSQL ${LOGICAL_SOURCE_MAJOR} server in the default parameter group (wal_level = replica)`,
  );
  const aws = await startAwsStandin({
    timeScale: options.timeScale,
    seed: {
      instances: [
        { id: SOURCE_INSTANCE, engine: 'postgres', allocatedStorageGiB: 100, real: true, major: LOGICAL_SOURCE_MAJOR },
      ],
      hostedZones: [{ id: HOSTED_ZONE_ID, name: 'internal.example.com', privateZone: true }],
    },
  });
  cleanup.add('stop the AWS stand-in and its PostgreSQL servers', () => aws.close());
  const source = aws.real!.server(SOURCE_INSTANCE)!;
  say(`  stand-in at ${aws.endpoint}; its clock runs ${options.timeScale}x faster than real time`);
  say(
    `  PostgreSQL listening on ${source.address}:${source.port} (PostgreSQL ${source.version}), data in ${source.dataDir}`,
  );

  const { master, app } = await prepareRdsDatabase(source, TARGET_DATABASE);
  await withClient(app, async (c) => {
    await c.query(SCHEMA_SQL);
    await c.query(seedSql(options.rows ?? 50_000));
  });
  const [counts] = await source.query<{ orders: string; events: string }>(
    `SELECT (SELECT count(*) FROM orders) AS orders, (SELECT count(*) FROM events) AS events`,
    [],
    TARGET_DATABASE,
  );
  say(
    `  seeded database "${TARGET_DATABASE}", owned by role ${app.user}: customers (identity key), ${counts!.orders} orders (serial key, foreign key),` +
      ` ${counts!.events} events in a partitioned table, a standalone sequence, a materialized view, an unlogged session_cache,` +
      ` audit_log without a primary key and "Order Notes"; the tool logs in as ${master.user} (NOSUPERUSER, member of rds_superuser)`,
  );
  // What the DBA runs on RDS before the copy; stock PostgreSQL has no rds_replication role.
  await source.query(`ALTER ROLE ${master.user} REPLICATION`);
  await source.query(`GRANT ${app.user} TO ${master.user}`);
  say(
    `  as a DBA does on RDS before the copy: GRANT rds_replication TO ${master.user} (here its stand-in ALTER ROLE ${master.user} REPLICATION:`,
  );
  say(
    `  stock PostgreSQL has no rds_replication role) and GRANT ${app.user} TO ${master.user} (publishing a table needs its ownership)`,
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

  const workDir = await mkdtemp(path.join(tmpdir(), 'aurora-migrate-rehearsal-'));
  await chmod(workDir, 0o700);
  cleanup.add('remove the rehearsal folder', () => rm(workDir, { recursive: true, force: true }));
  const statePath = path.join(workDir, 'orders-logical-upgrade.state.json');

  const targetPassword = newPassword();
  const env: Record<string, string> = {
    ...standinCliEnv(aws.env, process.env.HOME ?? workDir, options.timeScale),
    AWS_CONFIG_FILE: path.join(workDir, 'no-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: path.join(workDir, 'no-aws-credentials'),
    PGUSER: master.user,
    PGPASSWORD: master.password ?? '',
    SOURCE_HOST: source.address,
    SOURCE_PORT: String(source.port),
    TARGET_PASSWORD: targetPassword,
    APP_PASSWORD: app.password ?? '',
  };

  const targetServer = () => aws.real!.server(LOGICAL_TARGET_CLUSTER);
  return {
    aws,
    source,
    forwarder,
    master,
    app: {
      host: forwarder.host,
      port: forwarder.port,
      database: TARGET_DATABASE,
      user: app.user,
      password: app.password,
    },
    targetServer,
    target: () => {
      const server = targetServer();
      return server ? { ...server.admin, database: TARGET_DATABASE } : undefined;
    },
    workDir,
    statePath,
    eventLogPath: `${statePath}.events.jsonl`,
    planFile: options.planFile ?? LOGICAL_DEMO_PLAN,
    env,
    secrets: [master.password ?? '', targetPassword, app.password ?? ''].filter(Boolean),
  };
}

async function withClient<T>(conn: ResolvedConnection, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({
    host: conn.host,
    port: conn.port,
    database: conn.database,
    user: conn.user,
    password: conn.password,
  });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}
