// `status PLAN... --format markdown`: the fleet as one table for a pull request or a CI step summary
// ($GITHUB_STEP_SUMMARY): plan, step, status, live detail, approval, cutover, last update, lock, state.
import type { FleetRow } from '../fleet/fleet-row.js';
import { approvalText, cutoverText, detailText, lockText, summaryLine } from './fleet-text.js';

const cell = (s: string) => s.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
const code = (s: string) => '`' + s.replace(/`/g, "'") + '`';

const STATUS_MARK: Record<string, string> = {
  finished: '✅ finished',
  'in-progress': '🔄 in progress',
  'awaiting-approval': '⏸ awaiting approval',
  failed: '❌ failed',
  'rolled-back': '↩ rolled back',
  'not-started': '⚪ not started',
  unknown: '⚠ unreadable',
};

export function renderFleetMarkdown(rows: readonly FleetRow[], options: { timeScale?: number } = {}): string {
  const out = [`## aurora-migrate status: ${rows.length} plan${rows.length === 1 ? '' : 's'}`, ''];
  if (options.timeScale !== undefined)
    out.push(
      `> **Time scale** \`AURORA_MIGRATE_TIME_SCALE=${options.timeScale}\`: a rehearsal, waits divided by ${options.timeScale}.`,
      '',
    );
  out.push(
    '| Plan | Step | Status | Detail | Approval | Cutover | Updated | Lock | State |',
    '|---|---|---|---|---|---|---|---|---|',
  );
  for (const r of rows) {
    const step = r.step
      ? `${code(r.step.id)} ${r.step.number}/${r.step.of}${r.phase === 'finished' || r.phase === 'not-started' ? '' : ` (${r.step.status})`}`
      : '';
    const detail = r.error ? `⚠ ${r.error}` : (detailText(r) ?? '');
    const approval = r.approval ? `${approvalText(r.approval)}: ${code(r.approval.approveWith)}` : '';
    const row = [
      `${code(r.plan)}<br>${cell(r.planFile)}`,
      step,
      STATUS_MARK[r.phase] ?? r.phase,
      cell(detail),
      cell(approval),
      r.cutover ? cell(cutoverText(r.cutover)) : '',
      r.updatedAt ?? '',
      cell(r.lock ? `${lockText(r)}${r.lock.ciJobUrl ? ` [CI job](${r.lock.ciJobUrl})` : ''}` : ''),
      r.stateFile ? code(r.stateFile) : '',
    ];
    out.push(`| ${row.join(' | ')} |`);
  }
  out.push('', summaryLine(rows));
  return out.join('\n') + '\n';
}
