// Live progress on a terminal with listr2: each step is a task whose title is the step and whose
// output line is its current detail ("cluster orders-aurora: creating (12m)"), with a spinner and a
// timer. Steps finish one after another, so each step gets its own one-task Listr: the finished
// ones stay on screen as a tree of ✔/✖ lines, and the screen is free between steps (the approval
// prompt needs that: listr2 captures stderr while it renders). Written to stderr. listr2 is loaded
// only here, and this module only by `apply` on a TTY.
import type { Io } from './io.js';
import type { EngineEvent, EngineListener } from '../engine/events.js';
import { formatDuration } from '../plan/units.js';

interface StepTask {
  title: string;
  output?: string;
  /** Set once the engine reported the step's end. */
  end?: { ok: true; title: string; skip?: string } | { ok: false; message: string };
  wrapper?: { title: string; output: string; skip(message?: string): void };
  settle?: () => void;
}

export interface ListrProgress {
  listener: EngineListener;
  /** Finishes the step on screen now (before a prompt), leaving the terminal to the caller. */
  suspend(detail: string): Promise<void>;
  /** Waits until the last rendering is flushed. */
  done(): Promise<void>;
}

export async function createListrProgress(io: Pick<Io, 'stderr'>): Promise<ListrProgress> {
  const { Listr, DefaultRenderer, ListrLogger, ProcessOutput } = await import('listr2');
  const stream = io.stderr as unknown as NodeJS.WriteStream;
  // Render to stderr even when stdout is piped (listr2 checks process.stdout by default).
  class StderrRenderer extends DefaultRenderer {
    static override nonTTY = true;
  }
  const logger = new ListrLogger({ useIcons: true, processOutput: new ProcessOutput(stream, stream, { dump: [] }) });
  let current: { id: string; task: StepTask } | undefined;
  // One Listr at a time: the next step's Listr starts only after the previous one finished drawing.
  let chain: Promise<unknown> = Promise.resolve();

  const settle = (t: StepTask) => {
    const w = t.wrapper;
    if (!w || !t.end || !t.settle) return;
    const settleNow = t.settle;
    t.settle = undefined;
    if (t.end.ok) {
      w.title = t.end.title;
      if (t.end.skip) w.skip(t.end.skip);
    }
    settleNow();
  };

  const start = (id: string, title: string) => {
    const task: StepTask = { title };
    current = { id, task };
    const listr = () =>
      new Listr(
        [
          {
            title,
            task: (_ctx, wrapper) =>
              new Promise<void>((resolve, reject) => {
                task.wrapper = wrapper as unknown as StepTask['wrapper'];
                if (task.output) wrapper.output = task.output;
                task.settle = () => (task.end && !task.end.ok ? reject(new Error(task.end.message)) : resolve());
                settle(task);
              }),
            rendererOptions: { outputBar: 1, persistentOutput: false },
          },
        ],
        {
          renderer: StderrRenderer,
          rendererOptions: { logger, collapseErrors: false },
          registerSignalListeners: false,
          exitOnError: true,
        },
      ).run();
    chain = chain.then(listr).catch(() => {});
  };

  const end = (id: string, result: NonNullable<StepTask['end']>) => {
    if (current?.id === id) {
      current.task.end = result;
      settle(current.task);
      return;
    }
    // Nothing on screen for this step (e.g. it ended after a prompt): one plain line.
    io.stderr.write(result.ok ? `✔ ${result.title}${result.skip ? ` (${result.skip})` : ''}\n` : `✖ ${id}: ${result.message}\n`);
  };

  const listener: EngineListener = (event: EngineEvent) => {
    switch (event.type) {
      case 'run-start':
        io.stderr.write(`${event.resumed ? 'resuming' : 'starting'} plan ${event.plan} (run ${event.runId.slice(0, 8)}, state ${event.statePath})\n`);
        break;
      case 'approval': {
        const text = `approved by ${event.approvedBy} (${event.via === 'flag' ? '--approve' : 'prompt'})`;
        if (current?.id === event.stepId) {
          current.task.output = text;
          if (current.task.wrapper) current.task.wrapper.output = text;
        } else io.stderr.write(`✔ ${event.stepId}: ${text}\n`);
        break;
      }
      case 'step-skip':
        if (event.reason === 'succeeded') io.stderr.write(`✔ ${event.stepId}: already succeeded\n`);
        break;
      case 'step-start':
        start(event.stepId, `${event.stepId} (${event.stepType}${event.attempt > 1 ? `, attempt ${event.attempt}` : ''})`);
        break;
      case 'progress':
      case 'warning':
        if (current && event.stepId === current.id) {
          const text = event.type === 'progress' ? event.detail : `warning: ${event.message}`;
          current.task.output = text;
          if (current.task.wrapper) current.task.wrapper.output = text;
        } else if (event.type === 'warning') io.stderr.write(`warning: ${event.message}\n`);
        break;
      case 'step-end': {
        const took = formatDuration(event.durationMs);
        if (event.maxRuntime) end(event.stepId, { ok: false, message: `paused by --max-runtime after ${took}; state saved, the next apply goes on` });
        else if (event.interrupted) end(event.stepId, { ok: false, message: `interrupted after ${took}; state saved, apply resumes it` });
        else if (event.status === 'awaiting-approval') end(event.stepId, { ok: true, title: `${event.stepId}: waiting for approval`, skip: 'approval needed' });
        else if (event.error) end(event.stepId, { ok: false, message: event.error.message });
        else end(event.stepId, { ok: true, title: `${event.stepId}: ${event.status} in ${took}` });
        break;
      }
      default:
        break;
    }
  };

  return {
    listener,
    async suspend(detail) {
      if (!current) return;
      const { task, id } = current;
      current = undefined;
      task.end = { ok: true, title: `${id}: ${detail}` };
      settle(task);
      await chain;
    },
    async done() {
      await chain;
    },
  };
}
