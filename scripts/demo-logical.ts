// `npm run demo -- --route logical`: the logical route rehearsed on this machine on real data, from
// an RDS for PostgreSQL 14 source to a new, empty Aurora PostgreSQL 18 cluster, with a live
// application. scripts/demo.ts parses the arguments and owns the cleanups and the exit; this file is
// the story. The world (rehearsal/world/logical-world.ts): the AWS stand-in whose source instance
// orders-pg is a real PostgreSQL 14 server in the default parameter group (wal_level = replica),
// seeded with what real databases have (logical-data.ts), and the application's DNS name played by
// a forwarder. The application — a writer committing numbered rows (writer.ts) and traffic that
// INSERTs, UPDATEs and DELETEs orders (churn.ts) — goes through that name from before the first
// step to the end. The REAL CLI runs rehearsal/world/logical-demo-plan.yaml:
//   plan --preflight on a first draft without replicaIdentityFull (refused: audit_log has no key),
//   then on the plan; apply: enable-logical-replication (a real reboot into wal_level = logical,
//   the application sees the outage) → aurora-cluster (an empty PostgreSQL 18 server) →
//   logical-replica (roles, schema, publication, subscription, the copy, in sync) → exit 3 at the
//   gate; apply --approve gate: freeze-writes → logical-switchover (marker, sequences, views,
//   subscription off, roles) → verify-data → switch-endpoint → the replication's clean-up; status;
//   report. Then every acknowledged write is looked up on Aurora.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import type { CleanupStack } from '../rehearsal/world/cleanup-stack.js';
import { REPO_ROOT, stopChild } from '../rehearsal/world/cli-runner.js';
import { applicationLines, fmtAws, narratedCli, recordedOutputs } from '../rehearsal/world/demo-narration.js';
import { ensureBuilt } from '../rehearsal/world/ensure-built.js';
import { APP_NAME, SOURCE_INSTANCE } from '../rehearsal/world/rehearsal-world.js';
import {
  LOGICAL_TARGET_CLUSTER,
  startLogicalRehearsalWorld,
  type LogicalRehearsalWorld,
} from '../rehearsal/world/logical-world.js';
import { summarizeLogicalWorld } from '../rehearsal/world/logical-summary.js';
import { startWriter, type Ack, type WriterRun } from '../rehearsal/app/writer.js';
import { startChurn } from '../rehearsal/app/churn.js';
import { buildReport, type RehearsalReport } from '../rehearsal/app/report.js';

/**
 * The AWS clock's default speed on this route. Lower than the replica route's 240: the plan's
 * 5-minute cutover window must hold real SQL (the fence, the marker's trip, every sequence, the
 * views, verify-data's scans), which does not get faster with the clock — 5 min / 120 = 2.5 s.
 */
export const LOGICAL_DEFAULT_TIME_SCALE = 120;

export interface LogicalDemoOptions {
  timeScale: number;
  json: boolean;
  cleanup: CleanupStack;
  say(line?: string): void;
  heading(n: number, title: string): void;
  /** Where narration and the tool's output go (stderr with --json). */
  out: NodeJS.WritableStream;
  /** performance.now() when the demo started. */
  started: number;
}

