// Benchmark: write downtime of the cutover in the rehearsal world, and how much of it is the tool's.
//
//   npm run bench:cutover                          # 5 runs, time scale 60, promotion 2m, DNS PENDING 30s
//   npm run bench:cutover -- --runs 3 --time-scale 60 --promotion 2m --dns-pending 30s
//   npm run bench:cutover -- --route logical       # the logical route: bench/cutover-logical.ts
//
// Each run applies, in-process through the engine and the production step registry, the plan
// aurora-read-replica → freeze-writes → promote (caught-up marker through replicaConnection) →
// switch-endpoint on the real-replication stand-in: the RDS source is a real PostgreSQL server, the
// replica a real streaming standby, promotion pg_promote(), Route 53 a stand-in whose change stays
// PENDING for --dns-pending. A writer commits on the source the whole time. The write downtime is
// freeze → DNS change INSYNC (switch-endpoint's writeDowntime). Split:
//   - AWS (simulated): the stand-in's promotion time and DNS PENDING time, as configured;
//   - the tool's own share: everything else — freeze + drain, marker written and seen on the replica,
//     sending the requests, and the polling slack between AWS being ready and the tool noticing.
// The stand-in's clock runs --time-scale times faster than real time and the tool divides its polls
// and sleeps by the same factor (AURORA_MIGRATE_TIME_SCALE), so every number is shown twice:
// "rehearsal s" (measured wall time here) and "at AWS speed s" (what it stands for against real AWS:
// simulated durations and polling slack × scale; SQL work — freeze, drain, marker — is real work
// here and counted as measured, so it is not scaled).
// Goal (issue 13): the tool adds at most 5 s to AWS's own promotion and DNS times.
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startAwsStandin, MINUTE } from '../rehearsal/aws/index.js';
import type { RealBacking } from '../rehearsal/aws/real-backing.js';
import { startWriter } from '../rehearsal/app/writer.js';
import { liftFenceAsAdmin, prepareRdsDatabase, type RdsDatabase } from '../rehearsal/postgres/rds-roles.js';
import type { PgServer } from '../rehearsal/postgres/cluster.js';
import type { DbConnector } from '../src/db/api.js';
import { createAwsApi } from '../src/aws/sdk-api.js';
import { createPgConnector } from '../src/db/pg-connector.js';
import { applyPlan } from '../src/engine/engine.js';
import { localRunStorage } from '../src/engine/run-storage.js';
import type { EngineEvent } from '../src/engine/events.js';
import { checkPlanText } from '../src/plan/load.js';
import { parseDuration } from '../src/plan/units.js';
import { steps } from '../src/steps/index.js';
import { THAW_PROGRESS } from '../src/steps/freeze-writes/thaw.js';

const GOAL_S = 5;
const SOURCE = 'orders-pg';
const ZONE = 'Z0123456789ABCDEFGHIJ';
const RECORD = 'orders-db.internal.example.com';

const { values: args } = parseArgs({
  options: {
    route: { type: 'string', default: 'replica' },
    runs: { type: 'string', default: '5' },
    // Replica route 60 (its figures keep SQL apart from the scaled waits); logical route 1 (nothing scaled).
    'time-scale': { type: 'string' },
    promotion: { type: 'string', default: '2m' },
    'dns-pending': { type: 'string', default: '30s' },
    'writer-rate': { type: 'string', default: '100' },
    // Logical route only: rows in the source database (copied before each run).
    rows: { type: 'string', default: '100000' },
  },
});
const LOGICAL = args.route === 'logical';
const RUNS = Number(args.runs);
const SCALE = Number(args['time-scale'] ?? (LOGICAL ? '1' : '60'));
const PROMOTION_PARSED = parseDuration(args.promotion!);
const DNS_PARSED = parseDuration(args['dns-pending']!);
const RATE = Number(args['writer-rate']);
const ROWS = Number(args.rows);
if (
  !['replica', 'logical'].includes(args.route!) ||
  !(RUNS >= 1) ||
  !(SCALE > 0) ||
  PROMOTION_PARSED === undefined ||
  DNS_PARSED === undefined ||
  !(RATE >= 0) ||
  !(ROWS >= 100)
) {
  process.stderr.write(
    'usage: npm run bench:cutover -- [--route replica|logical] [--runs N] [--time-scale N] [--promotion 2m] [--dns-pending 30s] [--writer-rate 100] [--rows 100000 (logical)]\n',
  );
  process.exit(1);
}
const PROMOTION_MS: number = PROMOTION_PARSED;
const DNS_MS: number = DNS_PARSED;

