// Plain progress for logs and CI: one line per event on stderr, no spinners, no cursor movement, so
// nothing is lost when a line is updated (listr2's simple renderer drops title updates made while a
// task runs; this logs them as lines instead). Identical repeated progress lines are throttled: the
// same detail for the same step is printed again at most once a minute (elapsed time ignored).
import type { EngineEvent, EngineListener } from '../engine/events.js';
import { formatDuration } from '../plan/units.js';
import { painter, statusWord } from './status-format.js';

export interface PlainProgressOptions {
  write(text: string): void;
  now(): number;
  color: boolean;
  /** Minimum gap between two identical progress lines of one step (default 60s). */
  repeatEveryMs?: number;
}

export function plainProgress(options: PlainProgressOptions): EngineListener {
  const paint = painter(options.color);
  const repeatEvery = options.repeatEveryMs ?? 60_000;
  const last = new Map<string, { key: string; at: number }>();
  const line = (text: string) => {
    const t = new Date(options.now()).toISOString().slice(11, 19);
    options.write(`${paint('gray', t)} ${text}\n`);
  };

  return (event: EngineEvent) => {
    switch (event.type) {
      case 'run-start': {
        const running = event.steps.filter((s) => s.status === 'running').map((s) => s.id);
        line(
          `${event.resumed ? 'resuming' : 'starting'} plan ${paint('bold', event.plan)} (run ${event.runId.slice(0, 8)}, state ${event.statePath})` +
            (running.length ? `; ${running.join(', ')} was interrupted and resumes from its checkpoint` : ''),
        );
        break;
      }
      case 'step-skip':
        if (event.reason === 'succeeded') line(`${event.stepId}: already succeeded`);
        break;
      case 'step-start':
        last.delete(event.stepId);
        line(
          `${paint('bold', event.stepId)}: started (${event.stepType}${event.attempt > 1 ? `, attempt ${event.attempt}` : ''})`,
        );
        break;
      case 'progress': {
        const key = event.detail.replace(/\s*\([^()]*\)$/, '');
        const prev = last.get(event.stepId);
        const now = options.now();
        if (prev && prev.key === key && now - prev.at < repeatEvery) break;
        last.set(event.stepId, { key, at: now });
        line(`${event.stepId}: ${event.detail}`);
        break;
      }
      case 'warning':
        line(`${paint('yellow', 'warning')}: ${event.stepId ? `${event.stepId}: ` : ''}${event.message}`);
        break;
      case 'aws-call':
        line(`${event.stepId}: ${event.service} ${event.operation}`);
        break;
      case 'approval-needed':
        line(`${event.stepId}: approval needed: ${event.message}`);
        break;
      case 'approval':
        line(`${event.stepId}: approved by ${event.approvedBy} (${event.via === 'flag' ? '--approve' : 'prompt'})`);
        break;
      case 'step-end': {
        const took = formatDuration(event.durationMs);
        if (event.maxRuntime)
          line(
            `${event.stepId}: ${statusWord('running', paint)}, paused by --max-runtime after ${took}; state saved, the next apply goes on`,
          );
        else if (event.interrupted)
          line(`${event.stepId}: ${statusWord('interrupted', paint)} after ${took}; state saved, apply resumes it`);
        else if (event.status === 'awaiting-approval')
          line(`${event.stepId}: ${statusWord('awaiting-approval', paint)}`);
        else if (event.error)
          line(`${event.stepId}: ${statusWord('failed', paint)} after ${took}: ${event.error.message}`);
        else line(`${event.stepId}: ${statusWord(event.status, paint)} in ${took}`);
        break;
      }
      default:
        break;
    }
  };
}