export async function runLogicalDemo(o: LogicalDemoOptions): Promise<number> {
  const { say, heading, cleanup, timeScale } = o;
  say(
    `aurora-migrate rehearsal, the logical route: RDS for PostgreSQL 14 ${SOURCE_INSTANCE} → a new Aurora PostgreSQL 18 cluster ${LOGICAL_TARGET_CLUSTER}, on real data, with a live application.`,
  );
  say(
    `Everything runs on this machine; the AWS clock runs ${timeScale}x real time (1 s here = ${fmtAws(timeScale * 1000)} of AWS waiting).`,
  );
  ensureBuilt(say);

  heading(1, 'Set up the world');
  const world = await startLogicalRehearsalWorld({ timeScale, cleanup, say: (l) => say(l) });
  const rel = path.relative(REPO_ROOT, world.planFile);
  let child: ChildProcess | undefined;
  const outputs: string[] = [];
  const cli = async (args: string[], expect: number[], from?: RegExp) => {
    const r = await narratedCli(args, expect, { env: world.env, say, out: o.out, onChild: (c) => (child = c), from });
    outputs.push(r.stdout, r.stderr);
    return r;
  };
  const stateFlag = ['--state', world.statePath];

  heading(2, 'Start the application');
  // Two drivers that a read-only default cannot stop, one that it can: only the fence stops them all.
  const writer = await startWriter({
    connection: world.app,
    poolSize: 3,
    ratePerSecond: 300,
    mode: ['begin-read-write', 'session-read-write', 'autocommit'],
  });
  const churn = startChurn(world.app, { everyMs: 10 });
  let run: WriterRun | undefined;
  let churnStopped = false;
  // Registered after the servers so it runs before they stop; the CLI's cleanup runs first of all.
  cleanup.add('stop the application', async () => {
    if (!run) await writer.stop();
    if (!churnStopped) await churn.stop();
  });
  cleanup.add('stop the CLI', () => (child ? stopChild(child) : undefined));
  await writer.waitForAcks(100);
  say(
    `  a writer commits numbered rows into orders.app_writes through ${APP_NAME} (${world.forwarder.host}:${world.forwarder.port}),`,
  );
  say(
    `  as role ${world.app.user} with its password, ~300 per second on 3 connections, two of whose drivers open every transaction READ WRITE;`,
  );
  say(
    '  it counts only the commits it saw acknowledged. Beside it, the same application INSERTs, UPDATEs and DELETEs orders and',
  );
  say(
    '  UPDATEs the partitioned events, through the same name. Both run until the end, across the reboot and the cutover.',
  );

  heading(3, 'Review the plan (what a pull request shows)');
  say(
    `The demo runs ${rel}: plans/logical-upgrade.yaml with the source's address and port from SOURCE_HOST and SOURCE_PORT`,
  );
  say('and an Aurora 18 cluster (the rehearsal starts new clusters on PostgreSQL 18).');
  await cli(['plan', rel, ...stateFlag], [0]);

  heading(4, 'Preflight: read-only checks against the production source');
  const draft = path.join(world.workDir, 'first-draft.yaml');
  const text = readFileSync(world.planFile, 'utf8');
  const withoutOptIn = text.replace(/^ {4}replicaIdentityFull: .*\n/m, '');
  if (withoutOptIn === text) throw new Error(`${rel} has no replicaIdentityFull line for the first draft to leave out`);
  writeFileSync(draft, withoutOptIn);
  say(
    'A first draft of the plan without replicaIdentityFull: audit_log has no primary key, and once it is in a publication every',
  );
  say(
    'UPDATE and DELETE on it FAILS ON PRODUCTION. Preflight refuses it, by name, before anything is created (exit 2):',
  );
  await cli(['plan', draft, ...stateFlag, '--preflight'], [2], /^\s*│ Preflight:/);
  say(
    '\nThe plan opts in: `replicaIdentityFull: [public.audit_log]` (ALTER TABLE … REPLICA IDENTITY FULL on the source, shown in the',
  );
  say('dry-run). Preflight again, on the plan itself:');
  await cli(['plan', rel, ...stateFlag, '--preflight'], [0], /^\s*│ Preflight:/);

  heading(5, 'Apply: logical replication on, the new cluster, the copy, then the approval gate');
  say(
    'enable-logical-replication: a custom parameter group with rds.logical_replication = 1, then a REAL reboot of the PostgreSQL 14',
  );
  say(
    'server into wal_level = logical (the application loses its connections and retries). aurora-cluster: a new, empty',
  );
  say(
    "PostgreSQL 18 server. logical-replica: roles (the application's password from APP_PASSWORD), schema with every key before",
  );
  say(
    'the copy, publication, subscription, per-table copy, the rest of the schema, until the slot lag stays under 16 MiB; then',
  );
  say(
    "the run stops at the cutover approval: exit code 3. The DDL guard's event triggers (DDL is not replicated) are installed as",
  );
  say(
    "the source's superuser postgres (ddlGuardConnection): on RDS the master user may, on stock PostgreSQL only a superuser.",
  );
  const applyStarted = Date.now();
  const errorsBefore = { ...writer.errors };
  await cli(['apply', rel, ...stateFlag], [3]);
  const gateReached = Date.now();
  const cut = writer.errors.terminated - errorsBefore.terminated;
  const refused = writer.errors.refused - errorsBefore.refused;
  say(
    `   application: ${writer.acknowledged} writes acknowledged so far; ${churn.counts.insert} inserts, ${churn.counts.update} updates, ${churn.counts.delete} deletes of orders;`,
  );
  say(
    `   the reboot ended ${cut} of the writer's sessions and refused ${refused} reconnect(s) while the server restarted; it retried and went on`,
  );

  heading(6, 'Approve the gate: the cutover runs while the application keeps writing');
  say(
    `freeze-writes waits until the slot has caught up again, then fences database orders: CONNECT is taken from every role but the`,
  );
  say(
    `plan's own users (${world.master.user}, as whom the subscription also streams, and postgres for the clean-up), read back, and the`,
  );
  say("application's sessions are ended: it retries, and after the switch its new connections reach Aurora.");
  say(
    'logical-switchover writes a marker on the frozen source and waits until Aurora has it AND the slot confirms it, copies every',
  );
  say(
    'sequence (is_called too), refreshes the materialized view, disables the subscription and checks that every role that could',
  );
  say(
    `connect to the source can log in to Aurora. verify-data compares the tables, switch-endpoint points ${APP_NAME} at Aurora`,
  );
  say(
    '(the point of no return). Because the plan has a reverse-replication step, the switchover also created a reverse publication',
  );
  say(
    'and slot on Aurora before the switch: reverse-replication then drops the forward subscription (and its slot on the old source)',
  );
  say(
    'and subscribes the old source to that slot, so every write the application makes on Aurora reaches the old source too and a',
  );
  say(
    'fallback (plans/logical-fallback.yaml) loses nothing. drop-replication removes the forward publication and the DDL guard.',
  );
  // Two stand-ins of what RDS grants: the new cluster's master user may create the reverse slot (on
  // Aurora, rds_superuser includes rds_replication; stock PostgreSQL has the REPLICATION attribute
  // instead), and the reverse subscription on the 14 source connects as its superuser `postgres`
  // (the plan says so: CREATE SUBSCRIPTION before 16 needs a superuser; on RDS rds_superuser may).
  const aurora = world.targetServer();
  if (!aurora) throw new Error('the Aurora cluster has no server after the gate');
  await aurora.query('ALTER ROLE postgres REPLICATION');
  say(
    "(The rehearsal's stand-ins: ALTER ROLE postgres REPLICATION on Aurora for its rds_replication, and the old source's superuser",
  );
  say('for the reverse subscription, because stock PostgreSQL 14 lets only a superuser create one.)');
  const approvedAt = Date.now();
  const churnBefore = { ...churn.counts };
  await cli(['apply', rel, ...stateFlag, '--approve', 'gate'], [0]);
  await writer.waitForAcks(300);
  run = await writer.stop();
  await churn.stop();
  churnStopped = true;
  say(
    `   application: ${run.acks.filter((a) => a.at >= approvedAt).length} writes acknowledged since the approval, the last ones on Aurora;`,
  );
  say(
    `   ${churn.counts.insert - churnBefore.insert} more inserts, ${churn.counts.update - churnBefore.update} updates, ${churn.counts.delete - churnBefore.delete} deletes of orders`,
  );

  heading(7, 'Status: what the state file says');
  await cli(['status', rel, ...stateFlag], [0]);

  heading(8, 'The run report: the story of the run for the change board');
  const reportFile = path.join(REPO_ROOT, '.aurora-migrate', 'demo-logical-report.html');
  await cli(['report', rel, ...stateFlag, '--output', reportFile], [0]);

  heading(9, 'Check the result independently');
  const texts = [...outputs, readFileSync(world.statePath, 'utf8'), readFileSync(world.eventLogPath, 'utf8')];
  const duplicateKeyErrors = churn.errors.filter((e) => /duplicate key/i.test(e)).length;
  const summary = await summarizeLogicalWorld(world, { texts, duplicateKeyErrors });
  for (const line of summary.lines) say(`   ${line}`);
  const target = world.target();
  if (!target) throw new Error(`the new cluster ${LOGICAL_TARGET_CLUSTER} has no running server`);
  const report = await buildReport({ run, target: { ...target, password: undefined }, route: world.forwarder.route });
  const reboot = longestGapWithin(run.acks, applyStarted, gateReached);
  const cutover = longestGapWithin(run.acks, approvedAt, run.stoppedAt);
  const appOk = report.lostWrites === 0 && report.acknowledgedWrites > 0;
  for (const line of reportLines(world, report, cutover, reboot)) say(`   ${line}`);
  say(`\nFiles: state ${world.statePath}\n       events ${world.eventLogPath} (removed with the temp folder at exit)`);
  say(`       report ${reportFile} (kept: open it in a browser, or print it to PDF)`);
  const ok = summary.ok && appOk;
  const seconds = (performance.now() - o.started) / 1000;
  if (o.json) {
    process.stdout.write(
      JSON.stringify({
        version: 1,
        ok,
        route: 'logical',
        migration: 'logical-replication',
        sourceVersion: summary.sourceVersion,
        targetVersion: summary.targetVersion,
        acknowledgedWrites: report.acknowledgedWrites,
        foundOnTarget: report.foundOnTarget,
        lostWrites: report.lostWrites,
        lostSeqs: report.lostSeqs,
        unacknowledgedOnTarget: report.unacknowledgedOnTarget,
        writeDowntimeSeconds: cutover.seconds,
        downtimeFrom: cutover.from,
        rebootOutageSeconds: reboot.seconds,
        rebootSeenByWriter: { terminated: cut, refused },
        cutover: cutoverTimings(world.statePath),
        applicationTraffic: { ...churn.counts, errors: churn.errors.length, duplicateKeyErrors },
        reportFile,
        applicationRoute: report.route,
        source: { instance: SOURCE_INSTANCE, endpoint: world.source.address, port: world.source.port },
        target: { cluster: LOGICAL_TARGET_CLUSTER, endpoint: target.host, port: target.port },
        writerErrors: report.writerErrors,
        checks: summary.checks,
        timeScale,
        durationSeconds: Math.round(seconds * 10) / 10,
      }) + '\n',
    );
  }
  if (!ok) throw new Error('the rehearsal finished but the checks above did not hold');
  say(`\nDone in ${seconds.toFixed(1)} s. Cleaning up…`);
  return 0;
}