/** One run's split, all in real (rehearsal) milliseconds. */
interface Split {
  total: number;
  freezeDrain: number;
  marker: number;
  requests: number;
  promotionSim: number;
  /** The stand-in's pg_promote() after the simulated promotion time was up (real work of the "AWS" side). */
  pgPromote: number;
  promotionSlack: number;
  /** From the tool noticing the promotion to the promote step's end: making the target usable (real SQL). */
  thaw: number;
  dnsSim: number;
  dnsSlack: number;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'am-bench-cutover-'));
  const aws = await startAwsStandin({
    timeScale: SCALE,
    real: { sampleEveryMs: 0 },
    durations: { clusterCreating: MINUTE, clusterBackingUp: 0, instanceCreate: MINUTE, promote: PROMOTION_MS },
    route53ChangePendingMs: DNS_MS,
    seed: {
      instances: [{ id: SOURCE, real: true }],
      hostedZones: [{ id: ZONE, name: 'internal.example.com' }],
      records: [{ zoneId: ZONE, name: RECORD, type: 'CNAME', ttl: 5, values: ['orders-pg.standin.invalid'] }],
    },
  });
  const api = createAwsApi({ env: aws.env, maxAttempts: 3 });
  const db = createPgConnector();
  const source = aws.real!.server(SOURCE)!;
  const splits: Split[] = [];
  try {
    // As on RDS: the tool logs in as the master user, the application as its own role (both with passwords).
    const roles = await prepareRdsDatabase(source, 'orders');
    for (let run = 1; run <= RUNS; run++) {
      // The previous run left the source fenced (forward only after the point of no return): lift it.
      await liftFenceAsAdmin(source, ['orders']);
      const split = await oneRun(`bench-${run}`, api, db, source, aws.real!, dir, roles);
      splits.push(split);
      process.stderr.write(
        `run ${run}/${RUNS}: write downtime ${(split.total / 1000).toFixed(2)}s real (${(atAws(split).total).toFixed(1)}s at AWS speed)\n`,
      );
    }
  } finally {
    api.destroy();
    await aws.close();
    rmSync(dir, { recursive: true, force: true });
  }
  report(splits, pgVersion ?? '?');
}

let pgVersion: string | undefined;

