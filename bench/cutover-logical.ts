// Benchmark: write downtime of the logical route's cutover, and how much of it is the tool's.
// Started by bench/cutover.ts with `--route logical`:
//
//   npm run bench:cutover -- --route logical                          # 5 runs, time scale 1, DNS PENDING 30s
//   npm run bench:cutover -- --route logical --runs 3 --rows 1000000
//
// Each run applies, in-process through the engine and the production step registry, the plan
// logical-replica → freeze-writes (waitForSlot) → logical-switchover (reverse publication and slot
// on the target) → verify-data → switch-endpoint, from a real PostgreSQL 14 source to a real
// PostgreSQL 18 target, the tool as the RDS-like master user on both sides, Route 53 from the AWS
// stand-in whose change stays PENDING for --dns-pending plus a part of one GetChange interval that
// differs per run (INSYNC comes at no particular instant). The application writes on the source the
// whole time as its own role (half its connections open every transaction READ WRITE). Write
// downtime = freeze → DNS change INSYNC (switch-endpoint's switchedAt − the freeze's frozenAt). Split:
//   - verify-data's scans: their own part (they grow with the data; the plan chooses them);
//   - AWS (simulated): the Route 53 PENDING time, as configured;
//   - the tool's own share: all the rest — freeze + drain, the caught-up marker, sequences,
//     materialized views, DISABLE, the roles check, the reverse slot, the engine between steps, the
//     DNS request, and the polling slack between Route 53 being INSYNC and the tool noticing.
// Time scale: default 1, so nothing is scaled and every figure is wall time at AWS speed. With
// --time-scale N the stand-in's clock and the tool's polls run N times faster; then only the
// simulated PENDING time and the DNS polling slack are multiplied back by N ("at AWS speed"), and
// everything else — real SQL and replication — is counted as measured, never multiplied.
// Goal (issue 20): the tool's share ≤ 1 s at AWS speed, median of 5.
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { startAwsStandin } from '../rehearsal/aws/index.js';
import { startWriter } from '../rehearsal/app/writer.js';
import { liftFenceAsAdmin } from '../rehearsal/postgres/rds-roles.js';
import { createAwsApi } from '../src/aws/sdk-api.js';
import { createPgConnector } from '../src/db/pg-connector.js';
import { applyPlan } from '../src/engine/engine.js';
import { localRunStorage } from '../src/engine/run-storage.js';
import type { EngineEvent } from '../src/engine/events.js';
import { checkPlanText } from '../src/plan/load.js';
import { steps } from '../src/steps/index.js';
import { CUTOVER_CHANGE_POLL_MS } from '../src/steps/switch-endpoint/record.js';
import { median, startBenchLogicalWorld, type BenchLogicalWorld } from './logical-world.js';

const GOAL_S = 1;
const ZONE = 'Z0123456789ABCDEFGHIJ';
const RECORD = 'orders-db.internal.example.com';
const APP_TABLE = 'app_writes';

export interface LogicalCutoverOptions {
  runs: number;
  timeScale: number;
  dnsPendingMs: number;
  writerRate: number;
  rows: number;
}

/** One run's split, in real (measured) milliseconds. */
interface Split {
  total: number;
  freezeDrain: number;
  /** Between the freeze's end and the switchover's start, and between later steps: the engine (state saves, step start). */
  engine: number;
  marker: number;
  sequences: number;
  /** Materialized views, DISABLE, roles check, reverse publication and slot, the step's own bookkeeping. */
  switchRest: number;
  reverse: number;
  verify: number;
  request: number;
  dnsSim: number;
  dnsSlack: number;
}

