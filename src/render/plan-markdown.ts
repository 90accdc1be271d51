// `plan --format markdown`: a review to paste into a pull request: a summary table, then a section
// per step with its AWS calls (parameters as JSON), SQL, waits and approval gates.
import type { PlannedAction } from '../steps/step.js';
import { actionSummary, preflightSymbol, SERVICE_NAMES, waitLimits, type PlanView } from './plan-view.js';

const cell = (s: string) => s.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
const code = (s: string) => {
  const ticks = s.includes('`') ? '``' : '`';
  return `${ticks}${ticks === '``' ? ' ' : ''}${s}${ticks === '``' ? ' ' : ''}${ticks}`;
};
/** A fence longer than any run of backticks inside the block. */
const fence = (body: string) => '`'.repeat(Math.max(3, ...[...body.matchAll(/`+/g)].map((m) => m[0].length + 1)));

export function renderPlanMarkdown(view: PlanView): string {
  const { plan } = view;
  const out: string[] = [];
  out.push(`## aurora-migrate plan ${code(plan.name)}`, '');
  if (plan.description) out.push(plan.description.trim(), '');
  out.push(
    `File ${code(plan.file)} · ${plan.steps} step${plan.steps === 1 ? '' : 's'} · region ${plan.region ? code(plan.region) : 'from the AWS SDK configuration'}`,
  );
  if (plan.notify)
    out.push(
      '',
      `Notifications (awaiting approval, step failed, cutover window, finished) go to ${plan.notify.map(code).join(', ')}.`,
    );
  if (view.timeScale !== undefined)
    out.push(
      '',
      `> **Time scale** \`AURORA_MIGRATE_TIME_SCALE=${view.timeScale}\`: every wait, poll interval and timeout is divided by ${view.timeScale}.`,
    );
  if (view.state?.warning) out.push('', `> **State**: ${view.state.warning}`);
  else if (view.state?.found) out.push('', `State file ${code(view.state.path)}.`);
  out.push('', '| # | Step | Type | Status | Actions |', '|---|---|---|---|---|');
  view.steps.forEach((s, i) => {
    const what = s.error ? `⚠ ${s.error}` : actionSummary(s.actions);
    out.push(`| ${i + 1} | ${code(s.id)} | ${s.type} | ${s.status ?? 'pending'} | ${cell(what)} |`);
  });
  if (view.cutover) {
    const c = view.cutover;
    out.push(
      '',
      `**Cutover window** (opened by ${code(c.freezeStep)}): writes to ${c.databases.map(code).join(', ')} stop on the source; deadline ${c.window} after the freeze (drain at most ${c.drainTimeout}).`,
      '',
      `- inside the window: ${c.inside.map(code).join(', ')}`,
      `- point of no return: ${c.pointOfNoReturn ? `${code(c.pointOfNoReturn.stepId)}, ${c.pointOfNoReturn.what}` : 'none in this plan'}`,
      ...c.rules.map((r) => `- ${r}`),
    );
  }
  if (view.unresolved.length > 0) {
    out.push('', '**Unresolved values** (not set in the environment now; `apply` needs them):', '');
    for (const u of view.unresolved) out.push(`- ${code(u.ref)}, used by ${u.steps.map(code).join(', ')}`);
  }
  view.steps.forEach((s, i) => {
    out.push('', `### ${i + 1}. ${code(s.id)} (${s.type})${s.status ? `: ${s.status}` : ''}`, '');
    if (s.description) out.push(s.description, '');
    if (s.error) out.push(`> ⚠ ${s.error}`, '');
    if (!s.error && s.actions.length === 0) out.push('_This step type does not describe its actions yet._');
    for (const a of s.actions) out.push(...actionMarkdown(a, view.timeScale));
  });
  if (view.preflight) out.push('', ...preflightMarkdown(view.preflight));
  return out.join('\n') + '\n';
}

function actionMarkdown(a: PlannedAction, timeScale?: number): string[] {
  const note = (n?: string) => (n ? [`  _${n}_`] : []);
  switch (a.kind) {
    case 'aws': {
      const body = JSON.stringify(a.params, null, 2);
      const f = fence(body);
      return [
        `- **${SERVICE_NAMES[a.service] ?? a.service}** ${code(a.operation)}`,
        ...note(a.note),
        `  ${f}json`,
        ...body.split('\n').map((l) => `  ${l}`),
        `  ${f}`,
      ];
    }
    case 'sql': {
      const body = a.sql.trim() + (a.params?.length ? `\n-- params: ${JSON.stringify(a.params)}` : '');
      const f = fence(body);
      return ['- **SQL**', ...note(a.note), `  ${f}sql`, ...body.split('\n').map((l) => `  ${l}`), `  ${f}`];
    }
    case 'wait':
      return [`- **Wait** for ${a.for}: ${waitLimits(a, timeScale)}`, ...note(a.note)];
    case 'approval':
      return [`- **Approval gate**: ${a.message}`];
    case 'check':
      return [`- **Check**: ${a.description}`];
    default:
      return [`- ${code(JSON.stringify(a))}`];
  }
}

function preflightMarkdown(p: NonNullable<PlanView['preflight']>): string[] {
  const out = ['### Preflight', ''];
  if (p.error) return [...out, `Could not run: ${p.error}`];
  out.push('| Step | Result | Check | Detail |', '|---|---|---|---|');
  for (const s of p.steps)
    for (const c of s.checks)
      out.push(`| ${code(s.stepId)} | ${preflightSymbol(c.status)} | ${cell(c.check)} | ${cell(c.detail)} |`);
  out.push('', p.failed ? '**Preflight failed.**' : 'Preflight passed.');
  return out;
}
