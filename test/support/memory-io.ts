// An in-memory Io for running commands in-process in tests.
import { Readable } from 'node:stream';
import type { Io } from '../../src/cli/io.js';

export function memoryIo(
  options: { env?: Record<string, string | undefined>; cwd?: string; stdin?: string; tty?: boolean } = {},
) {
  let out = '';
  let err = '';
  const stdin = Readable.from(options.stdin !== undefined ? [options.stdin] : []) as unknown as Io['stdin'];
  (stdin as { isTTY?: boolean }).isTTY = options.tty ?? false;
  const io: Io & { out(): string; err(): string } = {
    stdout: {
      write: (s: string) => {
        out += s;
        return true;
      },
      isTTY: options.tty ?? false,
    },
    stderr: {
      write: (s: string) => {
        err += s;
        return true;
      },
      isTTY: options.tty ?? false,
    },
    stdin,
    env: options.env ?? { NO_COLOR: '1' },
    cwd: options.cwd ?? process.cwd(),
    out: () => out,
    err: () => err,
  };
  return io;
}
