// `npm run demo`: a whole RDS-for-PostgreSQL → Aurora migration rehearsed on this machine on real
// data, in well under a minute. The RDS source is a real PostgreSQL server seeded with a shop's
// tables; an application (rehearsal/app/writer.ts) commits numbered writes through its DNS name
// (a Route 53 CNAME in the AWS stand-in, played by a local forwarder) from before the replica
// exists until the end; the REAL CLI (node bin/aurora-migrate.js, a child process that only sees
// environment variables) runs rehearsal/world/demo-plan.yaml: plan, apply (a real streaming
// replica, lag watched on metrics read from the servers, exit 3 at the approval gate), apply
// --approve gate (the cutover: freeze-writes on the source, the marker seen on the replica,
// pg_promote(), verify-data, switch-endpoint moves the CNAME; then the S3 backfill into the promoted
// cluster), status, report (the run as one HTML page, kept in .aurora-migrate/demo-report.html). The
// application is never stopped by hand: two of its three connections open every transaction READ
// WRITE (as many drivers do), so only the fence stops it — it cannot connect while the source is
// fenced, retries, and after the switch its new connections reach the promoted cluster. At the end
// every acknowledged write is looked up on the target. Everything it starts is stopped and every temp
// folder removed, also on Ctrl-C.
//
//   npm run demo                        # text; default time scale 240 (1 s real = 4 min AWS)
//   npm run demo -- --json              # one JSON document on stdout (narration on stderr)
//   DEMO_TIME_SCALE=60 npm run demo     # slower, easier to watch
//   npm run demo -- --route logical     # the logical route instead: PostgreSQL 14 → Aurora 18 (demo-logical.ts)
//
// `--route replica` (the default) is the route described above.
//
// The scale is bounded above by real work: the plan's 5-minute cutover window is 5 min / scale of
// real time, and the freeze, the marker's trip through real replication and the promotion request
// take a few hundred real milliseconds. At 1200 the window (250 ms) closes first and the cutover
// rolls back, exactly as it would if AWS were that slow.
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { createCleanupStack, cleanupOnSignals } from '../rehearsal/world/cleanup-stack.js';
import { REPO_ROOT, runCli, stopChild, type CliRunResult } from '../rehearsal/world/cli-runner.js';
import {
  TOOL_PREFIX,
  applicationLines,
  fmtAws,
  recordedOutputs,
  shellQuote,
} from '../rehearsal/world/demo-narration.js';
import { ensureBuilt } from '../rehearsal/world/ensure-built.js';
import {
  APP_NAME,
  TARGET_CLUSTER,
  startRehearsalWorld,
  type RehearsalWorld,
} from '../rehearsal/world/rehearsal-world.js';
import { summarizeWorld } from '../rehearsal/world/world-summary.js';
import { startWriter, type Writer, type WriterRun } from '../rehearsal/app/writer.js';
import { buildReport, mergeRuns, type RehearsalReport } from '../rehearsal/app/report.js';
import { runLogicalDemo, LOGICAL_DEFAULT_TIME_SCALE } from './demo-logical.js';

// The SDK clients of the rehearsal (forwarder, Route 53 change) stay as quiet as the CLI's: the lock file pins the SDK.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const args = process.argv.slice(2);
const json = args.includes('--json');
const ROUTES = ['replica', 'logical'] as const;
type DemoRoute = (typeof ROUTES)[number];
/** `--route NAME` or `--route=NAME`; the replica route by default. */
function parseRoute(): { route?: DemoRoute; unknown: string[] } {
  let route: string = 'replica';
  const unknown: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--json') continue;
    if (a === '--route' || a.startsWith('--route=')) {
      const value = a === '--route' ? args[++i] : a.slice('--route='.length);
      if (!value) return { unknown: ['--route without a route name'] };
      route = value;
    } else unknown.push(`unknown argument ${a}`);
  }
  if (!(ROUTES as readonly string[]).includes(route))
    return { unknown: [`unknown route ${JSON.stringify(route)} (the demo rehearses ${ROUTES.join(' or ')})`] };
  return { route: route as DemoRoute, unknown };
}
const { route, unknown } = parseRoute();
// With --json, stdout carries exactly one JSON document; everything else goes to stderr.
const out = json ? process.stderr : process.stdout;
// `npm run demo | head` closes stdout early: carry on quietly so the cleanups still run.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
  });
}
const say = (line = '') => out.write(line + '\n');
const heading = (n: number, title: string) => say(`\n━━ ${n}. ${title}`);

