// Runs the real CLI (`node bin/aurora-migrate.js …`) as a child process, the way a user would:
// only environment variables connect it to the local AWS stand-in and PostgreSQL. It can stream the
// tool's own output (the demo) or collect it (tests), and SIGKILL it after a delay (crash campaign).
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CLI_BIN = path.join(REPO_ROOT, 'bin', 'aurora-migrate.js');

export interface CliRunOptions {
  env: Record<string, string | undefined>;
  cwd?: string;
  /** Write the tool's stdout/stderr through as it comes, each line prefixed (e.g. "  │ "). */
  stream?: { prefix: string; out: NodeJS.WritableStream };
  /** SIGKILL the process this many milliseconds after it was spawned (if it is still running). */
  killAfterMs?: number;
  /** Called with the child right after spawn, e.g. to register it for cleanup. */
  onSpawn?(child: ChildProcess): void;
}

export interface CliRunResult {
  args: string[];
  /** Exit code, or null when a signal ended it. */
  code: number | null;
  signal: NodeJS.Signals | null;
  /** True when killAfterMs fired before the process ended by itself. */
  killed: boolean;
  stdout: string;
  stderr: string;
  durationMs: number;
}

export function runCli(args: string[], options: CliRunOptions): Promise<CliRunResult> {
  const started = performance.now();
  const child = spawn(process.execPath, [CLI_BIN, ...args], {
    cwd: options.cwd ?? REPO_ROOT,
    env: options.env as NodeJS.ProcessEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  options.onSpawn?.(child);
  let stdout = '';
  let stderr = '';
  const streamer = options.stream ? lineStreamer(options.stream.prefix, options.stream.out) : undefined;
  child.stdout!.setEncoding('utf8').on('data', (s: string) => {
    stdout += s;
    streamer?.write(s);
  });
  child.stderr!.setEncoding('utf8').on('data', (s: string) => {
    stderr += s;
    streamer?.write(s);
  });
  let killed = false;
  const timer =
    options.killAfterMs === undefined
      ? undefined
      : setTimeout(() => {
          if (child.exitCode === null && child.signalCode === null) {
            killed = true;
            child.kill('SIGKILL');
          }
        }, options.killAfterMs);
  return new Promise((resolve, reject) => {
    child.on('error', (err) => {
      if (timer) clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      streamer?.flush();
      resolve({ args, code, signal, killed, stdout, stderr, durationMs: performance.now() - started });
    });
  });
}

/** Prefixes every line; keeps a partial last line until more arrives or flush(). */
function lineStreamer(prefix: string, out: NodeJS.WritableStream) {
  let pending = '';
  return {
    write(chunk: string) {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) out.write(prefix + line + '\n');
    },
    flush() {
      if (pending) out.write(prefix + pending + '\n');
      pending = '';
    },
  };
}

/**
 * Stops a child that may still run (cleanup on Ctrl-C). A Ctrl-C at a terminal reaches the CLI too
 * (same process group) and it saves its state and exits 130 by itself, so first give it `ownMs` to
 * do that — a signal from us on top would count as its second Ctrl-C and cut that short. Then
 * SIGTERM, then SIGKILL after `graceMs`.
 */
export async function stopChild(child: ChildProcess, ownMs = 2000, graceMs = 3000): Promise<void> {
  const running = () => child.exitCode === null && child.signalCode === null;
  if (!running()) return;
  const ended = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const timers = [
    setTimeout(() => running() && child.kill('SIGTERM'), ownMs),
    setTimeout(() => running() && child.kill('SIGKILL'), ownMs + graceMs),
  ];
  await ended;
  for (const t of timers) clearTimeout(t);
}