export async function runLogicalCutoverBench(o: LogicalCutoverOptions): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'am-bench-cutover-logical-'));
  process.stderr.write(`seeding ${o.rows.toLocaleString('en-US')} rows on PostgreSQL 14…\n`);
  const [world, aws] = await Promise.all([
    // The target publishes back (reverse replication): an Aurora cluster parameter group with rds.logical_replication = 1.
    startBenchLogicalWorld({ rows: o.rows, targetWalLevel: 'logical' }),
    startAwsStandin({
      timeScale: o.timeScale,
      route53ChangePendingMs: o.dnsPendingMs,
      seed: {
        hostedZones: [{ id: ZONE, name: 'internal.example.com' }],
        records: [{ zoneId: ZONE, name: RECORD, type: 'CNAME', ttl: 5, values: ['orders-pg.standin.invalid'] }],
      },
    }),
  ]);
  const api = createAwsApi({ env: aws.env, maxAttempts: 3 });
  const splits: Split[] = [];
  try {
    // Stand-in of GRANT rds_replication TO master on Aurora (the reverse slot).
    await world.target.query(`ALTER ROLE ${world.targetMaster.user} REPLICATION`);
    // The application's table exists before the copy (created later it would be DDL during the copy).
    await world.source.query(
      `CREATE TABLE ${APP_TABLE} (seq bigint PRIMARY KEY, at timestamptz NOT NULL DEFAULT now())`,
      [],
      'orders',
    );
    await world.source.query(`ALTER TABLE ${APP_TABLE} OWNER TO ${world.app.user}`, [], 'orders');
    for (let run = 1; run <= o.runs; run++) {
      // Route 53 turns INSYNC at no particular instant: spread the runs' PENDING times over one
      // GetChange interval, so the polling slack is sampled fairly rather than fixed by a PENDING
      // time that happens to be a multiple of the interval.
      aws.route53.changePendingMs = o.dnsPendingMs + Math.round(((run - 0.5) / o.runs) * CUTOVER_CHANGE_POLL_MS);
      const split = await oneRun(run, o, world, api, dir, aws.route53.changePendingMs);
      splits.push(split);
      await reset(world, run);
      const a = atAws(split, o.timeScale);
      process.stderr.write(
        `run ${run}/${o.runs}: write downtime ${(split.total / 1000).toFixed(2)}s real; at AWS speed ${a.total.toFixed(2)}s (tool ${a.tool.toFixed(2)}s, verify-data ${a.verify.toFixed(2)}s, Route 53 ${a.dnsSim.toFixed(1)}s)\n`,
      );
    }
  } finally {
    api.destroy();
    await Promise.all([aws.close(), world.stop()]);
    rmSync(dir, { recursive: true, force: true });
  }
  report(splits, o, world);
}

const conn = (c: { host: string; port: number; user: string }, database: string, password?: string) =>
  `{ host: "${c.host}", port: ${c.port}, database: ${database}, user: ${c.user}${password ? `, password: "${password}"` : ''} }`;

function planText(name: string, w: BenchLogicalWorld): string {
  const src = (database: string) => conn(w.sourceMaster, database, '${env.SOURCE_PASSWORD}');
  const tgt = conn(w.targetMaster, 'orders', '${env.TARGET_PASSWORD}');
  return `version: 1
name: ${name}
steps:
  - id: replicate
    type: logical-replica
    source: ${src('orders')}
    target: ${tgt}
    ddlGuardConnection: ${conn(w.source.admin, 'orders')}
    schemas: [public]
    rolePasswords: { app: "\${env.APP_PASSWORD}" }
    maxLag: 1MiB
    stableFor: 2s
    pollEvery: 1s
  - id: freeze
    type: freeze-writes
    connection: ${src('postgres')}
    databases: [orders]
    waitForSlot: { slot: "\${steps.replicate.outputs.slot}", maxLag: 16MiB }
    drainTimeout: 30s
    window: 5m
  - id: switchover
    type: logical-switchover
    subscription: \${steps.replicate.outputs.subscription}
    source: ${src('orders')}
    target: ${tgt}
    rolePasswords: { app: "\${env.APP_PASSWORD}" }
    reversePublication: true
  - id: check
    type: verify-data
    source: ${src('orders')}
    target: ${tgt}
    schemas: [public]
  - id: switch
    type: switch-endpoint
    hostedZoneId: ${ZONE}
    record: ${RECORD}
    target: ${name}.cluster-abc.us-east-1.rds.amazonaws.com
    ttl: 5s
`;
}

