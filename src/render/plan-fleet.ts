// `plan PLAN...` with several plans. A reviewer of a pull request that touches several plans approves
// what each of them will do, so every plan's full dry-run is there, each as it prints alone; a summary
// table comes first (steps still to run, what they send, approval gates, whether a cutover window
// opens, the state) so the reviewer sees at a glance which plans do something. In markdown each
// review is a collapsible section, open when the plan has steps to run and folded when it has finished
// (Atlantis does the same for a pull request that touches several projects).
import type { Diagnostic } from '../plan/load.js';
import type { PlanView } from './plan-view.js';
import { actionSummary } from './plan-view.js';
import { renderPlanText } from './plan-text.js';
import { renderPlanMarkdown } from './plan-markdown.js';
import { renderPlanJson } from './plan-json.js';
import { pad } from './status-format.js';

/** One plan of the review: its view, or why it could not be reviewed. */
export type PlanFleetEntry =
  | { file: string; view: PlanView }
  | { file: string; invalid: Diagnostic[] }
  | { file: string; error: string };

interface SummaryRow {
  plan: string;
  file: string;
  toRun: string;
  what: string;
  cutover: string;
  state: string;
}

function summaryRow(e: PlanFleetEntry): SummaryRow {
  if (!('view' in e)) {
    const why =
      'invalid' in e ? `invalid plan (${e.invalid.filter((d) => d.severity === 'error').length} errors)` : e.error;
    return { plan: '-', file: e.file, toRun: '-', what: why, cutover: '-', state: '-' };
  }
  const v = e.view;
  const pending = v.steps.filter((s) => s.status !== 'succeeded');
  const actions = pending.flatMap((s) => s.actions);
  return {
    plan: v.plan.name,
    file: v.plan.file,
    toRun: `${pending.length} of ${v.steps.length}`,
    what:
      pending.length === 0
        ? 'nothing (finished)'
        : actionSummary(actions) +
          (v.unresolved.length
            ? `; ${v.unresolved.length} unresolved value${v.unresolved.length === 1 ? '' : 's'}`
            : ''),
    cutover: v.cutover ? `yes: from "${v.cutover.freezeStep}", window ${v.cutover.window}` : 'no',
    state: v.state?.warning
      ? `ignored: ${v.state.warning}`
      : v.state?.found
        ? v.state.path
        : `none yet (${v.state?.path ?? '-'})`,
  };
}

const finished = (e: PlanFleetEntry) => 'view' in e && e.view.steps.every((s) => s.status === 'succeeded');

export function renderPlanFleetText(entries: readonly PlanFleetEntry[], color: boolean): string {
  const rows = entries.map(summaryRow);
  const head: SummaryRow = {
    plan: 'PLAN',
    file: 'FILE',
    toRun: 'TO RUN',
    what: 'WHAT APPLY WOULD DO',
    cutover: 'CUTOVER',
    state: 'STATE',
  };
  const keys = Object.keys(head) as Array<keyof SummaryRow>;
  const widths = keys.map((k) => Math.max(...[head, ...rows].map((r) => r[k].length)) + 2);
  const line = (r: SummaryRow) =>
    keys
      .map((k, i) => pad(r[k], widths[i]))
      .join('')
      .trimEnd();
  const out = [`aurora-migrate plan: ${entries.length} plans`, '', line(head), ...rows.map(line)];
  for (const e of entries) {
    if (!('view' in e)) continue;
    out.push(
      '',
      `${'='.repeat(8)} ${e.view.plan.name} (${e.file}) ${'='.repeat(8)}`,
      '',
      renderPlanText(e.view, color).trimEnd(),
    );
  }
  return out.join('\n') + '\n';
}

export function renderPlanFleetMarkdown(entries: readonly PlanFleetEntry[]): string {
  const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
  const code = (s: string) => '`' + s.replace(/`/g, "'") + '`';
  const out = [
    `## aurora-migrate plan: ${entries.length} plans`,
    '',
    '| Plan | File | Steps to run | What apply would do | Cutover window | State |',
    '|---|---|---|---|---|---|',
  ];
  for (const r of entries.map(summaryRow))
    out.push(
      `| ${r.plan === '-' ? '' : code(r.plan)} | ${code(r.file)} | ${r.toRun} | ${cell(r.what)} | ${cell(r.cutover)} | ${cell(r.state)} |`,
    );
  for (const e of entries) {
    if (!('view' in e)) continue;
    const r = summaryRow(e);
    out.push(
      '',
      `<details${finished(e) ? '' : ' open'}><summary><code>${e.view.plan.name}</code> (${e.file}): ${r.toRun} steps to run</summary>`,
      '',
      renderPlanMarkdown(e.view).trimEnd(),
      '',
      '</details>',
    );
  }
  return out.join('\n') + '\n';
}

/** `{"version": 1, "plans": [...]}`: each plan's own document (without its version), or its diagnostics. */
export function renderPlanFleetJson(entries: readonly PlanFleetEntry[]): string {
  const plans = entries.map((e) => {
    if ('view' in e) {
      const { version: _v, ...doc } = JSON.parse(renderPlanJson(e.view)) as Record<string, unknown>;
      return doc;
    }
    return 'invalid' in e ? { file: e.file, valid: false, diagnostics: e.invalid } : { file: e.file, error: e.error };
  });
  return JSON.stringify({ version: 1, plans }, null, 2) + '\n';
}