async function main(): Promise<number> {
  if (!route || unknown.length > 0) {
    process.stderr.write(
      `demo: ${unknown[0]}\nusage: npm run demo [-- [--route replica|logical] [--json]]   (DEMO_TIME_SCALE=N sets the AWS clock speed)\n`,
    );
    return 1;
  }
  const timeScale = Number(process.env.DEMO_TIME_SCALE ?? (route === 'logical' ? LOGICAL_DEFAULT_TIME_SCALE : 240));
  if (!(timeScale > 0)) {
    process.stderr.write(`demo: DEMO_TIME_SCALE must be a positive number, got ${process.env.DEMO_TIME_SCALE}\n`);
    return 1;
  }
  const cleanup = createCleanupStack();
  let child: ChildProcess | undefined;
  let interrupted: NodeJS.Signals | undefined;
  const removeSignals = cleanupOnSignals(cleanup, (signal) => {
    interrupted = signal;
    say(`\n${signal}: stopping the CLI and the servers (and the application), removing temp folders…`);
  });
  const started = performance.now();
  try {
    if (route === 'logical') {
      return await runLogicalDemo({ timeScale, json, cleanup, say, heading, out, started });
    }
    say(
      'aurora-migrate rehearsal: RDS for PostgreSQL orders-pg → Aurora PostgreSQL orders-aurora on real data, with a live application.',
    );
    say(
      `Everything runs on this machine; the AWS clock runs ${timeScale}x real time (1 s here = ${fmtAws(timeScale * 1000)} of AWS waiting).`,
    );
    ensureBuilt(say);

    heading(1, 'Set up the world');
    const world = await startRehearsalWorld({ timeScale, cleanup, say: (l) => say(l) });
    const rel = path.relative(REPO_ROOT, world.planFile);
    const cli = async (cliArgs: string[], expect: number[]): Promise<CliRunResult> => {
      say(`\n$ aurora-migrate ${cliArgs.map(shellQuote).join(' ')}`);
      const result = await runCli(cliArgs, {
        env: world.env,
        stream: { prefix: TOOL_PREFIX, out },
        onSpawn: (c) => (child = c),
      });
      child = undefined;
      const how = result.code === null ? `killed by ${result.signal}` : `exit code ${result.code}`;
      say(`   └ ${how} after ${(result.durationMs / 1000).toFixed(1)} s`);
      if (result.code === null || !expect.includes(result.code)) {
        throw new Error(`aurora-migrate ${cliArgs[0]} ended with ${how}; expected exit ${expect.join(' or ')}`);
      }
      return result;
    };
    const stateFlag = ['--state', world.statePath];

    heading(2, 'Start the application');
    const runs: WriterRun[] = [];
    let writer: Writer | undefined = await startApp(world);
    // Registered after the servers so it runs before they stop; the CLI's cleanup runs first of all.
    cleanup.add('stop the application', async () => {
      if (writer) runs.push(await writer.stop());
    });
    cleanup.add('stop the CLI', () => (child ? stopChild(child) : undefined));
    await writer.waitForAcks(100);
    say(
      `  a writer commits numbered rows into ${world.app.database}.app_writes through ${APP_NAME} (${world.forwarder.host}:${world.forwarder.port}),`,
    );
    say(
      `  as role ${world.app.user} with its password, ~300 per second on a pool of 3 connections, two of whose drivers open every`,
    );
    say('  transaction READ WRITE; it counts only the commits it saw acknowledged and runs until the end.');

    heading(3, 'Review the plan (what a pull request shows)');
    say(
      `The demo runs ${rel}: plans/replica-with-backfill.yaml with the source's address and port from SOURCE_HOST and`,
    );
    say('SOURCE_PORT, because every server of the rehearsal listens on its own loopback address and port.');
    await cli(['plan', rel, ...stateFlag], [0]);

    heading(4, 'Apply: replica, catch-up, then the approval gate');
    say(
      'Creates the Aurora read replica: a replication slot on the source and a real standby from an online base backup,',
    );
    say(
      'while the application keeps writing. Waits until the replica lag read from the servers has been 0 s for 5 minutes',
    );
    say('(with storage guards on the source), then stops at the cutover approval: exit code 3.');
    await cli(['apply', rel, ...stateFlag], [3]);
    say(`   application: ${writer.acknowledged} writes acknowledged so far`);

    heading(5, 'Approve the gate: the cutover runs while the application keeps writing');
    say(
      `freeze-writes fences database orders: CONNECT is taken from every role but the tool's own (${world.master.user}), read back,`,
    );
    say(
      "the application's sessions are ended and it cannot reconnect (it retries), promote waits until a marker row written",
    );
    say('on the frozen source is visible on the replica, then promotes and gives the application CONNECT there;');
    say(`verify-data compares the tables, switch-endpoint points ${APP_NAME} at the new cluster; then the backfill.`);
    const before = writer.acknowledged;
    await cli(['apply', rel, ...stateFlag, '--approve', 'gate'], [0]);
    const target = world.target();
    if (!target) throw new Error(`the promoted cluster ${TARGET_CLUSTER} has no running server`);
    await writer.waitForAcks(300);
    runs.push(await writer.stop());
    writer = undefined;
    say(
      `   application: ${runs[0]!.acks.length - before} more writes acknowledged since the approval, the last ones on the promoted cluster`,
    );

    heading(6, 'Status: what the state file says');
    await cli(['status', rel, ...stateFlag], [0]);

    heading(7, 'The run report: the story of the run for the change board');
    const reportFile = path.join(REPO_ROOT, '.aurora-migrate', 'demo-report.html');
    await cli(['report', rel, ...stateFlag, '--output', reportFile], [0]);

    heading(8, 'Check the result independently');
    const summary = await summarizeWorld(world);
    for (const line of summary.lines) say(`   ${line}`);
    const report = await buildReport({
      run: mergeRuns(runs),
      target: { ...target, password: undefined },
      route: world.forwarder.route,
    });
    const appOk = report.lostWrites === 0 && report.acknowledgedWrites > 0;
    for (const line of reportLines(world, report)) say(`   ${line}`);
    say(
      `\nFiles: state ${world.statePath}\n       events ${world.eventLogPath} (removed with the temp folder at exit)`,
    );
    say(`       report ${reportFile} (kept: open it in a browser, or print it to PDF)`);
    const ok = summary.ok && appOk;
    const seconds = (performance.now() - started) / 1000;
    if (json) {
      process.stdout.write(
        JSON.stringify({
          version: 1,
          ok,
          migration: 'aurora-read-replica',
          acknowledgedWrites: report.acknowledgedWrites,
          foundOnTarget: report.foundOnTarget,
          lostWrites: report.lostWrites,
          lostSeqs: report.lostSeqs,
          unacknowledgedOnTarget: report.unacknowledgedOnTarget,
          writeDowntimeSeconds: report.writeDowntimeSeconds,
          downtimeFrom: report.downtimeFrom,
          cutover: cutoverTimings(world.statePath),
          reportFile,
          route: 'replica',
          applicationRoute: report.route,
          source: { instance: world.source.address, port: world.source.port },
          target: { cluster: TARGET_CLUSTER, endpoint: target.host, port: target.port },
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
  } catch (err) {
    if (interrupted) return interrupted === 'SIGINT' ? 130 : 143;
    say(`\nThe rehearsal failed: ${(err as Error).message}`);
    if (json && !process.stdout.writableLength)
      process.stdout.write(JSON.stringify({ version: 1, ok: false, error: (err as Error).message }) + '\n');
    return 1;
  } finally {
    await cleanup.run();
    removeSignals();
  }
}

function startApp(world: RehearsalWorld): Promise<Writer> {
  // Two drivers that a read-only default cannot stop, one that it can: only the fence stops them all.
  return startWriter({
    connection: world.app,
    poolSize: 3,
    ratePerSecond: 300,
    mode: ['begin-read-write', 'session-read-write', 'autocommit'],
  });
}

function reportLines(world: RehearsalWorld, r: RehearsalReport): string[] {
  const names = new Map([[world.source.address, `${world.source.address} (orders-pg, the source)`]]);
  const target = world.target();
  if (target) names.set(target.host, `${target.host} (${TARGET_CLUSTER}, promoted)`);
  const mark = (ok: boolean) => (ok ? '✔' : '✘');
  return [
    `${mark(r.lostWrites === 0)} every acknowledged write is on the target: ${r.acknowledgedWrites} acknowledged, ${r.foundOnTarget} found on ${TARGET_CLUSTER}, ` +
      `${r.lostWrites} lost${r.lostWrites ? ` (seqs ${r.lostSeqs.join(', ')}…)` : ''}`,
    `  write downtime seen by the application: ${r.writeDowntimeSeconds.toFixed(1)} s (the longest gap between acknowledged writes${r.downtimeFrom ? `, from ${r.downtimeFrom}` : ''})`,
    ...applicationLines(r, names, 'the target'),
  ];
}

/** The cutover's timings as the tool recorded them (the window steps' outputs in the state file). */
function cutoverTimings(statePath: string): Record<string, unknown> {
  const o = recordedOutputs(statePath);
  return {
    frozenAt: o('freeze').frozenAt,
    caughtUpAt: o('promote').caughtUpAt,
    promotionSentAt: o('promote').promotionSentAt,
    promotedAt: o('promote').promotedAt,
    switchedAt: o('switch').switchedAt,
    writeDowntime: o('switch').writeDowntime,
  };
}

export type { RehearsalWorld };
// Exit explicitly once the cleanups have run: after a full run the process sometimes stays alive
// with nothing of ours left (every server stopped, every folder removed) and a native loop spinning
// (not yet traced; see the report). Stdout/stderr are synchronous on Linux pipes and files.
process.exit(await main());