async function oneRun(
  run: number,
  o: LogicalCutoverOptions,
  w: BenchLogicalWorld,
  api: ReturnType<typeof createAwsApi>,
  dir: string,
  pendingMs: number,
): Promise<Split> {
  const name = `bench-${run}`;
  const checked = checkPlanText(`plans/${name}.yaml`, planText(name, w));
  if (!checked.ok) throw new Error(`bench plan invalid: ${JSON.stringify(checked.diagnostics)}`);
  const seen: Array<{ at: number; event: EngineEvent }> = [];
  const writer = await startWriter({
    connection: {
      host: w.source.address,
      port: w.source.port,
      database: 'orders',
      user: w.app.user,
      password: w.app.password,
    },
    ratePerSecond: o.writerRate,
    mode: ['begin-read-write', 'autocommit'],
    table: APP_TABLE,
    createTable: false,
  });
  let result: Awaited<ReturnType<typeof applyPlan>>;
  try {
    result = await applyPlan(
      {
        plan: checked.plan,
        env: {
          SOURCE_PASSWORD: w.sourceMaster.password!,
          TARGET_PASSWORD: w.targetMaster.password!,
          APP_PASSWORD: `app-on-target-${run}`,
        },
      },
      {
        storage: localRunStorage(join(dir, `${name}.state.json`)),
        registry: steps,
        aws: api,
        db: createPgConnector(),
        timeScale: o.timeScale,
        lock: false,
        listeners: [(event) => seen.push({ at: Date.now(), event })],
      },
    );
  } finally {
    await writer.stop();
  }
  if (result.outcome !== 'succeeded')
    throw new Error(`run ${name} did not succeed: ${result.outcome} ${JSON.stringify(result.failed)}`);
  if (process.env.BENCH_TRACE)
    trace(seen, Date.parse(String(result.steps.find((s) => s.id === 'freeze')!.outputs?.frozenAt)));
  const out = (id: string) => result.steps.find((s) => s.id === id)!.outputs ?? {};
  const at = (pred: (e: EngineEvent) => boolean, what: string) => {
    const hit = seen.find((s) => pred(s.event));
    if (!hit) throw new Error(`run ${name}: no ${what} event`);
    return hit.at;
  };
  const start = (id: string) => at((e) => e.type === 'step-start' && e.stepId === id, `${id} step-start`);
  const end = (id: string) => at((e) => e.type === 'step-end' && e.stepId === id, `${id} step-end`);
  const named = (id: string, n: string) =>
    at((e) => e.type === 'step-event' && e.stepId === id && e.name === n, `${id} ${n}`);
  const ms = (iso: unknown) => Date.parse(String(iso));
  const frozenAt = ms(out('freeze').frozenAt);
  const caughtUp = ms(out('switchover').caughtUpAt);
  const seqs = named('switchover', 'sequences-copied');
  const reverseStart = at(
    (e) =>
      e.type === 'progress' && e.stepId === 'switchover' && e.detail.startsWith('creating the reverse publication'),
    'reverse progress',
  );
  const reverseEnd = named('switchover', 'reverse-publication');
  const changeSent = at(
    (e) => e.type === 'aws-call' && e.operation === 'ChangeResourceRecordSets',
    'ChangeResourceRecordSets',
  );
  const insync = ms(out('switch').switchedAt);
  const dnsSim = pendingMs / o.timeScale;
  const engine =
    start('switchover') - end('freeze') + (start('check') - end('switchover')) + (start('switch') - end('check'));
  return {
    total: insync - frozenAt,
    freezeDrain: end('freeze') - frozenAt,
    engine,
    marker: caughtUp - start('switchover'),
    sequences: seqs - caughtUp,
    reverse: reverseEnd - reverseStart,
    switchRest: end('switchover') - seqs - (reverseEnd - reverseStart),
    verify: end('check') - start('check'),
    request: changeSent - start('switch'),
    dnsSim,
    dnsSlack: insync - changeSent - dnsSim,
  };
}

