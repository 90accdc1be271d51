// The world of the cutover-window crash campaign (test/engine/window-crash-campaign.test.ts): a
// time-scaled AWS stand-in (not on a manual clock) whose RDS source orders-pg is a real PostgreSQL
// server, the application's name orders-db.internal.example.com as a Route 53 CNAME played by the
// rehearsal forwarder, and the real CLI (bin/aurora-migrate.js) run as a child process that only sees
// environment variables. Also: the cutover plan, a runner that SIGKILLs the CLI at a chosen instant
// (a delay after spawn, after the window opened, or after k more event-log lines), and what a user
// can observe of the source, the stand-in and the DNS record.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { MINUTE, startAwsStandin, type AwsStandin } from '../../../rehearsal/aws/index.js';
import type { PgServer } from '../../../rehearsal/postgres/cluster.js';
import { startForwarder, type Forwarder } from '../../../rehearsal/app/forwarder.js';
import { runCli, type CliRunResult } from '../../../rehearsal/world/cli-runner.js';
import { prepareRdsDatabase, publicCanConnect, type RdsDatabase } from '../../../rehearsal/postgres/rds-roles.js';
import type { CleanupStack } from '../../../rehearsal/world/cleanup-stack.js';

export const SOURCE = 'orders-pg';
export const ZONE = 'Z0123456789ABCDEFGHIJ';
export const APP_NAME = 'orders-db.internal.example.com';

export interface CrashWorld {
  aws: AwsStandin;
  source: PgServer;
  forwarder: Forwarder;
  workDir: string;
  env: Record<string, string>;
  timeScale: number;
  /** The tool's RDS-like master user and the application's role on database orders. */
  roles: RdsDatabase;
  /** CLI child processes still running (killed by the cleanup). */
  children: Set<ChildProcess>;
}

export async function startCrashWorld(cleanup: CleanupStack, timeScale: number): Promise<CrashWorld> {
  const workDir = await mkdtemp(path.join(tmpdir(), 'am-window-crash-'));
  cleanup.add('remove the work folder', () => rm(workDir, { recursive: true, force: true }));
  const aws = await startAwsStandin({
    timeScale,
    // Replica creation shortened (the real base backup still decides when it is available); the
    // promotion keeps minutes of stand-in time, so kills land while it is under way too.
    durations: { clusterCreating: MINUTE, clusterBackingUp: MINUTE, instanceCreate: MINUTE, promote: 3 * MINUTE },
    seed: {
      instances: [{ id: SOURCE, real: true }],
      hostedZones: [{ id: ZONE, name: 'internal.example.com', privateZone: true }],
    },
  });
  cleanup.add('stop the AWS stand-in and its PostgreSQL servers', () => aws.close());
  const source = aws.real!.server(SOURCE)!;
  const roles = await prepareRdsDatabase(source, 'orders');
  pointRecordAtSource({ aws, source });
  const forwarder = await startForwarder({
    recordName: APP_NAME,
    hostedZoneId: ZONE,
    awsEnv: aws.env,
    resolve: (address) => aws.resolveEndpoint(address),
    port: 0,
    timeScale,
  });
  cleanup.add('stop the forwarder', () => forwarder.stop());
  const children = new Set<ChildProcess>();
  // A test that fails or times out while a CLI child runs: the child goes before the servers do.
  cleanup.add('kill CLI children still running', () => {
    for (const c of children) c.kill('SIGKILL');
  });
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: workDir,
    NO_COLOR: '1',
    ...aws.env,
    AWS_CONFIG_FILE: path.join(workDir, 'no-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: path.join(workDir, 'no-aws-credentials'),
    AURORA_MIGRATE_TIME_SCALE: String(timeScale),
    PGPASSWORD: roles.master.password ?? '',
  };
  return { aws, source, forwarder, workDir, env, timeScale, roles, children };
}

/** The application's name back on the source (the seed, and after a forward segment). */
export function pointRecordAtSource(w: Pick<CrashWorld, 'aws' | 'source'>): void {
  w.aws.route53.seedRecord({ zoneId: ZONE, name: APP_NAME, type: 'CNAME', ttl: 5, values: [w.source.address] });
}

/** replica → freeze (window 5m) → promote (marker) → verify-data (the writer's table) → switch-endpoint. */
export function cutoverPlan(source: PgServer, name: string, cluster: string, user = 'master'): string {
  const src = `host: ${source.address}, port: ${source.port}`;
  const login = `user: ${user}, password: "\${env.PGPASSWORD}"`;
  return `version: 1
name: ${name}
steps:
  - id: replica
    type: aurora-read-replica
    source: ${SOURCE}
    cluster: ${cluster}
    instance: { class: db.r6g.large }
  - id: freeze
    type: freeze-writes
    connection: { ${src}, database: postgres, ${login} }
    databases: [orders]
    drainTimeout: 60s
    window: 5m
  - id: promote
    type: promote
    cluster: \${steps.replica.outputs.clusterId}
    replicaConnection: { host: "\${steps.replica.outputs.readerEndpoint}", port: "\${steps.replica.outputs.port}", database: orders, ${login} }
  - id: check
    type: verify-data
    source: { ${src}, database: orders, ${login} }
    target: { host: "\${steps.promote.outputs.endpoint}", port: "\${steps.promote.outputs.port}", database: orders, ${login} }
    tables: [public.app_writes]
  - id: switch
    type: switch-endpoint
    hostedZoneId: ${ZONE}
    record: ${APP_NAME}
    target: \${steps.promote.outputs.endpoint}
    ttl: 5s
`;
}

