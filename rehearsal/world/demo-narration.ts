// What both demos (`npm run demo`, `--route replica|logical`) print the same way: each CLI command
// as a user would type it, the tool's own output indented under it, and how it ended.
import type { ChildProcess } from 'node:child_process';
import { Writable } from 'node:stream';
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
