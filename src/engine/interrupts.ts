// SIGINT/SIGTERM → abort the engine's signal: the running step stops at its next safe point
// (sleep, poll, AWS call), the state is saved and the lock released; apply exits 130. A second
// signal exits at once — every state write is atomic, so the file on disk is consistent anyway.
import { Interrupted } from '../errors.js';

export type SignalName = 'SIGINT' | 'SIGTERM';

export interface SignalSource {
  on(signal: SignalName, handler: () => void): unknown;
  off(signal: SignalName, handler: () => void): unknown;
}

export interface InterruptOptions {
  /** Told about the first signal (print "stopping at the next safe point…"). */
  onFirst(signal: SignalName): void;
  /** The second signal: leave now (the CLI re-raises the signal with default handling). */
  onSecond(signal: SignalName): void;
}

/** Installs the handlers; returns the function that removes them. */
export function handleInterrupts(
  source: SignalSource,
  controller: AbortController,
  options: InterruptOptions,
): () => void {
  let count = 0;
  const handlers = new Map<SignalName, () => void>();
  const remove = () => {
    for (const [sig, h] of handlers) source.off(sig, h);
    handlers.clear();
  };
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    const h = () => {
      count += 1;
      if (count === 1) {
        controller.abort(new Interrupted(`interrupted by ${sig}`));
        options.onFirst(sig);
      } else {
        remove();
        options.onSecond(sig);
      }
    };
    handlers.set(sig, h);
    source.on(sig, h);
  }
  return remove;
}

/** Default "second signal": remove our handlers and re-raise, so the process ends by that signal. */
export function exitBySignal(signal: SignalName): void {
  process.kill(process.pid, signal);
}