/** BENCH_TRACE=1: the window's events with their time after the freeze, for profiling. */
function trace(seen: Array<{ at: number; event: EngineEvent }>, frozenAt: number): void {
  for (const { at, event } of seen) {
    if (at < frozenAt - 50) continue;
    const e = event as {
      type: string;
      stepId?: string;
      name?: string;
      detail?: string;
      operation?: string;
      data?: { sql?: string };
    };
    const what =
      e.type === 'step-event'
        ? `${e.name}${e.name === 'sql' ? ` ${String(e.data?.sql).slice(0, 90)}` : ''}`
        : e.type === 'progress'
          ? e.detail!.slice(0, 100)
          : e.type === 'aws-call'
            ? e.operation
            : '';
    process.stderr.write(`  +${String(at - frozenAt).padStart(5)} ms ${e.stepId ?? ''} ${e.type} ${what}\n`);
  }
}

/** Drops what the run made (forward and reverse replication, the target database), lifts the fence: the next run starts as the first. */
async function reset(w: BenchLogicalWorld, run: number): Promise<void> {
  const name = `aurora_migrate_bench_${run}_replicate`;
  const reverse = `aurora_migrate_bench_${run}_switchover`;
  await w.target.query(`ALTER SUBSCRIPTION ${name} DISABLE`, [], 'orders');
  await w.target.query(`ALTER SUBSCRIPTION ${name} SET (slot_name = NONE)`, [], 'orders');
  await w.target.query(`DROP SUBSCRIPTION ${name}`, [], 'orders');
  await w.target.query(`SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1`, [
    reverse,
  ]);
  await w.target.query('DROP DATABASE orders WITH (FORCE)');
  for (let i = 0; ; i++) {
    const [slot] = await w.source.query<{ active: boolean }>(
      'SELECT active FROM pg_replication_slots WHERE slot_name = $1',
      [name],
    );
    if (!slot) break;
    if (!slot.active) {
      await w.source.query('SELECT pg_drop_replication_slot($1)', [name]);
      break;
    }
    if (i > 100) throw new Error(`slot ${name} stays active`);
    await new Promise((r) => setTimeout(r, 100));
  }
  await liftFenceAsAdmin(w.source, ['orders']);
  await w.source.query(`DROP PUBLICATION IF EXISTS ${name}`, [], 'orders');
  await w.source.query('DROP EVENT TRIGGER IF EXISTS aurora_migrate_ddl_guard', [], 'orders');
  await w.source.query('DROP EVENT TRIGGER IF EXISTS aurora_migrate_ddl_guard_drop', [], 'orders');
  await w.source.query('DROP SCHEMA IF EXISTS aurora_migrate CASCADE', [], 'orders');
}

/** Real milliseconds → seconds at AWS speed: the simulated PENDING time and the DNS polling slack × scale; everything else as measured. */
function atAws(s: Split, scale: number) {
  const sec = (ms: number) => ms / 1000;
  const r = {
    freezeDrain: sec(s.freezeDrain),
    marker: sec(s.marker),
    sequences: sec(s.sequences),
    switchRest: sec(s.switchRest),
    reverse: sec(s.reverse),
    engine: sec(s.engine),
    request: sec(s.request),
    dnsSlack: sec(s.dnsSlack * scale),
    verify: sec(s.verify),
    dnsSim: sec(s.dnsSim * scale),
  };
  const tool = r.freezeDrain + r.marker + r.sequences + r.switchRest + r.reverse + r.engine + r.request + r.dnsSlack;
  return { ...r, tool, total: tool + r.verify + r.dnsSim };
}

