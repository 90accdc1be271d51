// Benchmark: the logical route's initial copy — the logical-replica step as it really runs
// (preflight, roles, pre-data with each table's primary key before the copy, publication,
// subscription, the table-sync workers' copy, the rest of post-data) from a real PostgreSQL 14 source
// to a real PostgreSQL 18 target — against what a user with downtime would run on the same machine:
//   (a) `pg_dump -Fc | pg_restore` of the same schema, one pipe (custom format through a pipe, so
//       pg_restore runs one job: -j needs a seekable file), into a new database on the target;
//   (b) a bare `psql -c 'COPY t TO STDOUT' | psql -c 'COPY t FROM STDIN'` per table, one table after
//       the other, into tables that already exist without any index (the data movement alone).
//
//   npm run bench:logical-copy                                   # 1,000,000 rows, 3 rounds
//   npm run bench:logical-copy -- --rows 100000 --runs 1         # a quick look
//   npm run bench:logical-copy -- --poll-every 1s --sync-workers 4
//
// Each round runs the three alternately on the same two servers (rehearsal settings: fsync off on
// both) and resets the target in between. The step runs in-process at time scale 1 through the step
// context the engine gives it (real pg_dump/psql, real connections as the RDS-like master users;
// the baselines as the harness superuser). The step's time "end to end" is from its start to the end
// of post-data; the wait after that (slot lag within maxLag for stableFor) is shown apart because it
// is a hold the plan chooses, not copying. Goal (issue 20): the step ≥ 0.9× pg_dump|pg_restore.
import { spawn } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import type { AwsApi } from '../src/aws/api.js';
import type { ResolvedConnection } from '../src/db/api.js';
import { createPgConnector } from '../src/db/pg-connector.js';
import { createStepContext, memoryCheckpoint, type StepEvent } from '../src/engine/step-context.js';
import type { LogicalReplicaSpec } from '../src/plan/types.js';
import { nodeRunner } from '../src/steps/commands.js';
import { runLogicalReplica } from '../src/steps/logical-replica/run.js';
import { median, startBenchLogicalWorld, totalRows, type BenchLogicalWorld } from './logical-world.js';

const GOAL = 0.9;

const { values: args } = parseArgs({
  options: {
    rows: { type: 'string', default: process.env.BENCH_ROWS ?? '1000000' },
    runs: { type: 'string', default: process.env.BENCH_RUNS ?? '3' },
    'poll-every': { type: 'string', default: '5s' },
    'sync-workers': { type: 'string', default: '2' },
  },
});
const ROWS = Number(args.rows);
const RUNS = Number(args.runs);
const POLL = args['poll-every']!;
const SYNC_WORKERS = Number(args['sync-workers']);
if (!(ROWS >= 100) || !(RUNS >= 1) || !/^\d+(ms|s|m)$/.test(POLL) || !(SYNC_WORKERS >= 1)) {
  process.stderr.write(
    'usage: npm run bench:logical-copy -- [--rows 1000000] [--runs 3] [--poll-every 5s] [--sync-workers 2]  (or BENCH_ROWS, BENCH_RUNS)\n',
  );
  process.exit(1);
}

/** One run of the step, split into its phases (ms). */
interface StepRun {
  total: number;
  /** Start → end of post-data: the initial copy end to end. */
  copy: number;
  phases: Record<Phase, number>;
}
type Phase = 'preflight' | 'roles' | 'schema' | 'subscribe' | 'tablesync' | 'noticed' | 'postData' | 'lagHold';
const PHASES: Array<[Phase, string]> = [
  ['preflight', 'preflight again, inventory, marker table, DDL guard'],
  ['roles', 'roles (pg_dumpall --roles-only → psql)'],
  ['schema', 'pre-data + primary keys (pg_dump pre-data and post-data → psql ×2)'],
  ['subscribe', 'publication + CREATE SUBSCRIPTION'],
  ['tablesync', 'table-sync copy until every table is ready (observed every 50 ms)'],
  ['noticed', 'the step noticing it (its readiness check, every 250 ms between pollEvery observations)'],
  ['postData', 'rest of post-data (indexes, foreign keys) + matview refresh'],
  ['lagHold', 'slot lag within maxLag for stableFor (not counted as copy)'],
];

const noAws: AwsApi = { send: () => Promise.reject(new Error('no AWS in this benchmark')) };
// The default application_name (aurora-migrate…): the DDL guard ignores the tool's own sessions by it.
const db = createPgConnector();
const conn = (c: ResolvedConnection) => ({
  host: c.host,
  port: c.port,
  database: c.database,
  user: c.user,
  ...(c.password ? { password: c.password } : {}),
});