async function oneRun(
  name: string,
  api: ReturnType<typeof createAwsApi>,
  db: DbConnector,
  source: PgServer,
  real: RealBacking,
  dir: string,
  roles: RdsDatabase,
): Promise<Split> {
  pgVersion ??= source.version;
  const text = `
version: 1
name: ${name}
steps:
  - id: replica
    type: aurora-read-replica
    source: ${SOURCE}
    cluster: ${name}
    instance: { class: db.r6g.large }
  - id: freeze
    type: freeze-writes
    connection: { host: ${source.address}, port: ${source.port}, database: postgres, user: master, password: "\${env.PGPASSWORD}" }
    databases: [orders]
    drainTimeout: 30s
    window: 5m
  - id: promote
    type: promote
    cluster: \${steps.replica.outputs.clusterId}
    replicaConnection: { host: "\${steps.replica.outputs.readerEndpoint}", port: "\${steps.replica.outputs.port}", database: orders, user: master, password: "\${env.PGPASSWORD}" }
  - id: switch
    type: switch-endpoint
    hostedZoneId: ${ZONE}
    record: ${RECORD}
    target: \${steps.promote.outputs.endpoint}
    ttl: 5s
`;
  const checked = checkPlanText(`plans/${name}.yaml`, text);
  if (!checked.ok) throw new Error(`bench plan invalid: ${JSON.stringify(checked.diagnostics)}`);
  const seen: Array<{ at: number; event: EngineEvent }> = [];
  // When the stand-in has really finished pg_promote() on the replica (its server's role flips): AWS ready.
  let promotedReal: number | undefined;
  const sampler = setInterval(() => {
    if (promotedReal === undefined && real.server(name)?.role === 'primary') promotedReal = Date.now();
  }, 2);
  const writer = await startWriter({
    connection: {
      host: source.address,
      port: source.port,
      database: 'orders',
      user: roles.app.user,
      password: roles.app.password,
    },
    ratePerSecond: RATE,
    mode: ['begin-read-write', 'autocommit'],
  });
  let result: Awaited<ReturnType<typeof applyPlan>>;
  try {
    result = await applyPlan(
      { plan: checked.plan, env: { PGPASSWORD: roles.master.password! } },
      {
        storage: localRunStorage(join(dir, `${name}.state.json`)),
        registry: steps,
        aws: api,
        db,
        timeScale: SCALE,
        lock: false,
        listeners: [(event) => seen.push({ at: Date.now(), event })],
      },
    );
  } finally {
    clearInterval(sampler);
    await writer.stop();
  }
  if (result.outcome !== 'succeeded')
    throw new Error(`run ${name} did not succeed: ${result.outcome} ${JSON.stringify(result.failed)}`);
  const out = (id: string) => result.steps.find((s) => s.id === id)!.outputs ?? {};
  const at = (pred: (e: EngineEvent) => boolean, what: string) => {
    const hit = seen.find((s) => pred(s.event));
    if (!hit) throw new Error(`run ${name}: no ${what} event`);
    return hit.at;
  };
  const ms = (iso: unknown) => Date.parse(String(iso));
  const frozenAt = ms(out('freeze').frozenAt);
  const freezeEnd = at((e) => e.type === 'step-end' && e.stepId === 'freeze', 'freeze step-end');
  const caughtUp = ms(out('promote').caughtUpAt);
  const promoteSent = at(
    (e) => e.type === 'aws-call' && e.operation === 'PromoteReadReplicaDBCluster',
    'PromoteReadReplicaDBCluster',
  );
  const promoteEnd = at((e) => e.type === 'step-end' && e.stepId === 'promote', 'promote step-end');
  // The tool noticed the promotion when it starts making the target usable (real SQL from there on).
  const thawStart = at(
    (e) => e.type === 'progress' && e.stepId === 'promote' && e.detail.startsWith(THAW_PROGRESS),
    'thaw progress',
  );
  const changeSent = at(
    (e) => e.type === 'aws-call' && e.operation === 'ChangeResourceRecordSets',
    'ChangeResourceRecordSets',
  );
  const insync = ms(out('switch').switchedAt);
  const promotionSim = PROMOTION_MS / SCALE;
  const dnsSim = DNS_MS / SCALE;
  if (promotedReal === undefined) throw new Error(`run ${name}: the replica's promotion was not observed`);
  return {
    total: insync - frozenAt,
    freezeDrain: freezeEnd - frozenAt,
    marker: caughtUp - freezeEnd,
    // From the replica caught up to the promotion sent, and from the promotion done to the DNS change sent.
    requests: promoteSent - caughtUp + (changeSent - promoteEnd),
    promotionSim,
    pgPromote: promotedReal - promoteSent - promotionSim,
    promotionSlack: thawStart - promotedReal,
    thaw: promoteEnd - thawStart,
    dnsSim,
    dnsSlack: insync - changeSent - dnsSim,
  };
}

/** Real milliseconds → seconds at AWS speed: simulated durations and polling slack × scale; SQL work as measured. */
function atAws(s: Split) {
  const sec = (ms: number) => ms / 1000;
  const r = {
    freezeDrain: sec(s.freezeDrain),
    marker: sec(s.marker),
    requests: sec(s.requests),
    promotionSim: sec(s.promotionSim * SCALE),
    pgPromote: sec(s.pgPromote),
    promotionSlack: sec(s.promotionSlack * SCALE),
    thaw: sec(s.thaw),
    dnsSim: sec(s.dnsSim * SCALE),
    dnsSlack: sec(s.dnsSlack * SCALE),
  };
  const tool = r.freezeDrain + r.marker + r.requests + r.promotionSlack + r.thaw + r.dnsSlack;
  return { ...r, tool, total: tool + r.promotionSim + r.pgPromote + r.dnsSim };
}

