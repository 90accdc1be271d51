// What both demos (`npm run demo`, `--route replica|logical`) print the same way: each CLI command
// as a user would type it, the tool's own output indented under it, and how it ended.
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import type { RehearsalReport } from '../app/report.js';
import { runCli, type CliRunResult } from './cli-runner.js';

export const TOOL_PREFIX = '   │ ';

/** Runs `aurora-migrate ARGS` with `env`, streaming its output; throws unless it exits with one of `expect`. */
export async function narratedCli(
  cliArgs: string[],
  expect: number[],
  o: {
    env: Record<string, string>;
    say(line: string): void;
    out: NodeJS.WritableStream;
    onChild(child: ChildProcess | undefined): void;
    /** Show the tool's output only from the first line that matches (e.g. the preflight after a dry-run already shown). */
    from?: RegExp;
  },
): Promise<CliRunResult> {
  o.say(`\n$ aurora-migrate ${cliArgs.map(shellQuote).join(' ')}`);
  let showing = !o.from;
  if (o.from) o.say(`${TOOL_PREFIX}… (the dry-run, as above)`);
  // runCli's streamer writes one prefixed line per write.
  const out = new Writable({
    write(chunk: Buffer, _encoding, done) {
      const line = chunk.toString();
      showing ||= o.from!.test(line);
      if (showing) o.out.write(line);
      done();
    },
  });
  const result = await runCli(cliArgs, {
    env: o.env,
    stream: { prefix: TOOL_PREFIX, out },
    onSpawn: (c) => o.onChild(c),
  });
  o.onChild(undefined);
  const how = result.code === null ? `killed by ${result.signal}` : `exit code ${result.code}`;
  o.say(`   └ ${how} after ${(result.durationMs / 1000).toFixed(1)} s`);
  if (result.code === null || !expect.includes(result.code)) {
    throw new Error(`aurora-migrate ${cliArgs[0]} ended with ${how}; expected exit ${expect.join(' or ')}`);
  }
  return result;
}

/** Stand-in milliseconds as minutes or hours, for "1 s here = 4 min of AWS waiting". */
export function fmtAws(ms: number): string {
  const min = ms / 60_000;
  return min >= 120 ? `${(min / 60).toFixed(0)} h` : `${min.toFixed(0)} min`;
}

export function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`;
}

/** The application's side of a report, as both demos print it: where its new connections went and its retries. */
export function applicationLines(r: RehearsalReport, names: ReadonlyMap<string, string>, target: string): string[] {
  return [
    `  application route: ${r.route.map((a) => names.get(a) ?? a).join(' → ') || 'none'}`,
    `  writer retries: ${r.writerErrors.readOnly} read-only, ${r.writerErrors.terminated} terminated, ${r.writerErrors.refused} refused, ${r.writerErrors.other} other` +
      (r.unacknowledgedOnTarget
        ? `; ${r.unacknowledgedOnTarget} unacknowledged write(s) on ${target} (ambiguous commits)`
        : ''),
  ];
}

/** The outputs each step recorded in the state file (an empty object for a step without, or no file). */
export function recordedOutputs(statePath: string): (stepId: string) => Record<string, unknown> {
  let steps: Record<string, { outputs?: Record<string, unknown> }> = {};
  try {
    steps = (JSON.parse(readFileSync(statePath, 'utf8')) as { steps: typeof steps }).steps ?? {};
  } catch {
    // no state yet: every step has no outputs
  }
  return (id) => steps[id]?.outputs ?? {};
}
