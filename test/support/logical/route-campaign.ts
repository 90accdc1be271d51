// The world-side helpers of the logical route's crash campaign (test/routes/logical/route-crash-campaign.test.ts):
// the plan it runs on the logical rehearsal world (rehearsal/world/logical-world.ts), a CLI runner that
// SIGKILLs `apply` a few milliseconds after a chosen line appears in the event log (or after a delay),
// and what can be observed of the replication objects and the fence on both real servers.
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import type { PgServer } from '../../../rehearsal/postgres/cluster.js';
import { publicCanConnect } from '../../../rehearsal/postgres/rds-roles.js';
import { runCli, type CliRunResult } from '../../../rehearsal/world/cli-runner.js';
import { APP_NAME, HOSTED_ZONE_ID } from '../../../rehearsal/world/rehearsal-world.js';
import { LOGICAL_TARGET_CLUSTER } from '../../../rehearsal/world/logical-world.js';

export const PLAN_NAME = 'campaign';
/** The names the tool derives from the plan and step ids (aurora_migrate_<plan>_<step>). */
export const FORWARD = `aurora_migrate_${PLAN_NAME}_replicate`;
export const REVERSE_SLOT = `aurora_migrate_${PLAN_NAME}_switchover`;
export const REVERSE_SUB = `aurora_migrate_${PLAN_NAME}_fallback`;

const SRC = (database: string) =>
  `{ host: "\${env.SOURCE_HOST}", port: "\${env.SOURCE_PORT}", database: ${database}, user: "\${env.PGUSER}", password: "\${env.PGPASSWORD}" }`;
const SRC_SUPER = '{ host: "${env.SOURCE_HOST}", port: "${env.SOURCE_PORT}", database: orders, user: postgres }';
const TGT =
  '{ host: "${steps.target.outputs.endpoint}", port: "${steps.target.outputs.port}", database: orders, user: postgres, password: "${env.TARGET_PASSWORD}" }';

/**
 * The logical route of rehearsal/world/logical-demo-plan.yaml, from enabling logical replication to
 * reverse replication (no clean-up step: the campaign ends where the fallback period begins). The
 * window is 10m (10 s of real time at 60×), so a resume right after a kill usually finds it still
 * open; a slow one finds it passed and rolls back (exit 2), which the campaign then applies again.
 */
export const CAMPAIGN_PLAN = `version: 1
name: ${PLAN_NAME}
region: us-east-1
vars: { source: orders-pg, cluster: ${LOGICAL_TARGET_CLUSTER} }
steps:
  - id: logical-source
    type: enable-logical-replication
    instance: \${vars.source}
    parameterGroup: orders-pg-logical
    reboot: true
    parameters: { max_replication_slots: 10, max_wal_senders: 10 }
  - id: target
    type: aurora-cluster
    cluster: \${vars.cluster}
    engineVersion: "18.4"
    instance: { class: db.r6g.large }
    masterUsername: postgres
    masterPassword: \${env.TARGET_PASSWORD}
    clusterParameterGroup: orders-aurora-18-logical
    subnetGroup: app-private
    securityGroups: [sg-0abc1234]
  - id: replicate
    type: logical-replica
    source: ${SRC('orders')}
    target: ${TGT}
    ddlGuardConnection: ${SRC_SUPER}
    schemas: [public]
    rolePasswords: { app: "\${env.APP_PASSWORD}" }
    replicaIdentityFull: [public.audit_log]
    maxLag: 1MiB
    stableFor: 1m
    instance: \${vars.source}
    guards: [{ metric: FreeStorageSpace, on: source, below: 20GiB }]
    maxSlotLag: 50GiB
    timeout: 3d
  - id: gate
    type: approval
    message: Cut over orders-pg to Aurora 18.
  - id: freeze
    type: freeze-writes
    connection: ${SRC('postgres')}
    databases: [orders]
    drainTimeout: 30s
    waitForSlot: { slot: "\${steps.replicate.outputs.slot}", maxLag: 1MiB }
    window: 10m
  - id: switchover
    type: logical-switchover
    subscription: \${steps.replicate.outputs.subscription}
    source: ${SRC('orders')}
    target: ${TGT}
    rolePasswords: { app: "\${env.APP_PASSWORD}" }
  - id: check
    type: verify-data
    source: ${SRC('orders')}
    target: ${TGT}
    tables: [public.customers, public.orders, public.events, public.audit_log, public."Order Notes", public.app_writes]
  - id: switch
    type: switch-endpoint
    hostedZoneId: ${HOSTED_ZONE_ID}
    record: ${APP_NAME}
    target: \${steps.target.outputs.endpoint}
    ttl: 5s
  - id: fallback
    type: reverse-replication
    source: ${TGT}
    # Stock PostgreSQL before 16 lets only a superuser CREATE SUBSCRIPTION (on RDS, rds_superuser may).
    target: ${SRC_SUPER}
`;

/**
 * When to SIGKILL a run: `jitterMs` after the first new event-log text matching any of `after` (a
 * resume skips what its checkpoint says is done, so a later instant stands in for a skipped one),
 * or after the `lines`-th new event-log line, or `ms` after spawn.
 */
export type KillAt =
  | { after: RegExp[]; label: string; jitterMs: number }
  | { lines: number; label: string; jitterMs: number }
  | { ms: number; label: string };