export interface Segment {
  name: string;
  cluster: string;
  planFile: string;
  statePath: string;
  eventLogPath: string;
}

export async function writeSegmentPlan(w: CrashWorld, index: number): Promise<Segment> {
  const name = `window-crash-${index}`;
  const cluster = `crash-aurora-${index}`;
  const planFile = path.join(w.workDir, `${name}.yaml`);
  await writeFile(planFile, cutoverPlan(w.source, name, cluster));
  const statePath = path.join(w.workDir, `${name}.state.json`);
  return { name, cluster, planFile, statePath, eventLogPath: `${statePath}.events.jsonl` };
}

/** When to SIGKILL: `ms` after the anchor, or right after `lines` more event-log lines (+ jitter ms). */
export type KillAt =
  | { anchor: 'spawn' | 'window'; ms: number }
  | { anchor: 'spawn' | 'window'; lines: number; jitterMs: number };

export interface ApplyRun extends CliRunResult {
  killedByUs: boolean;
}

/**
 * `aurora-migrate apply PLAN --state …`, SIGKILLed at `kill` (if it has not ended by then). The
 * 'window' anchor is the moment the event log shows the cutover window opened in this run.
 */
export async function runApply(w: CrashWorld, seg: Segment, extra: string[], kill?: KillAt): Promise<ApplyRun> {
  let stop: () => void = () => {};
  let killedByUs = false;
  const r = await runCli(['apply', seg.planFile, '--state', seg.statePath, ...extra], {
    env: w.env,
    cwd: w.workDir,
    onSpawn: (child) => {
      w.children.add(child);
      child.once('close', () => w.children.delete(child));
      if (!kill) return;
      stop = watchAndKill(child, seg.eventLogPath, kill, () => (killedByUs = true));
    },
  });
  stop();
  return { ...r, killedByUs: killedByUs && r.signal === 'SIGKILL' };
}

function watchAndKill(child: ChildProcess, logPath: string, kill: KillAt, onKill: () => void): () => void {
  const timers: NodeJS.Timeout[] = [];
  const fire = (ms: number) =>
    timers.push(
      setTimeout(() => {
        if (child.exitCode === null && child.signalCode === null) {
          onKill();
          child.kill('SIGKILL');
        }
      }, ms),
    );
  const lines = () => logLines(logPath);
  const base = lines().length;
  const armAfterAnchor = (anchorLines: number) => {
    if ('ms' in kill) return fire(kill.ms);
    // Count lines appended after the anchor; kill right after the k-th (+ jitter).
    let size = sizeOf(logPath);
    const poll = setInterval(() => {
      const now = sizeOf(logPath);
      if (now === size) return;
      size = now;
      if (lines().length - anchorLines >= kill.lines) {
        clearInterval(poll);
        fire(kill.jitterMs);
      }
    }, 2);
    timers.push(poll);
  };
  if (kill.anchor === 'spawn') armAfterAnchor(base);
  else {
    let size = sizeOf(logPath);
    const poll = setInterval(() => {
      const now = sizeOf(logPath);
      if (now === size) return;
      size = now;
      const all = lines();
      const at = all.slice(base).findIndex((l) => l.includes('"type":"cutover-window-opened"'));
      if (at < 0) return;
      clearInterval(poll);
      armAfterAnchor(base + at + 1);
    }, 2);
    timers.push(poll);
  }
  return () => {
    for (const t of timers) clearTimeout(t);
  };
}

function logLines(p: string): string[] {
  try {
    return readFileSync(p, 'utf8')
      .split('\n')
      .filter((l) => l.length > 0);
  } catch {
    return [];
  }
}

function sizeOf(p: string): number {
  try {
    return statSync(p).size;
  } catch {
    return 0;
  }
}

/** The event log as parsed lines; `torn` holds lines that are not JSON. */
export function readEventLog(p: string): { events: Array<Record<string, unknown>>; torn: string[] } {
  const events: Array<Record<string, unknown>> = [];
  const torn: string[] = [];
  for (const line of logLines(p)) {
    try {
      events.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      torn.push(line);
    }
  }
  return { events, torn };
}

/** pg_db_role_setting of database orders on the source (null: no database-level setting). */
export async function sourceSetting(source: PgServer): Promise<string[] | null> {
  const rows = await source.query<{ setconfig: string[] | null }>(
    `SELECT s.setconfig FROM pg_database d LEFT JOIN pg_db_role_setting s ON s.setdatabase = d.oid AND s.setrole = 0 WHERE d.datname = 'orders'`,
  );
  return rows[0]?.setconfig ?? null;
}

export const FROZEN = ['default_transaction_read_only=on'];

/** Whether the application may connect to orders on the source (false while the fence is up). */
export const sourceOpen = (source: PgServer): Promise<boolean> => publicCanConnect(source, 'orders');

/** What the stand-in says about the cluster: promotions it accepted, and whether it still replicates. */
export function clusterFacts(
  aws: AwsStandin,
  cluster: string,
): { promotionsAccepted: number; replica: boolean; status: string } {
  const c = aws.rds.clusters.get(cluster);
  return {
    promotionsAccepted: aws.calls.succeeded('PromoteReadReplicaDBCluster', cluster),
    replica: c ? aws.rds.isReplica(c) : false,
    status: c ? aws.rds.clusterStatus(c) : 'missing',
  };
}