/**
 * The longest gap between acknowledged writes that overlaps [from, to] (ms): the reboot's outage
 * while the first apply runs, the cutover's write downtime after the approval. The replica demo
 * takes the longest gap of the whole run; here the reboot is a second outage the application sees.
 */
export function longestGapWithin(acks: Ack[], from: number, to: number): { seconds: number; from?: string } {
  const times = acks.map((a) => a.at).sort((a, b) => a - b);
  let best = 0;
  let start: number | undefined;
  for (let i = 1; i < times.length; i++) {
    if (times[i]! < from || times[i - 1]! > to) continue;
    const gap = times[i]! - times[i - 1]!;
    if (gap > best) [best, start] = [gap, times[i - 1]];
  }
  return { seconds: Math.round(best) / 1000, from: start === undefined ? undefined : new Date(start).toISOString() };
}

function reportLines(
  world: LogicalRehearsalWorld,
  r: RehearsalReport,
  cutover: { seconds: number; from?: string },
  reboot: { seconds: number },
): string[] {
  const names = new Map([
    [world.source.address, `${world.source.address} (${SOURCE_INSTANCE}, PostgreSQL ${world.source.version})`],
  ]);
  const target = world.targetServer();
  if (target) names.set(target.address, `${target.address} (${LOGICAL_TARGET_CLUSTER}, PostgreSQL ${target.version})`);
  const mark = (ok: boolean) => (ok ? '✔' : '✘');
  return [
    `${mark(r.lostWrites === 0)} every acknowledged write is on Aurora: ${r.acknowledgedWrites} acknowledged, ${r.foundOnTarget} found on ${LOGICAL_TARGET_CLUSTER}, ` +
      `${r.lostWrites} lost${r.lostWrites ? ` (seqs ${r.lostSeqs.join(', ')}…)` : ''}`,
    `  write downtime of the cutover seen by the application: ${cutover.seconds.toFixed(1)} s (the longest gap between acknowledged writes after the approval${cutover.from ? `, from ${cutover.from}` : ''})`,
    `  the reboot into wal_level = logical, earlier: ${reboot.seconds.toFixed(1)} s without an acknowledged write`,
    ...applicationLines(r, names, 'Aurora'),
  ];
}

/** The route's timings as the tool recorded them (the steps' outputs in the state file). */
function cutoverTimings(statePath: string): Record<string, unknown> {
  const o = recordedOutputs(statePath);
  return {
    rebootedAt: o('logical-source').rebootedAt,
    syncedAt: o('replicate').syncedAt,
    frozenAt: o('freeze').frozenAt,
    caughtUpAt: o('switchover').caughtUpAt,
    sequencesCopied: o('switchover').sequencesCopied,
    switchedOverAt: o('switchover').switchedOverAt,
    checkedAt: o('check').checkedAt,
    switchedAt: o('switch').switchedAt,
    writeDowntime: o('switch').writeDowntime,
  };
}
