// The report as GitHub-flavoured markdown, for a pull request comment or $GITHUB_STEP_SUMMARY:
// tables and a text sparkline of the lag, no HTML. Several plans: an overview table with a row and
// a sparkline per plan, then each plan. "#N" is the N-th record of the plan's event log.
import type { LagSeries, PlanRun, ReportModel } from './model.js';
import { between, fmtClock, fmtDuration, fmtLag, fmtRef, fmtRefRange, fmtTime, sparkline } from './format.js';
import { present } from '../invariant.js';

/** A table cell: no line breaks, pipes escaped. */
const cell = (s: string) => s.replace(/\r?\n/g, ' ').replace(/\|/g, '\\|');
const code = (s: string) => `\`${s.replace(/`/g, "'")}\``;

function table(headers: string[], rows: string[][]): string {
  return [
    `| ${headers.join(' | ')} |`,
    `|${headers.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`),
  ].join('\n');
}

export function renderMarkdown(model: ReportModel): string {
  const out: string[] = [];
  if (model.plans.length > 1) {
    out.push(`# aurora-migrate run report — ${model.plans.length} plans`, '');
    out.push(
      table(
        ['Plan', 'Outcome', 'Started', 'Finished', 'Write downtime', 'Lag'],
        model.plans.map((p) => {
          const w = p.cutover.at(-1);
          const lag = p.lag[0];
          return [
            p.plan,
            p.problem ? `cannot read: ${p.problem}` : p.outcome,
            fmtTime(p.startedAt),
            p.finishedAt ? fmtTime(p.finishedAt) : '—',
            w?.writeDowntimeSeconds !== undefined && w.writeDowntimeRef !== undefined
              ? `${fmtDuration(w.writeDowntimeSeconds * 1000)} (${fmtRef(w.writeDowntimeRef)})`
              : (w?.outcome ?? '—'),
            lag
              ? `${code(
                  sparkline(
                    lag.samples.map((s) => s.value),
                    24,
                  ),
                )} ${fmtLag(present(lag.samples.at(-1), `the last sample of ${lag.metric}`).value, lag.unit)}`
              : '—',
          ];
        }),
      ),
      '',
    );
  }
  for (const p of model.plans) out.push(planMarkdown(p, model.plans.length > 1 ? '##' : '#'), '');
  out.push(
    `<sub>Generated ${fmtTime(model.generatedAt)} by aurora-migrate report. #N: the N-th record of the plan's event log; "state": read from the state file.</sub>`,
    '',
  );
  return out.join('\n');
}

function planMarkdown(p: PlanRun, h: string): string {
  const out: string[] = [`${h} ${p.plan}: ${p.problem ? 'state not readable' : p.outcome}`, ''];
  if (p.description) out.push(`> ${p.description}`, '');
  out.push(table(['', ''], facts(p)), '');
  if (p.problem) return [...out, `**${p.problem}**`].join('\n');
  if (!p.hasState) return [...out, `No run yet: there is no state at ${code(p.stateLocation)}.`].join('\n');

  const sub = `${h}#`;
  out.push(...stepsSection(p, sub));
  if (p.lag.length) out.push(`${sub} Replication lag`, '', ...p.lag.map(lagLine), '');
  out.push(
    ...copySection(p, sub),
    ...cutoverSections(p, sub),
    ...approvalsSection(p, sub),
    ...notificationsSection(p, sub),
    ...awsCallsSection(p, sub),
    ...problemsSection(p, sub),
  );
  return out.join('\n').trimEnd();
}

/** Where the plan, state and event log are, and when and by whom it ran. */
function facts(p: PlanRun): string[][] {
  const rows: string[][] = [
    ['Plan file', code(p.planFile)],
    ['State', code(p.stateLocation)],
    ['Event log', `${code(p.eventLogLocation)} (${p.eventCount} records)`],
  ];
  if (p.runId) rows.push(['Run id', code(p.runId)]);
  if (p.startedAt) rows.push(['Started', fmtTime(p.startedAt)]);
  if (p.finishedAt) rows.push(['Finished', `${fmtTime(p.finishedAt)} (${between(p.startedAt, p.finishedAt)})`]);
  else if (p.updatedAt) rows.push(['Last update', fmtTime(p.updatedAt)]);
  if (p.invocations.length)
    rows.push([
      'Runs of apply',
      p.invocations
        .map((i) => `${i.user ?? '?'} at ${fmtTime(i.at)} → ${i.outcome ?? 'no end recorded'} (${fmtRef(i.ref)})`)
        .join('; '),
    ]);
  return rows;
}

function stepsSection(p: PlanRun, sub: string): string[] {
  const rows = p.steps.map((s) => {
    const first = s.runs[0];
    const last = s.runs.at(-1);
    return [
      code(s.id),
      s.type,
      s.status + (s.error ? `: ${s.error}` : ''),
      String(s.attempts),
      first ? fmtTime(first.startedAt) : '—',
      last?.endedAt ? fmtTime(last.endedAt) : '—',
      first && last?.endedAt ? between(first.startedAt, last.endedAt) : '—',
      fmtRefRange(s.runs.flatMap((r) => [r.ref, ...(r.endRef ? [r.endRef] : [])])),
    ];
  });
  return [
    `${sub} Steps`,
    '',
    table(['Step', 'Type', 'Status', 'Attempts', 'Started', 'Ended', 'Took', 'Events'], rows),
    '',
  ];
}

