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

export function createCleanupStack(report: (message: string) => void = (m) => process.stderr.write(m + '\n')): CleanupStack {
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
 * cleaning up exits at once. Returns a function that removes the handlers.
 */
export function cleanupOnSignals(stack: CleanupStack, onSignal?: (signal: NodeJS.Signals) => void): () => void {
  let seen = 0;
  const handler = (signal: NodeJS.Signals) => {
    seen += 1;
    if (seen > 1) process.exit(signal === 'SIGINT' ? 130 : 143);
    onSignal?.(signal);
    void stack.run().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}