function report(splits: Split[], pgv: string): void {
  const rows: Array<[string, keyof Split | 'tool', 'tool' | 'aws' | 'total']> = [
    ['freeze + drain (ALTER DATABASE, terminate, no write transaction left)', 'freezeDrain', 'tool'],
    ['caught-up marker (written on the source, seen on the replica)', 'marker', 'tool'],
    ['sending the requests (promotion, DNS change)', 'requests', 'tool'],
    ['promotion polling slack (replica promoted → tool noticed)', 'promotionSlack', 'tool'],
    ['making the target usable (setting, CONNECT privileges, the fence record; real SQL, not scaled)', 'thaw', 'tool'],
    ['DNS polling slack (INSYNC → tool noticed)', 'dnsSlack', 'tool'],
    ['AWS promotion time (simulated, as configured)', 'promotionSim', 'aws'],
    ['stand-in pg_promote() after that time (measured, not scaled)', 'pgPromote', 'aws'],
    ['Route 53 PENDING time (simulated, as configured)', 'dnsSim', 'aws'],
  ];
  const realMed = (k: keyof Split) => median(splits.map((s) => s[k])) / 1000;
  const awsRuns = splits.map(atAws);
  const awsMed = (k: keyof ReturnType<typeof atAws>) => median(awsRuns.map((a) => a[k]));
  const toolReal =
    median(splits.map((s) => s.freezeDrain + s.marker + s.requests + s.promotionSlack + s.thaw + s.dnsSlack)) / 1000;
  const line = (label: string, real: number, aws: number, who: string) =>
    `| ${label} | ${who} | ${real.toFixed(2)} | ${aws.toFixed(1)} |`;
  const out = [
    `cutover write downtime (freeze → DNS change INSYNC), median of ${splits.length} runs; time scale ${SCALE} (rehearsal s × ${SCALE} = AWS-clock s for simulated durations and polls)`,
    `simulated AWS: promotion ${PROMOTION_MS / 1000}s, Route 53 PENDING ${DNS_MS / 1000}s; writer ${RATE} commits/s on the source`,
    '',
    '| part | share | rehearsal s (measured) | at AWS speed s |',
    '|---|---|---|---|',
    ...rows.map(([label, k, who]) =>
      line(
        label,
        realMed(k as keyof Split),
        awsMed(k as keyof ReturnType<typeof atAws>),
        who === 'tool' ? "tool's own" : 'AWS (simulated)',
      ),
    ),
    line("**tool's own share**", toolReal, awsMed('tool'), 'tool'),
    line('**write downtime**', realMed('total'), awsMed('total'), 'total'),
    '',
    `per run at AWS speed (s): ${awsRuns.map((a) => `${a.total.toFixed(1)} (tool ${a.tool.toFixed(1)})`).join(', ')}`,
    `goal: the tool adds at most ${GOAL_S}s to AWS's own promotion and DNS times → ${awsMed('tool') <= GOAL_S ? 'HOLDS' : 'NOT MET'} (median tool share ${awsMed('tool').toFixed(1)}s at AWS speed; ${toolReal.toFixed(2)}s measured in the rehearsal)`,
    `machine: ${cpus()[0]?.model ?? 'unknown'}, ${cpus().length} cores, node ${process.version}, PostgreSQL ${pgv} (embedded, rehearsal settings)`,
  ];
  process.stdout.write(out.join('\n') + '\n');
}

const bench = LOGICAL
  ? import('./cutover-logical.js').then((m) =>
      m.runLogicalCutoverBench({
        runs: RUNS,
        timeScale: SCALE,
        dnsPendingMs: DNS_PARSED!,
        writerRate: RATE,
        rows: ROWS,
      }),
    )
  : main();
bench.catch((err) => {
  process.stderr.write(`bench:cutover failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
