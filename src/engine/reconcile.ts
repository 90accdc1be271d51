// Lines a state file up with the plan before a run: new steps become pending, edits to steps that
// have not succeeded are taken as they are, and an edit to a step that already succeeded (or the
// removal of a step that ran) stops the run with exit 4 naming the step.
import type { Plan } from '../plan/types.js';
import { StateConflict } from '../errors.js';
import { stepContentHash } from './hash.js';
import { STATE_VERSION, type StateFile, type StepState } from './state-file.js';

export interface ReconcileResult {
  state: StateFile;
  /** True when the state file existed and some step had started before. */
  resumed: boolean;
  /** Notes for the user (a changed step that had not finished, a new run after the plan finished). */
  notes: string[];
}

export function newState(planName: string, runId: string, nowIso: string): StateFile {
  return {
    version: STATE_VERSION,
    plan: planName,
    runId,
    createdAt: nowIso,
    updatedAt: nowIso,
    steps: {},
    approvals: [],
  };
}

export function reconcile(
  plan: Plan,
  existing: StateFile | undefined,
  opts: { newRunId(): string; nowIso: string },
): ReconcileResult {
  const base = existing ? structuredClone(existing) : newState(plan.name, opts.newRunId(), opts.nowIso);
  const notes: string[] = [];
  const changed: string[] = [];
  const removed: string[] = [];
  const steps: Record<string, StepState> = {};
  const planIds = new Set(plan.steps.map((s) => s.id));

  for (const spec of plan.steps) {
    const hash = stepContentHash(spec);
    const prev = base.steps[spec.id];
    if (!prev) {
      steps[spec.id] = { type: spec.type, hash, status: 'pending', attempts: 0, warnings: [] };
      continue;
    }
    if (prev.hash !== hash) {
      if (prev.status === 'succeeded') {
        changed.push(spec.id);
      } else if (prev.status !== 'pending') {
        notes.push(
          `step "${spec.id}" was edited since its last attempt (${prev.status}); it resumes with the new definition`,
        );
      }
      const next: StepState = { ...prev, hash };
      if (prev.type !== spec.type) {
        next.type = spec.type;
        delete next.checkpoint;
      }
      steps[spec.id] = next;
    } else {
      steps[spec.id] = prev;
    }
  }
  for (const [id, s] of Object.entries(base.steps)) {
    if (!planIds.has(id) && s.status !== 'pending') removed.push(`"${id}" (${s.status})`);
  }

  if (changed.length > 0 || removed.length > 0) {
    const parts: string[] = [];
    if (changed.length === 1) parts.push(`step "${changed[0]}" changed after it succeeded`);
    else if (changed.length > 1)
      parts.push(`steps ${changed.map((c) => `"${c}"`).join(', ')} changed after they succeeded`);
    if (removed.length > 0)
      parts.push(
        `step${removed.length > 1 ? 's' : ''} ${removed.join(', ')} ran but ${removed.length > 1 ? 'are' : 'is'} no longer in the plan`,
      );
    throw new StateConflict(
      `the plan ${plan.file} does not match its state file: ${parts.join('; ')}. ` +
        `A step that already ran cannot be edited in place. Undo the edit, or start over with a new state file ` +
        `(--state PATH): steps adopt the resources they already created.`,
    );
  }

  base.steps = steps;
  const resumed = !!existing && Object.values(existing.steps).some((s) => s.status !== 'pending');
  const hasWork = plan.steps.some((s) => steps[s.id].status !== 'succeeded');
  if (base.finishedAt && hasWork) {
    // The previous run of this plan had finished; new steps start a new run.
    base.runId = opts.newRunId();
    delete base.finishedAt;
    notes.push(`the plan had finished before; new steps run as run ${base.runId}`);
  }
  return { state: base, resumed, notes };
}
