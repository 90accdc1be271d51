// One round of the crash campaign: run `aurora-migrate apply` on the rehearsal world again and again,
// SIGKILLing it at a random instant each time, until a run finishes the plan (exit 0). The first
// runs go without --approve, so the gate must answer exit 3 at least once; after that every run
// approves. Two kinds of kill instant, chosen by the seeded RNG:
//   - time: a uniform delay after spawn (lands anywhere, including start-up and AWS waiting);
//   - events: right after the event log grew by k lines (+ a few ms), which puts kills where the
//     tool is doing something — between a checkpoint and its AWS call, in the middle of the backfill.
// After every run the state file is read with the engine's own reader and checked against the log.
import { readFileSync, rmSync, statSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import { readState, type StateFile } from '../../../src/engine/state-file.js';
import { runCli, type CliRunResult } from '../../../rehearsal/world/cli-runner.js';
import type { RehearsalWorld } from '../../../rehearsal/world/rehearsal-world.js';
import { parseLog, stateVsLog, type LoggedEvent } from './state-log-checks.js';

export { seededRandom } from '../../../rehearsal/aws/faults.js';

export interface KillPlan {
  /** Kills this round may still make; after that the round runs to the end undisturbed. */
  budget: number;
  /**
   * Upper bounds of a time kill's delay after spawn, ms, for runs without and with --approve. After
   * a run ends by itself, the bound for its kind becomes 1.3 × its duration, so time kills keep
   * landing inside runs as the remaining work shrinks (the rounds share this object).
   */
  timeWindowMs: { plain: number; approving: number };
  /** Upper bound of k for an event kill (lines appended since spawn). */
  maxEventLines: number;
}

export interface RunRecord {
  run: number;
  approve: boolean;
  trigger: 'time' | 'events' | 'none';
  /** Delay (time) or line count (events) chosen. */
  at: number;
  killed: boolean;
  code: number | null;
  durationMs: number;
  /** Step statuses in the state file after the run. */
  statuses: string;
  /** Where the run stopped: the first step the state does not show as succeeded (or "done"). */
  phase: string;
}

export interface RoundResult {
  runs: RunRecord[];
  kills: number;
  sawGate: boolean;
  /** Problems found after individual runs (unparseable state, state/log inconsistency, torn lines). */
  problems: string[];
  final?: StateFile;
  log: LoggedEvent[];
  last?: CliRunResult;
}

export async function killLoop(
  world: RehearsalWorld,
  rnd: () => number,
  plan: KillPlan,
  maxRuns = 300,
): Promise<RoundResult> {
  const result: RoundResult = { runs: [], kills: 0, sawGate: false, problems: [], log: [] };
  let stateSeen = false;
  for (let run = 1; run <= maxRuns; run++) {
    const approve = result.sawGate;
    const args = ['apply', world.planFile, '--state', world.statePath, ...(approve ? ['--approve', 'cutover'] : [])];
    const killing = result.kills < plan.budget;
    const trigger: RunRecord['trigger'] = !killing ? 'none' : rnd() < 0.6 ? 'time' : 'events';
    const window = approve ? plan.timeWindowMs.approving : plan.timeWindowMs.plain;
    const at =
      trigger === 'time'
        ? Math.floor(rnd() * window)
        : trigger === 'events'
          ? 1 + Math.floor(rnd() * plan.maxEventLines)
          : 0;
    const jitter = Math.floor(rnd() * 8);
    let stopWatching: () => void = () => {};
    const r = await runCli(args, {
      env: world.env,
      onSpawn: (child) => {
        if (trigger === 'time') {
          const t = setTimeout(() => child.kill('SIGKILL'), at);
          stopWatching = () => clearTimeout(t);
        } else if (trigger === 'events') {
          stopWatching = killAfterLines(child, world.eventLogPath, at, jitter);
        }
      },
    });
    stopWatching();
    const killed = r.signal === 'SIGKILL';
    if (killed) result.kills += 1;
    result.last = r;

    let state: StateFile | undefined;
    try {
      const read = await readState(world.statePath, 'orders-to-aurora');
      if (read.exists) state = read.state;
      else if (stateSeen) result.problems.push(`run ${run}: the state file disappeared`);
    } catch (err) {
      result.problems.push(
        `run ${run} (${killed ? 'killed' : `exit ${r.code}`}): state file unreadable: ${(err as Error).message}`,
      );
    }
    stateSeen ||= !!state;
    const parsed = parseLogFile(world.eventLogPath);
    for (const line of parsed.torn) result.problems.push(`run ${run}: torn event log line: ${line.slice(0, 120)}`);
    for (const p of stateVsLog(state, parsed.events, { final: r.code === 0 })) result.problems.push(`run ${run}: ${p}`);
    result.runs.push({
      run,
      approve,
      trigger,
      at,
      killed,
      code: r.code,
      durationMs: Math.round(r.durationMs),
      statuses: state
        ? Object.entries(state.steps)
            .map(([id, s]) => `${id}=${s.status}`)
            .join(' ')
        : '(no state)',
      phase: !state
        ? 'start-up'
        : (Object.entries(state.steps).find(([, s]) => s.status !== 'succeeded')?.[0] ?? 'done'),
    });
    result.log = parsed.events;
    result.final = state;

    if (killed) continue;
    if (r.code === 0 || r.code === 3)
      plan.timeWindowMs[approve ? 'approving' : 'plain'] = Math.max(300, Math.round(1.3 * r.durationMs));
    if (r.code === 3) {
      result.sawGate = true;
      continue;
    }
    if (r.code === 0) return result;
    if (
      r.code === 4 &&
      killed === false &&
      result.runs.at(-2)?.killed &&
      /holds the lock .*an unknown process/s.test(r.stderr)
    ) {
      // The kill of the previous run left <state>.lock without its holder.json, which the next apply
      // cannot tell from a lock being created: a user would have to wait for the heartbeat to go stale
      // (30 s) and run `unlock`. Recorded as a finding (the test fails on it); the lock folder is then
      // removed by hand so the rest of the round still checks exactly-once effects.
      result.problems.push(
        `run ${run}: exit 4 — the SIGKILL of run ${run - 1} left the run lock half-made (${world.statePath}.lock without holder.json); resuming needs a 30 s wait and \`aurora-migrate unlock\``,
      );
      rmSync(`${world.statePath}.lock`, { recursive: true, force: true });
      continue;
    }
    result.problems.push(
      `run ${run}: apply ended with exit ${r.code} (${r.signal ?? 'no signal'}) instead of 0, 3 or a kill:\n${r.stderr.slice(-3000)}`,
    );
    return result;
  }
  result.problems.push(`the plan did not finish within ${maxRuns} runs`);
  return result;
}

function parseLogFile(path: string) {
  try {
    return parseLog(readFileSync(path, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { events: [], torn: [] };
    throw err;
  }
}

/** SIGKILLs `child` once the log has `lines` more lines than at spawn, after `jitterMs`. */
function killAfterLines(child: ChildProcess, path: string, lines: number, jitterMs: number): () => void {
  const count = () => {
    try {
      return readFileSync(path, 'utf8').split('\n').length - 1;
    } catch {
      return 0;
    }
  };
  const base = count();
  let size = sizeOf(path);
  const timer = setInterval(() => {
    const now = sizeOf(path);
    if (now === size) return;
    size = now;
    if (count() - base >= lines) {
      clearInterval(timer);
      setTimeout(() => child.kill('SIGKILL'), jitterMs);
    }
  }, 2);
  return () => clearInterval(timer);
}

function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}
