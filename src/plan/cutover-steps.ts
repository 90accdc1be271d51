// Which steps of a plan form its cutover window (docs/cutover.md): from the freeze-writes step to
// the first step whose irreversible request is the point of no return — promote (the promotion), or
// on the snapshot route switch-endpoint (the DNS change). Used by the engine (rules) and the dry-run.
import type { StepSpec } from './types.js';

/** Step types whose irreversible request is the cutover's point of no return. */
export const POINT_OF_NO_RETURN_TYPES: ReadonlySet<string> = new Set(['promote', 'switch-endpoint']);

export interface CutoverSteps {
  /** The freeze-writes step. */
  freeze: string;
  /** Steps inside the window before the point of no return, the freeze first. */
  inside: string[];
  /** The step that crosses the point of no return (absent: the plan never crosses it). */
  pointOfNoReturn?: { stepId: string; type: string; what: string };
}

export function cutoverSteps(plan: { steps: readonly Pick<StepSpec, 'id' | 'type'>[] }): CutoverSteps | undefined {
  const start = plan.steps.findIndex((s) => s.type === 'freeze-writes');
  if (start < 0) return undefined;
  const inside: string[] = [];
  for (const s of plan.steps.slice(start)) {
    if (POINT_OF_NO_RETURN_TYPES.has(s.type)) {
      const what = s.type === 'promote' ? 'PromoteReadReplicaDBCluster sent' : 'Route 53 change sent';
      return { freeze: plan.steps[start].id, inside, pointOfNoReturn: { stepId: s.id, type: s.type, what } };
    }
    inside.push(s.id);
  }
  return { freeze: plan.steps[start].id, inside };
}

/** Connection fields whose user must keep CONNECT on a fenced database (DESIGN "The fence": kept roles). */
const CONNECTION_FIELDS = ['connection', 'replicaConnection', 'source', 'target'] as const;

export interface WindowConnectionUser {
  stepId: string;
  field: string;
  /** The user as written in the plan (may hold ${…} references). */
  user: string;
}

/**
 * The users of every database connection from the freeze-writes step to the end of the plan — the
 * freeze's own, promote's replicaConnection, verify-data's source and target, logical-switchover's,
 * any later connection to the source, and the user a logical-replica step's subscription connects as.
 * A fence keeps CONNECT for each of them.
 */
export function windowConnectionUsers(plan: { steps: readonly StepSpec[] }): WindowConnectionUser[] {
  const start = plan.steps.findIndex((s) => s.type === 'freeze-writes');
  if (start < 0) return [];
  const users: WindowConnectionUser[] = [];
  // The logical subscription's walsender logs in to the source as the logical-replica step's source
  // user (that step runs before the freeze): a fence that took CONNECT from it would stop replication.
  for (const step of plan.steps.slice(0, start)) {
    if (step.type === 'logical-replica') users.push({ stepId: step.id, field: 'source', user: step.source.user });
  }
  for (const step of plan.steps.slice(start)) {
    for (const field of CONNECTION_FIELDS) {
      const conn = (step as unknown as Record<string, unknown>)[field];
      if (conn && typeof conn === 'object' && typeof (conn as { user?: unknown }).user === 'string') {
        users.push({ stepId: step.id, field, user: (conn as { user: string }).user });
      }
    }
  }
  return users;
}
