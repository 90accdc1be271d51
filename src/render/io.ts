// What a command may touch of the outside world, injected so tests can run commands in-process.
// Declared here, below the CLI, because rendering (live progress, the approval prompt) writes to it.
export interface Io {
  stdout: { write(chunk: string): unknown; isTTY?: boolean };
  stderr: { write(chunk: string): unknown; isTTY?: boolean };
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
}
