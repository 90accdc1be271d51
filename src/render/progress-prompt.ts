// The y/N question an approval step asks at a terminal (only when stdin and stderr are TTYs; without
// one, approval needs `--approve ID`). Anything but y/yes is a no. Ctrl-C while asking interrupts.
import { createInterface } from 'node:readline';
import type { Io } from './io.js';
import { Interrupted } from '../errors.js';
import type { ApprovalPrompt } from '../engine/approval-gate.js';

export function approvalQuestion(p: Pick<ApprovalPrompt, 'stepId' | 'message'>): string {
  return `\nStep "${p.stepId}" needs approval:\n  ${p.message}\nApprove "${p.stepId}" and continue? [y/N] `;
}

export function askApproval(io: Pick<Io, 'stdin' | 'stderr'>, p: ApprovalPrompt): Promise<boolean> {
  return askYesNo(io, approvalQuestion(p), p.signal);
}

/** The question a step asks before it changes production (`confirmation`); `apply --yes` skips it. */
export function confirmationQuestion(q: { stepId: string; message: string }): string {
  return `\nStep "${q.stepId}": ${q.message}\nGo ahead? (apply --yes answers this) [y/N] `;
}

/** Writes `question` to stderr and reads one line: y/yes is a yes, anything else (or end of input) a no. */
export function askYesNo(io: Pick<Io, 'stdin' | 'stderr'>, question: string, signal: AbortSignal): Promise<boolean> {
  return new Promise<boolean>((resolve, reject) => {
    if (signal.aborted) return reject(new Interrupted('interrupted'));
    io.stderr.write(question);
    const rl = createInterface({ input: io.stdin, terminal: false });
    let done = false;
    const finish = (fn: () => void) => {
      if (done) return;
      done = true;
      signal.removeEventListener('abort', onAbort);
      rl.close();
      fn();
    };
    const onAbort = () => finish(() => reject(new Interrupted('interrupted')));
    signal.addEventListener('abort', onAbort, { once: true });
    rl.once('line', (answer) => finish(() => resolve(/^\s*y(es)?\s*$/i.test(answer))));
    rl.once('close', () => finish(() => resolve(false)));
  });
}
