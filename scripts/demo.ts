// `npm run demo`: a whole RDS-for-PostgreSQL → Aurora migration rehearsed on this machine in about a
// minute. It starts the local AWS stand-in and an embedded PostgreSQL, seeds them, then drives the
// REAL CLI (node bin/aurora-migrate.js, a child process that only sees environment variables) through
// rehearsal/world/demo-plan.yaml: plan, apply (stops at the approval gate, exit 3), apply --approve
// cutover, status. Hours of AWS waiting pass in seconds (AURORA_MIGRATE_TIME_SCALE). Everything it
// starts is stopped and every temp folder removed on success, failure and Ctrl-C.
//
//   npm run demo                        # default time scale 1200 (1 s real = 20 min AWS)
//   DEMO_TIME_SCALE=600 npm run demo    # slower, easier to watch
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { createCleanupStack, cleanupOnSignals } from '../rehearsal/world/cleanup-stack.js';
import { REPO_ROOT, runCli, stopChild, type CliRunResult } from '../rehearsal/world/cli-runner.js';
import { ensureBuilt } from '../rehearsal/world/ensure-built.js';
import { startRehearsalWorld, type RehearsalWorld } from '../rehearsal/world/rehearsal-world.js';
import { summarizeWorld } from '../rehearsal/world/world-summary.js';

const out = process.stdout;
// `npm run demo | head` closes stdout early: carry on quietly so the cleanups still run.
out.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
});
const say = (line = '') => out.write(line + '\n');
const heading = (n: number, title: string) => say(`\n━━ ${n}. ${title}`);
const TOOL_PREFIX = '   │ ';

async function main(): Promise<number> {
  const timeScale = Number(process.env.DEMO_TIME_SCALE ?? 1200);
  if (!(timeScale > 0)) throw new Error(`DEMO_TIME_SCALE must be a positive number, got ${process.env.DEMO_TIME_SCALE}`);
  const cleanup = createCleanupStack();
  let child: ChildProcess | undefined;
  let interrupted: NodeJS.Signals | undefined;
  const removeSignals = cleanupOnSignals(cleanup, (signal) => {
    interrupted = signal;
    say(`\n${signal}: stopping the CLI and the servers, removing temp folders…`);
  });
  const started = performance.now();
  try {
    say('aurora-migrate rehearsal: RDS for PostgreSQL orders-pg → Aurora PostgreSQL orders-aurora, then an S3 backfill.');
    say(`Everything runs on this machine; the AWS clock runs ${timeScale}x real time (1 s here = ${fmtAws(timeScale * 1000)} of AWS waiting).`);
    ensureBuilt(say);

    heading(1, 'Set up the world');
    const world = await startRehearsalWorld({ timeScale, cleanup, say: (l) => say(l) });
    // Registered last so it runs first: the CLI stops before the servers it talks to.
    cleanup.add('stop the CLI', () => (child ? stopChild(child) : undefined));
    const rel = path.relative(REPO_ROOT, world.planFile);
    const cli = async (args: string[], expect: number[]): Promise<CliRunResult> => {
      say(`\n$ aurora-migrate ${args.map(shellQuote).join(' ')}`);
      const result = await runCli(args, { env: world.env, stream: { prefix: TOOL_PREFIX, out }, onSpawn: (c) => (child = c) });
      child = undefined;
      const how = result.code === null ? `killed by ${result.signal}` : `exit code ${result.code}`;
      say(`   └ ${how} after ${(result.durationMs / 1000).toFixed(1)} s`);
      if (result.code === null || !expect.includes(result.code)) {
        throw new Error(`aurora-migrate ${args[0]} ended with ${how}; expected exit ${expect.join(' or ')}`);
      }
      return result;
    };
    const stateFlag = ['--state', world.statePath];

    heading(2, 'Review the plan (what a pull request shows)');
    say(`The demo runs ${rel}: plans/replica-with-backfill.yaml with the backfill's host and port taken from`);
    say('PGHOST/PGPORT, because the promoted "cluster" here is the local PostgreSQL, not a resolvable Aurora endpoint.');
    await cli(['plan', rel, ...stateFlag], [0]);

    heading(3, 'Apply: replica, catch-up, then the approval gate');
    say('Creates the Aurora read replica cluster and its instance, waits until replica lag has been 0 s for 5');
    say('minutes (with storage guards on the source), then stops at the cutover approval: exit code 3.');
    await cli(['apply', rel, ...stateFlag], [3]);

    heading(4, 'A human stops application writes, then approves the cutover');
    say('Running the same command again resumes from the state file; --approve cutover records who approved.');
    await cli(['apply', rel, ...stateFlag, '--approve', 'cutover'], [0]);

    heading(5, 'Status: what the state file says');
    await cli(['status', rel, ...stateFlag], [0]);

    heading(6, 'Check the result independently');
    const summary = await summarizeWorld(world);
    for (const line of summary.lines) say(`   ${line}`);
    say(`\nFiles: state ${world.statePath}\n       events ${world.eventLogPath} (removed with the temp folder at exit)`);
    if (!summary.ok) throw new Error('the rehearsal finished but the checks above did not hold');
    say(`\nDone in ${((performance.now() - started) / 1000).toFixed(1)} s. Cleaning up…`);
    return 0;
  } catch (err) {
    if (interrupted) return interrupted === 'SIGINT' ? 130 : 143;
    say(`\nThe rehearsal failed: ${(err as Error).message}`);
    return 1;
  } finally {
    await cleanup.run();
    removeSignals();
  }
}

function fmtAws(ms: number): string {
  const min = ms / 60_000;
  return min >= 120 ? `${(min / 60).toFixed(0)} h` : `${min.toFixed(0)} min`;
}

function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`;
}

export type { RehearsalWorld };
process.exitCode = await main();
