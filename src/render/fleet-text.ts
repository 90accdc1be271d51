// `status PLAN...` with several plans, as text: one row per plan (plan, step, status, last update,
// lock), the row's details indented under it (live detail, approval, cutover, error, state location),
// then a one-line count by phase.
import type { FleetPhase, FleetRow } from '../fleet/fleet-row.js';
import { pad, painter, statusWord, type Paint } from './status-format.js';
import { formatDuration } from '../plan/units.js';
import { present } from '../invariant.js';

export function renderFleetText(rows: readonly FleetRow[], options: { color: boolean; timeScale?: number }): string {
  const paint = painter(options.color);
  const head = ['PLAN', 'STEP', 'STATUS', 'UPDATED', 'LOCK'];
  const cells = rows.map((r) => [r.plan, stepCell(r), statusCell(r, paint), r.updatedAt ?? '-', lockText(r)]);
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => visible(c[i]))) + 2);
  const indent = ' '.repeat(widths[0]);
  const out: string[] = [];
  if (options.timeScale !== undefined)
    out.push(
      paint(
        'yellow',
        `AURORA_MIGRATE_TIME_SCALE=${options.timeScale}: waits are divided by ${options.timeScale} (rehearsal).`,
      ),
      '',
    );
  out.push(
    paint(
      'gray',
      head
        .map((h, i) => pad(h, widths[i]))
        .join('')
        .trimEnd(),
    ),
  );
  rows.forEach((r, n) => {
    out.push(
      cells[n]
        .map((c, i) => pad(c, widths[i]))
        .join('')
        .trimEnd(),
    );
    for (const line of detailLines(r, paint)) out.push(indent + line);
  });
  out.push('', summaryLine(rows));
  return out.join('\n') + '\n';
}

const visible = (s: string) => s.replace(/\u001b\[\d+m/g, '').length;

function stepCell(r: FleetRow): string {
  if (!r.step) return '-';
  return `${r.step.id} (${r.step.number}/${r.step.of})`;
}

function statusCell(r: FleetRow, paint: Paint): string {
  if (r.state === 'unreadable') return paint('red', 'unreadable');
  if (r.state === 'invalid-plan') return paint('red', 'invalid plan');
  if (r.phase === 'finished') return paint('green', 'finished');
  if (r.phase === 'not-started') return paint('gray', 'not started');
  if (r.phase === 'rolled-back') return paint('yellow', 'rolled back');
  return statusWord(present(r.step, `the current step of plan ${r.plan}`).status, paint);
}

/** "pid 4242 on ci-7 (heartbeat 3s ago)", "stale: pid …", or "-". */
export function lockText(r: FleetRow): string {
  const l = r.lock;
  if (!l) return '-';
  const who = l.pid !== undefined ? `pid ${l.pid} on ${l.host}` : 'an unknown process';
  return `${l.stale ? 'stale: ' : ''}${who} (heartbeat ${formatDuration(l.heartbeatAgeMs)} ago)`;
}

/** "needs 2 of dba-oncall, alice; given by bob" */
export function approvalText(a: NonNullable<FleetRow['approval']>): string {
  const who = a.approvers
    ? `${a.required > 1 ? `${a.required} of ` : ''}${a.approvers.join(', ')}`
    : `anyone${a.required > 1 ? ` (${a.required} people)` : ''}`;
  const given = a.approvedBy.length ? `; given by ${a.approvedBy.join(', ')}` : '';
  return `"${a.stepId}" waits for approval by ${who}${given}`;
}

/** "committed, write downtime 12.3s" / "rolled back (2 earlier)". */
export function cutoverText(c: NonNullable<FleetRow['cutover']>): string {
  const word =
    {
      open: 'window open (writes frozen)',
      committed: 'past the point of no return',
      'rolling-back': 'rollback NOT finished',
      'rolled-back': 'rolled back',
    }[c.status] ?? c.status;
  const parts = [c.switchedAt ? `switched at ${c.switchedAt}` : word];
  if (c.writeDowntime) parts.push(`write downtime ${c.writeDowntime}`);
  if (c.rolledBackBefore)
    parts.push(`${c.rolledBackBefore} earlier attempt${c.rolledBackBefore === 1 ? '' : 's'} rolled back`);
  return parts.join(', ');
}

/** The live detail with when it was reported: "lag 3s, … (as of 18:01:02Z)". */
export function detailText(r: FleetRow): string | undefined {
  if (!r.detail) return undefined;
  const firstLine = r.detail.split('\n')[0];
  return r.detailAt ? `${firstLine} (as of ${r.detailAt})` : firstLine;
}

function detailLines(r: FleetRow, paint: Paint): string[] {
  const lines: string[] = [];
  if (r.error) lines.push(`${paint('red', 'error')}: ${r.error}`);
  const detail = detailText(r);
  if (detail) lines.push(r.step?.status === 'failed' ? `${paint('red', 'failed')}: ${detail}` : detail);
  if (r.approval) lines.push(`approval: ${approvalText(r.approval)}; approve with: ${r.approval.approveWith}`);
  if (r.cutover) lines.push(`cutover: ${cutoverText(r.cutover)}`);
  if (r.lock?.ciJobUrl) lines.push(`lock held by CI job ${r.lock.ciJobUrl}`);
  lines.push(
    paint(
      'gray',
      r.stateFile ? `state ${r.stateFile}${r.state === 'none' ? ' (none yet)' : ''}` : `file ${r.planFile}`,
    ),
  );
  return lines;
}

const PHASE_WORDS: Record<FleetPhase, string> = {
  'not-started': 'not started',
  'in-progress': 'in progress',
  'awaiting-approval': 'awaiting approval',
  failed: 'failed',
  'rolled-back': 'rolled back',
  finished: 'finished',
  unknown: 'unreadable',
};

/** "4 plans: 1 in progress, 1 awaiting approval, 2 finished." */
export function summaryLine(rows: readonly FleetRow[]): string {
  const counts = new Map<FleetPhase, number>();
  for (const r of rows) counts.set(r.phase, (counts.get(r.phase) ?? 0) + 1);
  const order: FleetPhase[] = [
    'in-progress',
    'awaiting-approval',
    'failed',
    'rolled-back',
    'not-started',
    'finished',
    'unknown',
  ];
  const parts = order.filter((p) => counts.get(p)).map((p) => `${counts.get(p)} ${PHASE_WORDS[p]}`);
  return `${rows.length} plan${rows.length === 1 ? '' : 's'}: ${parts.join(', ')}.`;
}