function copySection(p: PlanRun, sub: string): string[] {
  if (!p.copy.length) return [];
  const rows = p.copy.map((c) => {
    const last = present(c.samples.at(-1), `the last copy sample of ${c.table}`);
    return [
      code(c.stepId),
      c.table,
      `${last.rows}${last.totalRows !== undefined ? ` of ~${last.totalRows}` : ''}`,
      fmtTime(last.at),
      String(c.samples.length),
      fmtRefRange(c.samples.map((x) => x.ref)),
    ];
  });
  return [`${sub} Logical copy`, '', table(['Step', 'Table', 'Rows copied', 'At', 'Samples', 'Events'], rows), ''];
}

/** One section per cutover window (attempts numbered when there were several). */
function cutoverSections(p: PlanRun, sub: string): string[] {
  return p.cutover.flatMap((w, i) => {
    const line = [
      `Opened by ${code(w.openedBy)}${w.databases?.length ? ` (databases ${w.databases.join(', ')})` : ''}, deadline ${fmtTime(w.deadline)}, outcome **${w.outcome}**.`,
    ];
    if (w.writeDowntimeSeconds !== undefined && w.writeDowntimeRef !== undefined)
      line.push(
        `**Write downtime ${fmtDuration(w.writeDowntimeSeconds * 1000)}** (freeze → DNS change INSYNC, ${fmtRef(w.writeDowntimeRef)}).`,
      );
    if (w.rollbackReason) line.push(`Rollback: ${w.rollbackReason}.`);
    return [
      `${sub} Cutover window${p.cutover.length > 1 ? ` (attempt ${i + 1} of ${p.cutover.length})` : ''}`,
      '',
      line.join(' '),
      '',
      table(
        ['Milestone', 'At', 'Since the freeze', 'Step', 'Detail', 'Event'],
        w.milestones.map((m) => [
          m.label,
          fmtTime(m.at),
          `+${between(w.frozenAt, m.at)}`,
          code(m.stepId),
          m.detail ?? '',
          fmtRef(m.ref),
        ]),
      ),
      '',
    ];
  });
}

function approvalsSection(p: PlanRun, sub: string): string[] {
  if (!p.approvals.length) return [];
  const rows = p.approvals.map((a) => [
    code(a.stepId),
    a.approvedBy,
    a.source ?? '—',
    a.via === 'flag' ? '--approve' : a.via,
    fmtTime(a.at),
    (a.host ?? '—') + (a.ciRun ? ` ([CI run](${a.ciRun}))` : ''),
    fmtRef(a.ref),
  ]);
  return [
    `${sub} Approvals`,
    '',
    table(['Step', 'Approved by', 'Identity from', 'How', 'At', 'Host', 'Event'], rows),
    '',
  ];
}

function notificationsSection(p: PlanRun, sub: string): string[] {
  if (!p.notifications.length) return [];
  const rows = p.notifications.map((n) => [
    n.event,
    fmtTime(n.at),
    n.sent.join(', ') || '—',
    n.failed.map((f) => `${f.target}: ${f.reason}`).join('; ') || '—',
    fmtRef(n.ref),
  ]);
  return [`${sub} Notifications`, '', table(['Event', 'At', 'Sent to', 'Failed', 'Event'], rows), ''];
}

function awsCallsSection(p: PlanRun, sub: string): string[] {
  if (p.awsCalls.length === 0) return [`${sub} AWS calls`, '', 'No call that changes anything was recorded.', ''];
  const rows = p.awsCalls.map((c) => [
    c.service,
    c.operation,
    String(c.count),
    c.refs.map(fmtRef).join(', ') + (c.count > c.refs.length ? ', …' : ''),
  ]);
  return [
    `${sub} AWS calls`,
    '',
    `Calls that change something, by operation, as the event log records them (reads are not logged).`,
    '',
    table(['Service', 'Operation', 'Calls', 'Events'], rows),
    '',
  ];
}

function problemsSection(p: PlanRun, sub: string): string[] {
  if (!p.problems.length) return [];
  const rows = p.problems.map((x) => [
    x.kind,
    fmtTime(x.at),
    x.stepId ? code(x.stepId) : '—',
    x.message,
    fmtRef(x.ref),
  ]);
  return [`${sub} Errors and warnings`, '', table(['Kind', 'At', 'Step', 'Message', 'Event'], rows), ''];
}

function lagLine(s: LagSeries): string {
  const known = s.samples.filter((x) => x.value !== null) as Array<{ at: string; value: number; ref: number }>;
  const max = known.reduce<(typeof known)[number] | undefined>((a, b) => (a && a.value >= b.value ? a : b), undefined);
  const last = present(s.samples.at(-1), `the last sample of ${s.metric}`);
  return (
    `- ${code(s.stepId)}: ${s.metric} of ${code(s.of)}, ${s.samples.length} polls (${fmtRefRange(s.samples.map((x) => x.ref))}), ` +
    `${s.samples.length - known.length} unknown: ${code(sparkline(s.samples.map((x) => x.value)))} ` +
    `last ${fmtLag(last.value, s.unit)}` +
    (max ? `, highest ${fmtLag(max.value, s.unit)} at ${fmtClock(max.at)} (${fmtRef(max.ref)})` : '') +
    (s.threshold !== undefined ? `, maxLag ${fmtLag(s.threshold, s.unit)}` : '')
  );
}
