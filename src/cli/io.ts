import type { Io } from '../render/io.js';

export type { Io } from '../render/io.js';

export function processIo(): Io {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    // A getter: Node builds process.stdin on first use (about 3 ms), and only apply's prompts read it.
    get stdin() {
      return process.stdin;
    },
    env: process.env,
    cwd: process.cwd(),
  };
}

/** Options every command accepts (docs/design.md "Common options"). */
export interface GlobalOptions {
  state?: string;
  format: 'text' | 'markdown' | 'json';
  region?: string;
  profile?: string;
  color: boolean;
  verbose: boolean;
}

/** Colour only on a TTY, never with NO_COLOR or --no-color; FORCE_COLOR forces it on. */
export function useColor(io: Io, opts: Pick<GlobalOptions, 'color'>, stream: 'stdout' | 'stderr' = 'stderr'): boolean {
  if (!opts.color || io.env.NO_COLOR !== undefined) return false;
  if (io.env.FORCE_COLOR !== undefined && io.env.FORCE_COLOR !== '0') return true;
  return Boolean(io[stream].isTTY);
}

export interface PlanOptions extends GlobalOptions {
  preflight: boolean;
}

export interface ApplyOptions extends GlobalOptions {
  approve: string[];
  until?: string;
  yes: boolean;
  /** --take-over: take a stale remote (S3) lease from another machine. */
  takeOver?: boolean;
  /** --max-runtime DURATION: stop at the first safe point after it (exit 75). */
  maxRuntime?: string;
}
