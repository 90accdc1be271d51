// `plan --format json`: the review as one versioned JSON document on stdout.
import type { PlanView } from './plan-view.js';

export function renderPlanJson(view: PlanView): string {
  const doc = {
    version: 1,
    plan: view.plan,
    ...(view.timeScale !== undefined ? { timeScale: view.timeScale } : {}),
    ...(view.state ? { state: view.state } : {}),
    steps: view.steps.map((s) => ({
      id: s.id,
      type: s.type,
      ...(s.description !== undefined ? { description: s.description } : {}),
      ...(s.status !== undefined ? { status: s.status } : {}),
      actions: s.actions,
      ...(s.error ? { error: s.error } : {}),
    })),
    ...(view.cutover ? { cutover: view.cutover } : {}),
    unresolved: view.unresolved,
    ...(view.warnings && view.warnings.length > 0 ? { warnings: view.warnings } : {}),
    ...(view.preflight ? { preflight: view.preflight } : {}),
  };
  return JSON.stringify(doc, null, 2) + '\n';
}
