// The apply engine: runs a plan's steps in order, or resumes them where the state file says they
// stopped. Library first: applyPlan(options, deps) returns an ApplyResult; it never prints, reads
// stdin or exits. Everything from outside (the run's storage, step types, AWS, database, clock, sleep,
// abort signal, prompt) is injected, so tests run it in-process with their own step types.
import type { Plan } from '../plan/types.js';
import { UsageError } from '../errors.js';
import type { ApplyEngineOptions, EngineDeps } from './engine-options.js';
import type { ApplyResult } from './result.js';
import { checkApproveFlags, resolveApprover } from './approval-gate.js';
import { currentUser } from './lock.js';
import { closeRun, openRun, type RunEnding, type RunSession } from './run-session.js';
import { resolveForRun, runStep } from './run-step.js';
import { preflightBeforeApply } from './preflight-gate.js';
import { checkUntilOutsideWindow, cutoverControl, type CutoverControl } from './cutover-window.js';
import { MaxRuntimeReached } from '../errors.js';

export { StateWriteFailed } from './run-session.js';

export type { ApplyEngineOptions, EngineDeps } from './engine-options.js';

/** Checks the command line against the plan: --approve ids must be approval steps, --until a step. */
export function checkApplyOptions(plan: Plan, options: Pick<ApplyEngineOptions, 'approve' | 'until'>): void {
  const byId = new Map(plan.steps.map((s) => [s.id, s] as const));
  const ids = plan.steps.map((s) => s.id).join(', ');
  if (options.until !== undefined && !byId.has(options.until)) {
    throw new UsageError(`--until "${options.until}" is not a step of plan "${plan.name}" (steps: ${ids}).`);
  }
  checkUntilOutsideWindow(plan, options.until);
  for (const id of options.approve ?? []) {
    const step = byId.get(id);
    if (!step) throw new UsageError(`--approve "${id}" is not a step of plan "${plan.name}" (steps: ${ids}).`);
    if (step.type !== 'approval') {
      const approvals = plan.steps.filter((s) => s.type === 'approval').map((s) => s.id);
      throw new UsageError(
        `--approve "${id}": step "${id}" is a ${step.type} step, not an approval step` +
          (approvals.length ? ` (approval steps: ${approvals.join(', ')}).` : ' (the plan has no approval steps).'),
      );
    }
  }
}

/**
 * Runs the plan: open the run, run each step that has not succeeded (within the cutover window's
 * rules), close the run. Never prints, reads stdin or exits.
 */
export async function applyPlan(options: ApplyEngineOptions, deps: EngineDeps): Promise<ApplyResult> {
  checkApplyOptions(options.plan, options);
  checkApproveFlags(options.plan.steps, options.approve, () => resolveApprover(options.env, deps.user ?? currentUser));
  const session = await openRun(options, deps);
  const cutover = cutoverControl(session);
  try {
    let ending =
      (await cutover.onResume()) ?? (await preflightBeforeApply(session)) ?? (await runSteps(session, cutover));
    if (ending.outcome === 'interrupted' && session.controller.signal.reason instanceof MaxRuntimeReached)
      ending = { ...ending, outcome: 'max-runtime' };
    return await closeRun(session, { ...ending, cutover: cutover.summary() });
  } finally {
    cutover.dispose();
    await session.dispose();
  }
}

/** Run one step after another until one does not succeed, `--until` is reached, or the run is stopped. */
async function runSteps(session: RunSession, cutover: CutoverControl): Promise<RunEnding> {
  const { plan, st, options, controller } = session;
  const untilIndex =
    options.until !== undefined ? plan.steps.findIndex((s) => s.id === options.until) : plan.steps.length - 1;
  for (let i = 0; i < plan.steps.length; i++) {
    const spec = plan.steps[i];
    if (st.steps[spec.id].status === 'succeeded') {
      session.emit({ type: 'step-skip', stepId: spec.id, reason: 'succeeded' });
      continue;
    }
    if (i > untilIndex) return { outcome: 'until' };
    session.deadline?.check(`before step "${spec.id}"`);
    if (controller.signal.aborted) return { outcome: 'interrupted' };
    const early = await cutover.beforeStep(spec, i);
    if (early) return early;
    if (!(await confirmed(session, spec))) return { outcome: 'interrupted' };
    const outcome = await runStep(session, spec, { windowPart: cutover.windowPart });
    const override = await cutover.afterStep(spec, i, outcome);
    if (override) return override;
    switch (outcome.status) {
      case 'succeeded':
        continue;
      case 'awaiting-approval':
        return { outcome: 'awaiting-approval', awaitingApproval: { stepId: spec.id, message: outcome.message } };
      case 'failed':
        return { outcome: 'failed', failed: { stepId: spec.id, error: outcome.error } };
      case 'interrupted':
        return { outcome: 'interrupted' };
    }
  }
  return { outcome: 'succeeded' };
}

/**
 * The step's question for the person at the terminal, asked before it first starts (never on a
 * resume of a step that already ran). A no: nothing was started, the run stops (exit 130) and the
 * same command asks again.
 */
async function confirmed(session: RunSession, spec: Plan['steps'][number]): Promise<boolean> {
  const { deps, st, controller } = session;
  const module = deps.registry[spec.type];
  if (!deps.confirm || !module?.confirmation || st.steps[spec.id].status !== 'pending') return true;
  let message: string | undefined;
  try {
    message = module.confirmation(resolveForRun(session, spec));
  } catch {
    return true; // unresolved values: the step fails on them itself, with its own message
  }
  if (!message) return true;
  const yes = await deps.confirm({ stepId: spec.id, message, signal: controller.signal });
  if (!yes) {
    session.log.append({ type: 'confirmation-declined', stepId: spec.id });
    session.emit({
      type: 'warning',
      message: `step "${spec.id}" was not started: not confirmed at the terminal. Nothing was changed by it; run apply again (or with --yes) to go on.`,
    });
  }
  return yes;
}