export interface CampaignRun extends CliRunResult {
  killedByUs: boolean;
  /** The event-log text this run appended. */
  appended: string;
}

/** `apply` through the real CLI (spawned, never spawnSync: the stand-in runs in this process). */
export async function runCampaignApply(opts: {
  args: string[];
  env: Record<string, string>;
  cwd: string;
  eventLogPath: string;
  children: Set<ChildProcess>;
  kill?: KillAt;
}): Promise<CampaignRun> {
  const start = sizeOf(opts.eventLogPath);
  let killedByUs = false;
  const timers: NodeJS.Timeout[] = [];
  const r = await runCli(opts.args, {
    env: opts.env,
    cwd: opts.cwd,
    onSpawn: (child) => {
      opts.children.add(child);
      child.once('close', () => opts.children.delete(child));
      const kill = opts.kill;
      if (!kill) return;
      const fire = (ms: number) =>
        timers.push(
          setTimeout(() => {
            if (child.exitCode === null && child.signalCode === null) {
              killedByUs = true;
              child.kill('SIGKILL');
            }
          }, ms),
        );
      if ('ms' in kill) return fire(kill.ms);
      // Read only what was appended since the last look; a match may straddle two reads, so keep a tail.
      let offset = start;
      let tail = '';
      let lines = 0;
      const poll = setInterval(() => {
        const text = readFrom(opts.eventLogPath, offset);
        if (!text) return;
        offset += Buffer.byteLength(text);
        const window = tail + text;
        lines += text.split('\n').length - 1;
        if ('lines' in kill ? lines >= kill.lines : kill.after.some((re) => re.test(window))) {
          clearInterval(poll);
          fire(kill.jitterMs);
        } else tail = window.slice(-400);
      }, 2);
      timers.push(poll);
    },
  });
  for (const t of timers) clearTimeout(t);
  return { ...r, killedByUs: killedByUs && r.signal === 'SIGKILL', appended: readFrom(opts.eventLogPath, start) };
}

function sizeOf(p: string): number {
  try {
    return statSync(p).size;
  } catch {
    return 0;
  }
}

function readFrom(p: string, offset: number): string {
  let fd: number;
  try {
    fd = openSync(p, 'r');
  } catch {
    return '';
  }
  try {
    const size = statSync(p).size;
    if (size <= offset) return '';
    const buf = Buffer.alloc(size - offset);
    const n = readSync(fd, buf, 0, buf.length, offset);
    return buf.subarray(0, n).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/** The replication objects of both purposes and the fence, as the servers' superusers see them. */
export interface Observation {
  /** Logical slots on the old source, table-sync slots (pg_<oid>_sync_<…>) left out: they come and go. */
  sourceSlots: string[];
  /** Subscriptions on Aurora (pg_subscription is shared: read from any database), with enabled. */
  auroraSubscriptions: Array<{ name: string; enabled: boolean }>;
  /** Slots on Aurora, table-sync slots left out. */
  auroraSlots: string[];
  /** Subscriptions on the old source. */
  sourceSubscriptions: string[];
  /** CONNECT taken from PUBLIC on database orders, or a read-only default set on it. */
  fenced: boolean;
}

const NOT_SYNC = `slot_name NOT LIKE 'pg\\_%\\_sync\\_%'`;

export async function observe(source: PgServer, aurora: PgServer | undefined): Promise<Observation> {
  const col = <R, K extends keyof R>(rows: R[], k: K) => rows.map((r) => r[k]);
  const sourceSlots = col(
    await source.query<{ n: string }>(`SELECT slot_name AS n FROM pg_replication_slots WHERE ${NOT_SYNC} ORDER BY 1`),
    'n',
  );
  const sourceSubscriptions = col(
    await source.query<{ n: string }>('SELECT subname AS n FROM pg_subscription ORDER BY 1'),
    'n',
  );
  const [setting] = await source.query<{ c: string[] | null }>(
    `SELECT s.setconfig AS c FROM pg_database d LEFT JOIN pg_db_role_setting s ON s.setdatabase = d.oid AND s.setrole = 0 WHERE d.datname = 'orders'`,
  );
  const readOnly = (setting?.c ?? []).some((x) => /^default_transaction_read_only=(on|true|1)$/i.test(x));
  const fenced = readOnly || !(await publicCanConnect(source, 'orders'));
  const auroraSubscriptions = aurora
    ? await aurora.query<{ name: string; enabled: boolean }>(
        'SELECT subname AS name, subenabled AS enabled FROM pg_subscription ORDER BY 1',
      )
    : [];
  const auroraSlots = aurora
    ? col(
        await aurora.query<{ n: string }>(
          `SELECT slot_name AS n FROM pg_replication_slots WHERE ${NOT_SYNC} ORDER BY 1`,
        ),
        'n',
      )
    : [];
  return { sourceSlots, auroraSubscriptions, auroraSlots, sourceSubscriptions, fenced };
}

/**
 * Statements the tool sent (application_name aurora-migrate) still running on a server after the CLI
 * was killed: a backend finishes (commits or aborts) its statement before it notices the client is gone.
 */
export async function toolStatementsRunning(servers: PgServer[]): Promise<number> {
  let n = 0;
  for (const s of servers) {
    const [r] = await s.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE backend_type = 'client backend' AND application_name = 'aurora-migrate' AND state <> 'idle' AND pid <> pg_backend_pid()`,
    );
    n += Number(r!.n);
  }
  return n;
}