async function runStep(w: BenchLogicalWorld, round: number): Promise<StepRun> {
  const marks = new Map<string, number>();
  const mark = (k: string) => marks.has(k) || marks.set(k, performance.now());
  const spec = {
    id: 'replicate',
    type: 'logical-replica',
    source: conn(w.sourceMaster),
    target: conn(w.targetMaster),
    ddlGuardConnection: conn({ ...w.source.admin, database: 'orders' }),
    schemas: ['public'],
    rolePasswords: { app: 'app-on-target' },
    maxLag: '16MiB',
    stableFor: POLL,
    pollEvery: POLL,
    timeout: '2h',
  } as unknown as LogicalReplicaSpec;
  const onEvent = (e: StepEvent) => {
    if (e.type === 'progress' && e.detail.startsWith('copying roles')) mark('rolesStart');
    if (e.type === 'step-event') mark(e.name);
    if (e.type === 'warning') process.stderr.write(`  warning: ${e.message}\n`);
  };
  const ctx = {
    ...createStepContext({
      planName: `bench${round}`,
      stepId: 'replicate',
      attempt: 1,
      runId: `bench-${round}`,
      aws: noAws,
      db,
      clock: { now: () => Date.now() },
      timeScale: 1,
      signal: new AbortController().signal,
      checkpoint: memoryCheckpoint() as never,
      onEvent,
    }),
    commands: nodeRunner,
  };
  // When every table is really ready on the target (the step itself looks every pollEvery).
  let stop = false;
  const sampler = (async () => {
    const admin = { ...w.target.admin, database: 'orders' };
    while (!stop) {
      if (marks.has('subscription-created') && !marks.has('allReady')) {
        const rows = await w.target
          .query<{ n: number; r: number }>(
            `SELECT count(*)::int AS n, count(*) FILTER (WHERE srsubstate = 'r')::int AS r FROM pg_subscription_rel`,
            [],
            admin.database,
          )
          .catch(() => []);
        // The marker table is published too: ready when every listed table is.
        if (rows[0] && rows[0].n > 0 && rows[0].n === rows[0].r) mark('allReady');
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  const t0 = performance.now();
  try {
    await runLogicalReplica(spec, ctx);
  } finally {
    stop = true;
    await sampler;
  }
  const end = performance.now();
  const at = (k: string) => {
    const v = marks.get(k);
    if (v === undefined) throw new Error(`step run ${round}: no "${k}" mark`);
    return v;
  };
  const ready = Math.min(at('allReady'), at('copy-done'));
  const phases: Record<Phase, number> = {
    preflight: at('rolesStart') - t0,
    roles: at('roles-copied') - at('rolesStart'),
    schema: at('schema-copied') - at('roles-copied'),
    subscribe: at('subscription-created') - at('schema-copied'),
    tablesync: ready - at('subscription-created'),
    noticed: at('copy-done') - ready,
    postData: at('post-data-done') - at('copy-done'),
    lagHold: end - at('post-data-done'),
  };
  return { total: end - t0, copy: at('post-data-done') - t0, phases };
}

/** Drops what the step made, so the next round copies into an empty target again. */
async function resetStep(w: BenchLogicalWorld, round: number): Promise<void> {
  const name = `aurora_migrate_bench${round}_replicate`;
  await w.target.query(`ALTER SUBSCRIPTION ${name} DISABLE`, [], 'orders');
  await w.target.query(`ALTER SUBSCRIPTION ${name} SET (slot_name = NONE)`, [], 'orders');
  await w.target.query(`DROP SUBSCRIPTION ${name}`, [], 'orders');
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
  await w.source.query(`DROP PUBLICATION ${name}`, [], 'orders');
  await w.source.query('DROP EVENT TRIGGER IF EXISTS aurora_migrate_ddl_guard', [], 'orders');
  await w.source.query('DROP EVENT TRIGGER IF EXISTS aurora_migrate_ddl_guard_drop', [], 'orders');
  await w.source.query('DROP SCHEMA IF EXISTS aurora_migrate CASCADE', [], 'orders');
}

/** A shell pipeline (bash, pipefail) with libpq's variables for the harness superuser; rejects with stderr on failure. */
function sh(script: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-o', 'pipefail', '-c', script], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, PGUSER: 'postgres', PGOPTIONS: '' },
    });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.stdout.resume();
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(err) : reject(new Error(`exit ${code}: ${err.trim().slice(0, 800)}`)),
    );
  });
}
const at = (s: { address: string; port: number }, database: string) => `-h ${s.address} -p ${s.port} -d ${database}`;

async function runDumpRestore(w: BenchLogicalWorld): Promise<number> {
  const t0 = performance.now();
  await w.target.query('CREATE DATABASE restore_bench');
  // pg_dump -n public writes CREATE SCHEMA public: the new database's own would make it fail.
  await w.target.query('DROP SCHEMA public', [], 'restore_bench');
  await sh(
    `pg_dump -Fc -n public --no-publications --no-subscriptions ${at(w.source, 'orders')} | pg_restore --exit-on-error ${at(w.target, 'restore_bench')}`,
  );
  const ms = performance.now() - t0;
  await w.target.query('DROP DATABASE restore_bench WITH (FORCE)');
  return ms;
}

