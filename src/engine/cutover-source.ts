// The frozen source as the step that opened the cutover window tells it (docs/design.md "Cutover"):
// that step, the databases it froze, what they were before the freeze (from its checkpoint) and how
// the source stays held after the point of no return. Read by the handle given to steps, by the
// rollback and by the messages after the point of no return.
import type { StepSpec } from '../plan/types.js';
import type { AnyStepModule, FrozenBefore } from '../steps/step.js';
import type { RunSession } from './run-session.js';

/** The step that opened the state's window and its module (absent from this build: undefined module). */
export function windowOpener(session: RunSession): { spec: StepSpec; module: AnyStepModule | undefined } | undefined {
  const spec = session.plan.steps.find((s) => s.id === session.st.cutover?.openedBy);
  return spec ? { spec, module: session.deps.registry[spec.type] } : undefined;
}

/** "orders, billing", for messages. */
export function frozenDatabases(session: RunSession): string {
  const databases = (windowOpener(session)?.spec as { databases?: string[] } | undefined)?.databases;
  return databases?.length ? databases.join(', ') : 'the frozen databases';
}

/** How the source is held after the point of no return, as the freeze step describes it. */
export function heldAfter(session: RunSession): string {
  const opener = windowOpener(session);
  if (opener?.module?.heldAfter)
    return opener.module.heldAfter(opener.spec, session.st.steps[opener.spec.id]?.checkpoint);
  return `the source databases ${frozenDatabases(session)} stay read-only`;
}

/** The source's state before the freeze, from the freeze step's checkpoint (FreezeCheckpoint). */
export function frozenBefore(checkpoint: Record<string, unknown> | undefined): FrozenBefore {
  const cp = (checkpoint ?? {}) as {
    previous?: Record<string, string | null>;
    previousAcl?: Record<string, string[] | null>;
    recordDatabase?: string;
  };
  return {
    settings: { ...(cp.previous ?? {}) },
    ...(cp.previousAcl ? { acl: structuredClone(cp.previousAcl) } : {}),
    ...(cp.recordDatabase ? { recordDatabase: cp.recordDatabase } : {}),
  };
}
