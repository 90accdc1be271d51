// `plan` as text: numbered steps, each with the AWS operations and their parameters, the SQL, the
// waits with their longest duration, and the approval gates.
import type { PlannedAction } from '../steps/step.js';
import {
  descriptionLines,
  metricQueryLine,
  paramValue,
  preflightSymbol,
  SERVICE_NAMES,
  waitLimits,
  type PlanView,
} from './plan-view.js';

export function renderPlanText(view: PlanView, color = false): string {
  const bold = (s: string) => (color ? `\u001b[1m${s}\u001b[0m` : s);
  const dim = (s: string) => (color ? `\u001b[2m${s}\u001b[0m` : s);
  const lines: string[] = [];
  const { plan } = view;
  lines.push(
    bold(`Plan ${plan.name}`) +
      ` (${plan.file}): ${plan.steps} step${plan.steps === 1 ? '' : 's'}, region ${plan.region ?? '(from the AWS SDK configuration)'}`,
  );
  if (plan.description) lines.push(...descriptionLines(plan.description, '  '));
  if (plan.notify)
    lines.push(
      `Notify: ${plan.notify.join(', ')} (awaiting approval, step failed, cutover window opened/closed, finished; each at most once)`,
    );
  if (view.timeScale !== undefined) {
    lines.push(
      `Time scale: AURORA_MIGRATE_TIME_SCALE=${view.timeScale}: apply divides every wait, poll interval and timeout by ${view.timeScale}`,
    );
  }
  if (view.state) {
    if (view.state.warning) lines.push(`State: ${view.state.warning}`);
    else if (view.state.found) lines.push(`State: ${view.state.path}`);
    else lines.push(`State: none yet (${view.state.path}); every step is pending`);
  }
  if (view.cutover) lines.push('', ...cutoverLines(view, view.cutover, bold));
  view.steps.forEach((step, i) => {
    lines.push('');
    const status = step.status ? ` [${step.status}]` : '';
    lines.push(bold(`${i + 1}. ${step.id}`) + ` (${step.type})${status}`);
    if (step.description) lines.push(...descriptionLines(step.description, '   '));
    if (step.error) lines.push(`   ! ${step.error}`);
    if (!step.error && step.actions.length === 0)
      lines.push(dim('   (this step type does not describe its actions yet)'));
    for (const action of step.actions) lines.push(...actionLines(action, view.timeScale));
  });
  if (view.unresolved.length > 0) {
    lines.push('', 'Unresolved values (not set in the environment now; apply needs them):');
    for (const u of view.unresolved) lines.push(`  ${u.ref}  used by ${u.steps.join(', ')}`);
  }
  if (view.preflight) lines.push('', ...preflightLines(view.preflight));
  return lines.join('\n') + '\n';
}

function actionLines(a: PlannedAction, timeScale?: number): string[] {
  const out: string[] = [];
  const note = (n?: string) => (n ? [`       note: ${n}`] : []);
  switch (a.kind) {
    case 'aws': {
      out.push(`   - ${SERVICE_NAMES[a.service] ?? a.service} ${a.operation}`);
      for (const [k, v] of Object.entries(a.params)) {
        if (k === 'MetricDataQueries' && Array.isArray(v))
          out.push(`       ${k}:`, ...v.map((q) => `         - ${metricQueryLine(q)}`));
        else out.push(`       ${k}: ${paramValue(v)}`);
      }
      out.push(...note(a.note));
      break;
    }
    case 'sql':
      out.push('   - SQL:');
      for (const line of a.sql.trim().split('\n')) out.push(`       ${line}`);
      if (a.params && a.params.length > 0) out.push(`       params: ${JSON.stringify(a.params)}`);
      out.push(...note(a.note));
      break;
    case 'wait':
      out.push(`   - wait for ${a.for} (${waitLimits(a, timeScale)})`);
      out.push(...note(a.note));
      break;
    case 'approval':
      out.push(`   - approval gate: ${a.message}`);
      break;
    case 'check':
      out.push(`   - check: ${a.description}`);
      break;
    default: {
      const unknown = a as { kind?: unknown };
      out.push(`   - ${String(unknown.kind)}: ${JSON.stringify(a)}`);
    }
  }
  return out;
}

function preflightLines(p: NonNullable<PlanView['preflight']>): string[] {
  const lines = ['Preflight:'];
  if (p.error) return [...lines, `  could not run: ${p.error}`];
  for (const s of p.steps) {
    lines.push(`  ${s.stepId} (${s.type})`);
    if (s.checks.length === 0) lines.push('    (no checks)');
    for (const c of s.checks) lines.push(`    ${preflightSymbol(c.status)}  ${c.check}: ${c.detail}`);
  }
  lines.push(p.failed ? 'Preflight failed: fix the FAIL items above before apply.' : 'Preflight passed.');
  return lines;
}

/** The cutover window as one block: what is frozen, the deadline, the steps inside, the point of no return. */
function cutoverLines(view: PlanView, c: NonNullable<PlanView['cutover']>, bold: (s: string) => string): string[] {
  const stepOf = (id: string) => view.steps.findIndex((s) => s.id === id) + 1;
  const lines = [
    bold('Cutover window') +
      ` (opened by step ${stepOf(c.freezeStep)}. ${c.freezeStep}): writes to ${c.databases.join(', ')} stop on the source; deadline ${c.window} after the freeze (drain at most ${c.drainTimeout})`,
    `  inside the window: ${c.inside.map((id) => `${stepOf(id)}. ${id}`).join(', ')}`,
    c.pointOfNoReturn
      ? `  point of no return: step ${stepOf(c.pointOfNoReturn.stepId)}. ${c.pointOfNoReturn.stepId}, ${c.pointOfNoReturn.what}`
      : '  point of no return: none in this plan',
    ...c.rules.map((r) => `  - ${r}`),
  ];
  return lines;
}