async function runBareCopy(w: BenchLogicalWorld): Promise<number> {
  await w.target.query('CREATE DATABASE copy_bench');
  await w.target.query('DROP SCHEMA public', [], 'copy_bench');
  // The tables without keys or indexes (untimed): only the data movement is measured.
  await sh(
    `pg_dump --schema-only --section=pre-data -n public ${at(w.source, 'orders')} | psql -X -q -v ON_ERROR_STOP=1 ${at(w.target, 'copy_bench')} >/dev/null`,
  );
  const t0 = performance.now();
  for (const table of Object.keys(w.rows)) {
    await sh(
      `psql -X -q ${at(w.source, 'orders')} -c 'COPY public.${table} TO STDOUT' | psql -X -q -v ON_ERROR_STOP=1 ${at(w.target, 'copy_bench')} -c 'COPY public.${table} FROM STDIN'`,
    );
  }
  const ms = performance.now() - t0;
  await w.target.query('DROP DATABASE copy_bench WITH (FORCE)');
  return ms;
}

async function main(): Promise<void> {
  process.stderr.write(`seeding ${ROWS.toLocaleString('en-US')} rows on PostgreSQL 14…\n`);
  const w = await startBenchLogicalWorld({
    rows: ROWS,
    targetSettings: {
      max_sync_workers_per_subscription: SYNC_WORKERS,
      max_logical_replication_workers: Math.max(4, SYNC_WORKERS + 2),
      max_worker_processes: Math.max(8, SYNC_WORKERS + 6),
    },
  });
  const rows = totalRows(w.rows);
  const steps: StepRun[] = [];
  const dumps: number[] = [];
  const copies: number[] = [];
  try {
    // The step of round 1 creates the application role on the target; pg_restore (as a user would,
    // after pg_dumpall --roles-only) then finds it there for its ALTER … OWNER TO.
    for (let round = 1; round <= RUNS; round++) {
      const s = await runStep(w, round);
      await resetStep(w, round);
      steps.push(s);
      const d = await runDumpRestore(w);
      dumps.push(d);
      const c = await runBareCopy(w);
      copies.push(c);
      process.stderr.write(
        `round ${round}/${RUNS}: logical-replica ${(s.copy / 1000).toFixed(1)}s (+${(s.phases.lagHold / 1000).toFixed(1)}s lag hold), pg_dump|pg_restore ${(d / 1000).toFixed(1)}s, bare COPY ${(c / 1000).toFixed(1)}s\n`,
      );
    }
    report(w, rows, steps, dumps, copies);
  } finally {
    await w.stop();
  }
}

function report(w: BenchLogicalWorld, rows: number, steps: StepRun[], dumps: number[], copies: number[]): void {
  const sec = (ms: number) => (ms / 1000).toFixed(2);
  const rps = (ms: number) => Math.round(rows / (ms / 1000)).toLocaleString('en-US');
  const step = median(steps.map((s) => s.copy));
  const dump = median(dumps);
  const copy = median(copies);
  // Per round: step throughput ÷ pg_dump|pg_restore throughput of the same round; the median of those.
  const vsDump = median(steps.map((s, i) => dumps[i]! / s.copy));
  const vsCopy = median(steps.map((s, i) => copies[i]! / s.copy));
  const out = [
    `initial copy of ${rows.toLocaleString('en-US')} rows (${Object.entries(w.rows)
      .map(([t, n]) => `${t} ${n.toLocaleString('en-US')}`)
      .join(', ')}), PostgreSQL ${w.source.version} → ${w.target.version}, median of ${steps.length} round(s)`,
    `logical-replica: pollEvery ${POLL}, stableFor ${POLL}; target max_sync_workers_per_subscription ${SYNC_WORKERS}`,
    '',
    '| method | median s | rows/s |',
    '|---|---|---|',
    `| logical-replica (pre-data → subscription copy → post-data) | ${sec(step)} | ${rps(step)} |`,
    `| pg_dump -Fc \\| pg_restore (one pipe, one job) | ${sec(dump)} | ${rps(dump)} |`,
    `| bare COPY TO STDOUT \\| COPY FROM STDIN (no indexes, table after table) | ${sec(copy)} | ${rps(copy)} |`,
    '',
    `ratio (rows/s of the step ÷ rows/s of the other, median over rounds): vs pg_dump|pg_restore ${vsDump.toFixed(2)}×, vs bare COPY ${vsCopy.toFixed(2)}×`,
    `goal: ≥ ${GOAL}× pg_dump|pg_restore end to end → ${vsDump >= GOAL ? 'MET' : 'NOT MET'}`,
    '',
    '| phase of the step | median s |',
    '|---|---|',
    ...PHASES.map(([k, label]) => `| ${label} | ${sec(median(steps.map((s) => s.phases[k])))} |`),
    '',
    `per round (s): step ${steps.map((s) => sec(s.copy)).join(', ')}; pg_dump|pg_restore ${dumps.map(sec).join(', ')}; bare COPY ${copies.map(sec).join(', ')}`,
    `machine: ${cpus()[0]?.model ?? 'unknown'}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, node ${process.version}; embedded PostgreSQL with rehearsal settings (fsync off)`,
  ];
  process.stdout.write(out.join('\n') + '\n');
}

main().catch((err) => {
  process.stderr.write(`bench:logical-copy failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
