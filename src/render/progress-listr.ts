// Live progress on a terminal with listr2: each step is a task whose title is the step and whose
// output line is its current detail ("cluster orders-aurora: creating (12m)"), with a spinner and a
// timer. Steps finish one after another, so each step gets its own one-task Listr: the finished
// ones stay on screen as a tree of ✔/✖ lines, and the screen is free between steps (the approval
// prompt needs that: listr2 captures stderr while it renders). Written to stderr. listr2 is loaded
// only here, and this module only by `apply` on a TTY.
import type { Io } from './io.js';
import type { EngineEvent, EngineListener } from '../engine/events.js';
import { formatDuration } from '../plan/units.js';
import { loadPackage } from '../load-package.js';

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

type Listr2 = typeof import('listr2');
type StepEnd = NonNullable<StepTask['end']>;

export async function createListrProgress(io: Pick<Io, 'stderr'>): Promise<ListrProgress> {
  const screen = new StepScreen(
    io,
    taskLists(await loadPackage<typeof import('listr2')>('listr2'), io.stderr as unknown as NodeJS.WriteStream),
  );
  return {
    listener: (event) => onEvent(event, screen, io),
    suspend: (detail) => screen.suspend(detail),
    done: () => screen.done(),
  };
}

/** Runs one step's one-task Listr on stderr; resolves when it has finished drawing. */
type RunTaskList = (title: string, task: StepTask) => Promise<unknown>;

function taskLists(
  { Listr, DefaultRenderer, ListrLogger, ProcessOutput }: Listr2,
  stream: NodeJS.WriteStream,
): RunTaskList {
  // Render to stderr even when stdout is piped (listr2 checks process.stdout by default).
  class StderrRenderer extends DefaultRenderer {
    static override nonTTY = true;
  }
  const logger = new ListrLogger({ useIcons: true, processOutput: new ProcessOutput(stream, stream, { dump: [] }) });
  return (title, task) =>
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
}

/** Ends the task on screen once both its Listr is running and the engine reported its end. */
function settle(t: StepTask): void {
  const w = t.wrapper;
  if (!w || !t.end || !t.settle) return;
  const settleNow = t.settle;
  t.settle = undefined;
  if (t.end.ok) {
    w.title = t.end.title;
    if (t.end.skip) w.skip(t.end.skip);
  }
  settleNow();
}

/** The step on screen, if any, and the chain of Listrs: the next starts only after the previous one finished drawing. */
class StepScreen {
  private current: { id: string; task: StepTask } | undefined;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly io: Pick<Io, 'stderr'>,
    private readonly run: RunTaskList,
  ) {}

  start(id: string, title: string): void {
    const task: StepTask = { title };
    this.current = { id, task };
    this.chain = this.chain.then(() => this.run(title, task)).catch(() => {});
  }

  /** Shows `text` as the step's detail line; false when the step is not the one on screen. */
  show(id: string | undefined, text: string): boolean {
    if (!this.current || this.current.id !== id) return false;
    this.current.task.output = text;
    if (this.current.task.wrapper) this.current.task.wrapper.output = text;
    return true;
  }

  end(id: string, result: StepEnd): void {
    if (this.current?.id === id) {
      this.current.task.end = result;
      settle(this.current.task);
      return;
    }
    // Nothing on screen for this step (e.g. it ended after a prompt): one plain line.
    this.io.stderr.write(
      result.ok ? `✔ ${result.title}${result.skip ? ` (${result.skip})` : ''}\n` : `✖ ${id}: ${result.message}\n`,
    );
  }

  async suspend(detail: string): Promise<void> {
    if (!this.current) return;
    const { task, id } = this.current;
    this.current = undefined;
    task.end = { ok: true, title: `${id}: ${detail}` };
    settle(task);
    await this.chain;
  }

  async done(): Promise<void> {
    await this.chain;
  }
}

function onEvent(event: EngineEvent, screen: StepScreen, io: Pick<Io, 'stderr'>): void {
  switch (event.type) {
    case 'run-start':
      io.stderr.write(
        `${event.resumed ? 'resuming' : 'starting'} plan ${event.plan} (run ${event.runId.slice(0, 8)}, state ${event.statePath})\n`,
      );
      break;
    case 'approval': {
      const text = `approved by ${event.approvedBy} (${event.via === 'flag' ? '--approve' : 'prompt'})`;
      if (!screen.show(event.stepId, text)) io.stderr.write(`✔ ${event.stepId}: ${text}\n`);
      break;
    }
    case 'step-skip':
      if (event.reason === 'succeeded') io.stderr.write(`✔ ${event.stepId}: already succeeded\n`);
      break;
    case 'step-start':
      screen.start(
        event.stepId,
        `${event.stepId} (${event.stepType}${event.attempt > 1 ? `, attempt ${event.attempt}` : ''})`,
      );
      break;
    case 'progress':
      screen.show(event.stepId, event.detail);
      break;
    case 'warning':
      if (!screen.show(event.stepId, `warning: ${event.message}`)) io.stderr.write(`warning: ${event.message}\n`);
      break;
    case 'step-end':
      screen.end(event.stepId, stepEnd(event));
      break;
    default:
      break;
  }
}

/** How a step's end reads on screen. */
function stepEnd(event: Extract<EngineEvent, { type: 'step-end' }>): StepEnd {
  const took = formatDuration(event.durationMs);
  if (event.maxRuntime)
    return { ok: false, message: `paused by --max-runtime after ${took}; state saved, the next apply goes on` };
  if (event.interrupted) return { ok: false, message: `interrupted after ${took}; state saved, apply resumes it` };
  if (event.status === 'awaiting-approval')
    return { ok: true, title: `${event.stepId}: waiting for approval`, skip: 'approval needed' };
  if (event.error) return { ok: false, message: event.error.message };
  return { ok: true, title: `${event.stepId}: ${event.status} in ${took}` };
}