function report(splits: Split[], o: LogicalCutoverOptions, w: BenchLogicalWorld): void {
  type Key = keyof ReturnType<typeof atAws>;
  const rows: Array<[string, Key, string]> = [
    [
      'freeze + drain (fence: grants, revokes, read-back; ALTER DATABASE, terminate, no write transaction left)',
      'freezeDrain',
      "tool's own",
    ],
    [
      'caught-up marker (written on the source; on the target and the slot confirmed past it; polled every 50 ms)',
      'marker',
      "tool's own",
    ],
    ['sequences read on the source, set on the target', 'sequences', "tool's own"],
    ['materialized views, DISABLE, roles check, checkpoints', 'switchRest', "tool's own"],
    ['reverse publication and slot on the target', 'reverse', "tool's own"],
    ['the engine between steps (state saves, step start)', 'engine', "tool's own"],
    ['switch-endpoint up to the DNS change sent (preflight reads, ChangeResourceRecordSets)', 'request', "tool's own"],
    [
      `DNS polling slack (INSYNC → tool noticed; GetChange every ${CUTOVER_CHANGE_POLL_MS / 1000} s in a window)`,
      'dnsSlack',
      "tool's own",
    ],
    ["verify-data's scans (counts, sequences; grow with the data)", 'verify', 'verify-data'],
    ['Route 53 PENDING time (simulated, as configured)', 'dnsSim', 'AWS (simulated)'],
  ];
  const aws = splits.map((s) => atAws(s, o.timeScale));
  const med = (k: Key) => median(aws.map((a) => a[k]));
  const realMed = (k: keyof Split) => median(splits.map((s) => s[k])) / 1000;
  const realOf: Partial<Record<Key, keyof Split>> = {
    freezeDrain: 'freezeDrain',
    marker: 'marker',
    sequences: 'sequences',
    switchRest: 'switchRest',
    reverse: 'reverse',
    engine: 'engine',
    request: 'request',
    dnsSlack: 'dnsSlack',
    verify: 'verify',
    dnsSim: 'dnsSim',
    total: 'total',
  };
  const line = (label: string, k: Key, who: string) =>
    `| ${label} | ${who} | ${realOf[k] ? realMed(realOf[k]!).toFixed(2) : '–'} | ${med(k).toFixed(2)} |`;
  const tool = med('tool');
  const out = [
    `logical route: write downtime (freeze → DNS change INSYNC), median of ${splits.length} run(s); PostgreSQL ${w.source.version} → ${w.target.version}, ${Object.values(
      w.rows,
    )
      .reduce((a, b) => a + b, 0)
      .toLocaleString('en-US')} rows`,
    `time scale ${o.timeScale}${o.timeScale === 1 ? ' (nothing scaled: measured = at AWS speed)' : ` (only the simulated PENDING time and the DNS polling slack × ${o.timeScale}; SQL and replication as measured)`}; Route 53 PENDING ${o.dnsPendingMs / 1000}s + 0…${CUTOVER_CHANGE_POLL_MS / 1000}s spread over the runs (one GetChange interval); writer ${o.writerRate} commits/s on the source`,
    '',
    '| part | share | measured s | at AWS speed s |',
    '|---|---|---|---|',
    ...rows.map(([label, k, who]) => line(label, k, who)),
    `| **tool's own share** | tool | – | ${tool.toFixed(2)} |`,
    `| **write downtime** | total | ${realMed('total').toFixed(2)} | ${med('total').toFixed(2)} |`,
    '',
    `per run at AWS speed (s): ${aws.map((a) => `${a.total.toFixed(2)} (tool ${a.tool.toFixed(2)}, verify ${a.verify.toFixed(2)})`).join(', ')}`,
    `goal: the tool's share ≤ ${GOAL_S}s at AWS speed → ${tool <= GOAL_S ? 'MET' : 'NOT MET'} (median ${tool.toFixed(2)}s)`,
    `machine: ${cpus()[0]?.model ?? 'unknown'}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, node ${process.version}; embedded PostgreSQL with rehearsal settings (fsync off)`,
  ];
  process.stdout.write(out.join('\n') + '\n');
}
