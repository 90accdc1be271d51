// The report as ONE self-contained HTML page: inline CSS and inline SVG charts, no script, nothing
// loaded from anywhere (a Content-Security-Policy of default-src 'none' says so to the browser too),
// readable on screen and printed to PDF. Several plans: an overview with a row and a small chart per
// plan, then each plan's section. Numbers in the "event" columns are event log record numbers.
import type { CutoverWindow, LagSeries, PlanRun, ReportModel, StepRun } from './model.js';
import { between, escapeHtml as esc, fmtClock, fmtDuration, fmtLag, fmtRef, fmtRefRange, fmtTime } from './format.js';
import { lineChart, STATUS_COLORS, timelineChart, type TimelineRow } from './svg-charts.js';
import { present } from '../invariant.js';

const CSS = `
:root { color-scheme: light; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: #111827; margin: 24px auto; max-width: 1000px; padding: 0 16px; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 19px; margin: 32px 0 4px; border-bottom: 2px solid #e5e7eb; padding-bottom: 4px; }
h3 { font-size: 15px; margin: 20px 0 6px; } p.meta, .muted { color: #6b7280; }
table { border-collapse: collapse; width: 100%; margin: 6px 0 12px; } th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #e5e7eb; vertical-align: top; }
th { background: #f9fafb; font-weight: 600; } td.num { text-align: right; font-variant-numeric: tabular-nums; } td.ref, span.ref { color: #6b7280; font-variant-numeric: tabular-nums; white-space: nowrap; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 8px 0; } dl.facts dt { color: #6b7280; } dl.facts dd { margin: 0; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 600; color: #fff; background: #6b7280; }
.badge.finished, .badge.succeeded, .badge.committed { background: #059669; } .badge.failed, .badge.rollback-failed { background: #dc2626; }
.badge.awaiting-approval, .badge.awaiting { background: #d97706; } .badge.rolled-back, .badge.rolled { background: #9333ea; } .badge.in, .badge.open, .badge.running { background: #2563eb; }
svg.chart { max-width: 100%; height: auto; display: block; margin: 4px 0 8px; } svg.chart:not(.small) { width: 100%; }
svg .grid { stroke: #e5e7eb; } svg .axis { stroke: #9ca3af; } svg .tick, svg .label { font: 11px system-ui, sans-serif; fill: #4b5563; }
svg .threshold { stroke: #dc2626; stroke-dasharray: 4 3; } svg .marker { stroke: #111827; stroke-dasharray: 2 2; } svg .wait { stroke: #d97706; stroke-dasharray: 3 3; stroke-width: 2; }
svg rect.open { opacity: 0.6; }
.legend span { display: inline-block; margin-right: 12px; font-size: 12px; } .legend i { display: inline-block; width: 10px; height: 10px; margin-right: 4px; vertical-align: -1px; }
.problem { color: #b91c1c; } .note { background: #f9fafb; border-left: 3px solid #d1d5db; padding: 6px 10px; }
@page { size: A4; margin: 14mm; }
@media print {
  body { margin: 0; max-width: none; font-size: 11px; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  section.plan + section.plan { break-before: page; }
  table, svg.chart, dl.facts { break-inside: avoid; } h2, h3 { break-after: avoid; }
}`;

export function renderHtml(model: ReportModel): string {
  const title =
    model.plans.length === 1
      ? `${model.plans[0].plan} — aurora-migrate run report`
      : `aurora-migrate run report — ${model.plans.length} plans`;
  const body = [
    `<header><h1>${esc(title)}</h1><p class="meta">Generated ${esc(fmtTime(model.generatedAt))} by <code>aurora-migrate report</code> from each plan's state and event log. ` +
      `<span class="ref">#N</span> is the N-th record of the plan's event log (its N-th line unless a crash tore one); “state” marks a figure read from the state file.</p></header>`,
    model.plans.length > 1 ? overview(model.plans) : '',
    ...model.plans.map(planSection),
  ].join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="aurora-migrate report">
<title>${esc(title)}</title>
<style>${CSS}</style>
</head>
<body>
${body}
</body>
</html>
`;
}

const anchor = (plan: string) => `plan-${plan.replace(/[^A-Za-z0-9_-]/g, '-')}`;
const badge = (text: string) => `<span class="badge ${esc(text.split(' ')[0])}">${esc(text)}</span>`;
const ref = (n: number) => `<span class="ref">${esc(fmtRef(n))}</span>`;

function table(headers: string[], rows: string[][], numeric: number[] = []): string {
  const head = headers.map((h) => `<th>${esc(h)}</th>`).join('');
  const body = rows
    .map((r) => `<tr>${r.map((c, i) => `<td${numeric.includes(i) ? ' class="num"' : ''}>${c}</td>`).join('')}</tr>`)
    .join('\n');
  return `<table><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

function overview(plans: PlanRun[]): string {
  const rows = plans.map((p) => {
    const w = p.cutover.at(-1);
    const lag = p.lag[0];
    const chart = lag?.samples.some((s) => s.value !== null)
      ? lagChart(lag, true)
      : p.steps.some((s) => s.runs.length)
        ? '<span class="muted">no lag samples</span>'
        : '<span class="muted">—</span>';
    return [
      `<a href="#${anchor(p.plan)}">${esc(p.plan)}</a>`,
      p.problem ? `<span class="problem">${esc(p.problem)}</span>` : badge(p.outcome),
      esc(fmtTime(p.startedAt)),
      esc(p.finishedAt ? fmtTime(p.finishedAt) : p.updatedAt ? `${fmtTime(p.updatedAt)} (last update)` : '—'),
      w?.writeDowntimeSeconds !== undefined && w.writeDowntimeRef !== undefined
        ? `${esc(fmtDuration(w.writeDowntimeSeconds * 1000))} ${ref(w.writeDowntimeRef)}`
        : w
          ? esc(w.outcome)
          : '—',
      chart,
    ];
  });
  return `<section class="overview"><h2>Plans</h2>${table(['Plan', 'Outcome', 'Started', 'Finished', 'Write downtime', 'Replication lag'], rows)}</section>`;
}

function planSection(p: PlanRun): string {
  const out: string[] = [
    `<section class="plan" id="${anchor(p.plan)}">`,
    `<h2>${esc(p.plan)} ${p.problem ? '' : badge(p.outcome)}</h2>`,
  ];
  if (p.description) out.push(`<p>${esc(p.description)}</p>`);
  const facts: Array<[string, string]> = [
    ['Plan file', `<code>${esc(p.planFile)}</code>`],
    ['State', `<code>${esc(p.stateLocation)}</code>`],
    ['Event log', `<code>${esc(p.eventLogLocation)}</code> (${p.eventCount} records)`],
  ];
  if (p.runId) facts.push(['Run id', `<code>${esc(p.runId)}</code>`]);
  if (p.startedAt) facts.push(['Started', esc(fmtTime(p.startedAt))]);
  if (p.finishedAt)
    facts.push(['Finished', `${esc(fmtTime(p.finishedAt))} (${esc(between(p.startedAt, p.finishedAt))})`]);
  else if (p.updatedAt) facts.push(['Last update', esc(fmtTime(p.updatedAt))]);
  if (p.invocations.length) {
    facts.push([
      'Runs of apply',
      `${p.invocations.length} (${p.invocations.map((i) => `${esc(i.user ?? '?')} at ${esc(fmtTime(i.at))} → ${esc(i.outcome ?? 'no end recorded')} ${ref(i.ref)}`).join('; ')})`,
    ]);
  }
  out.push(`<dl class="facts">${facts.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${v}</dd>`).join('')}</dl>`);
  if (p.problem) {
    out.push(`<p class="problem">${esc(p.problem)}</p></section>`);
    return out.join('\n');
  }
  if (!p.hasState) {
    out.push(`<p class="note">No run yet: there is no state at ${esc(p.stateLocation)}.</p></section>`);
    return out.join('\n');
  }
  out.push(
    stepsSection(p),
    lagSection(p),
    copySection(p),
    cutoverSection(p),
    approvalsSection(p),
    notificationsSection(p),
    awsSection(p),
    problemsSection(p),
    '</section>',
  );
  return out.filter(Boolean).join('\n');
}

function timelineRows(p: PlanRun): TimelineRow[] {
  const end = p.finishedAt ?? p.updatedAt;
  return p.steps.map((s) => ({
    label: s.id,
    bars: s.runs.map((r, i) => {
      const status = r.endStatus ?? (i === s.runs.length - 1 && s.status === 'running' ? 'open' : 'interrupted');
      const until = r.endedAt ?? r.lastSeenAt;
      return {
        start: Date.parse(r.startedAt),
        end: Date.parse(until),
        status,
        open: r.endedAt === undefined,
        title: `${s.id}, attempt ${r.attempt}: ${r.endStatus ?? 'no end recorded'} — ${fmtTime(r.startedAt)} to ${r.endedAt ? fmtTime(r.endedAt) : `${fmtTime(r.lastSeenAt)} (last record)`} (${between(r.startedAt, until)}); event ${fmtRef(r.ref)}${r.endRef ? `–${fmtRef(r.endRef)}` : ''}`,
      };
    }),
    waits: s.runs.flatMap((r, i) => {
      if (r.endStatus !== 'awaiting-approval' || !r.endedAt) return [];
      const next = s.runs[i + 1]?.startedAt ?? end;
      return next
        ? [
            {
              start: Date.parse(r.endedAt),
              end: Date.parse(next),
              title: `${s.id}: waiting for approval ${between(r.endedAt, next)}`,
            },
          ]
        : [];
    }),
  }));
}

function stepsSection(p: PlanRun): string {
  const markers = p.cutover.flatMap((w) =>
    w.milestones
      .filter((m) => m.label === 'frozen' || m.label === 'switched' || m.label === 'rolled back')
      .map((m) => ({ t: Date.parse(m.at), label: `${m.label} at ${fmtTime(m.at)} (${fmtRef(m.ref)})` })),
  );
  const chart = timelineChart({ rows: timelineRows(p), markers, label: `Steps of ${p.plan} on a time line` });
  const used = new Set(p.steps.flatMap((s) => s.runs.map((r) => r.endStatus ?? 'open')));
  const legend = Object.entries(STATUS_COLORS)
    .filter(([k]) => used.has(k))
    .map(
      ([k, c]) =>
        `<span><i style="background:${c}"></i>${esc(k === 'open' ? 'no end recorded' : k === 'pending' ? 'reset by a rollback' : k)}</span>`,
    )
    .join('');
  const rows = p.steps.map((s) => stepRow(s));
  return (
    `<h3>Steps</h3>${chart}<div class="legend">${legend}${markers.length ? '<span>┆ cutover: frozen / switched</span>' : ''}${p.steps.some((s) => s.runs.some((r) => r.endStatus === 'awaiting-approval')) ? '<span>╌ waiting for approval</span>' : ''}</div>` +
    table(['Step', 'Type', 'Status', 'Attempts', 'Started', 'Ended', 'Took', 'Events'], rows, [3])
  );
}

function stepRow(s: StepRun): string[] {
  const first = s.runs[0];
  const last = s.runs.at(-1);
  const refs = s.runs.flatMap((r) => [r.ref, ...(r.endRef ? [r.endRef] : [])]);
  return [
    `<code>${esc(s.id)}</code>`,
    esc(s.type),
    `${badge(s.status)}${s.error ? `<div class="problem">${esc(s.error)}</div>` : ''}`,
    String(s.attempts),
    esc(first ? fmtTime(first.startedAt) : '—'),
    esc(last?.endedAt ? fmtTime(last.endedAt) : '—'),
    esc(first && last?.endedAt ? between(first.startedAt, last.endedAt) : '—'),
    `<span class="ref">${esc(fmtRefRange(refs))}</span>`,
  ];
}

function lagChart(s: LagSeries, small = false): string {
  return lineChart({
    kind: small ? 'lag-small' : 'lag',
    small,
    label: `Replication lag of ${s.of} (${s.metric}) over time, one point per poll`,
    series: [
      {
        name: `${s.stepId}`,
        points: s.samples.map((x) => ({
          t: Date.parse(x.at),
          v: x.value,
          title: `${fmtTime(x.at)}: ${fmtLag(x.value, s.unit)} (${fmtRef(x.ref)})`,
        })),
      },
    ],
    formatY: (v) => fmtLag(v, s.unit),
    ...(s.threshold !== undefined
      ? { threshold: { value: s.threshold, label: `maxLag ${fmtLag(s.threshold, s.unit)}` } }
      : {}),
  });
}

function lagSection(p: PlanRun): string {
  if (p.lag.length === 0) return '';
  const parts = p.lag.map((s) => {
    const known = s.samples.filter((x) => x.value !== null) as Array<{ at: string; value: number; ref: number }>;
    const max = known.reduce<(typeof known)[number] | undefined>(
      (a, b) => (a && a.value >= b.value ? a : b),
      undefined,
    );
    const first = s.samples[0];
    const last = present(s.samples.at(-1), `the last sample of ${s.metric}`);
    const facts = [
      `${s.samples.length} polls of ${esc(s.metric)} on <code>${esc(s.of)}</code> by step <code>${esc(s.stepId)}</code>, ${esc(fmtTime(first.at))} to ${esc(fmtTime(last.at))} (${esc(fmtRefRange(s.samples.map((x) => x.ref)))})`,
      `${s.samples.length - known.length} without a datapoint (unknown, not drawn)`,
      `first ${esc(fmtLag(first.value, s.unit))}, last ${esc(fmtLag(last.value, s.unit))} ${ref(last.ref)}` +
        (max ? `, highest ${esc(fmtLag(max.value, s.unit))} at ${esc(fmtClock(max.at))} ${ref(max.ref)}` : ''),
      ...(s.threshold !== undefined ? [`maxLag ${esc(fmtLag(s.threshold, s.unit))} (dashed)`] : []),
    ];
    return `${lagChart(s)}<p class="muted">${facts.join(' · ')}</p>`;
  });
  return `<h3>Replication lag</h3>${parts.join('')}`;
}

function copySection(p: PlanRun): string {
  if (p.copy.length === 0) return '';
  const chart = lineChart({
    kind: 'copy',
    label: 'Rows copied per table over time',
    series: p.copy.map((c) => ({
      name: c.table,
      points: c.samples.map((x) => ({
        t: Date.parse(x.at),
        v: x.rows,
        title: `${c.table}: ${x.rows} rows at ${fmtTime(x.at)} (${fmtRef(x.ref)})`,
      })),
    })),
    formatY: (v) => (v >= 1e6 ? `${(v / 1e6).toFixed(1)}M` : v >= 1e3 ? `${(v / 1e3).toFixed(0)}k` : String(v)),
  });
  const rows = p.copy.map((c) => {
    const last = present(c.samples.at(-1), `the last copy sample of ${c.table}`);
    return [
      `<code>${esc(c.stepId)}</code>`,
      esc(c.table),
      String(last.rows) + (last.totalRows !== undefined ? ` of ~${last.totalRows}` : ''),
      esc(fmtTime(last.at)),
      String(c.samples.length),
      `<span class="ref">${esc(fmtRefRange(c.samples.map((x) => x.ref)))}</span>`,
    ];
  });
  return `<h3>Logical copy</h3>${chart}${table(['Step', 'Table', 'Rows copied', 'At', 'Samples', 'Events'], rows, [2, 4])}`;
}

function cutoverSection(p: PlanRun): string {
  if (p.cutover.length === 0) return '';
  return `<h3>Cutover window</h3>` + p.cutover.map((w, i) => windowBlock(w, i, p.cutover.length)).join('');
}

function windowBlock(w: CutoverWindow, i: number, n: number): string {
  const head = n > 1 ? `<p><strong>Attempt ${i + 1} of ${n}</strong></p>` : '';
  const facts = [
    `opened by <code>${esc(w.openedBy)}</code>${w.databases?.length ? ` (databases ${esc(w.databases.join(', '))})` : ''} ${ref(w.ref)}`,
    `deadline ${esc(fmtTime(w.deadline))}`,
    `outcome ${badge(w.outcome)}`,
  ];
  if (w.writeDowntimeSeconds !== undefined && w.writeDowntimeRef !== undefined)
    facts.push(
      `<strong>write downtime ${esc(fmtDuration(w.writeDowntimeSeconds * 1000))}</strong> (freeze → DNS change INSYNC) ${ref(w.writeDowntimeRef)}`,
    );
  if (w.rollbackReason) facts.push(`<span class="problem">rollback: ${esc(w.rollbackReason)}</span>`);
  const rows = w.milestones.map((m) => [
    esc(m.label),
    esc(fmtTime(m.at)),
    esc(`+${between(w.frozenAt, m.at)}`),
    `<code>${esc(m.stepId)}</code>`,
    esc(m.detail ?? ''),
    ref(m.ref),
  ]);
  return `${head}<p>${facts.join(' · ')}</p>${table(['Milestone', 'At', 'Since the freeze', 'Step', 'Detail', 'Event'], rows, [2])}`;
}

function approvalsSection(p: PlanRun): string {
  if (p.approvals.length === 0) return '';
  const rows = p.approvals.map((a) => [
    `<code>${esc(a.stepId)}</code>`,
    esc(a.approvedBy),
    esc(a.source ?? '—'),
    esc(a.via === 'flag' ? '--approve' : a.via),
    esc(fmtTime(a.at)),
    esc(a.host ?? '—') +
      (a.ciRun ? (/^https:\/\//.test(a.ciRun) ? ` <a href="${esc(a.ciRun)}">CI run</a>` : ` ${esc(a.ciRun)}`) : ''),
    ref(a.ref),
  ]);
  return `<h3>Approvals</h3>${table(['Step', 'Approved by', 'Identity from', 'How', 'At', 'Host', 'Event'], rows)}`;
}

function notificationsSection(p: PlanRun): string {
  if (p.notifications.length === 0) return '';
  const rows = p.notifications.map((n) => [
    esc(n.event),
    esc(fmtTime(n.at)),
    esc(n.sent.join(', ') || '—'),
    n.failed.length
      ? `<span class="problem">${esc(n.failed.map((f) => `${f.target}: ${f.reason}`).join('; '))}</span>`
      : n.sent.length < n.targets.length
        ? esc(`${n.targets.length - n.sent.length} with no outcome recorded`)
        : '—',
    ref(n.ref),
  ]);
  return `<h3>Notifications</h3>${table(['Event', 'At', 'Sent to', 'Failed', 'Event'], rows)}`;
}

function awsSection(p: PlanRun): string {
  if (p.awsCalls.length === 0)
    return '<h3>AWS calls</h3><p class="muted">No call that changes anything was recorded.</p>';
  const total = p.awsCalls.reduce((n, c) => n + c.count, 0);
  const rows = p.awsCalls.map((c) => [
    esc(c.service),
    esc(c.operation),
    String(c.count),
    `<span class="ref">${esc(c.refs.map(fmtRef).join(', '))}${c.count > c.refs.length ? ', …' : ''}</span>`,
  ]);
  return `<h3>AWS calls</h3><p class="muted">${total} calls that change something, by operation, as the event log records them (reads such as Describe* and GetMetricData are not logged; each lag poll is one GetMetricData).</p>${table(['Service', 'Operation', 'Calls', 'Events'], rows, [2])}`;
}

function problemsSection(p: PlanRun): string {
  if (p.problems.length === 0) return '';
  const rows = p.problems.map((x) => [
    esc(x.kind),
    esc(fmtTime(x.at)),
    x.stepId ? `<code>${esc(x.stepId)}</code>` : '—',
    `<span class="${x.kind === 'error' ? 'problem' : ''}">${esc(x.message)}</span>`,
    ref(x.ref),
  ]);
  return `<h3>Errors and warnings</h3>${table(['Kind', 'At', 'Step', 'Message', 'Event'], rows)}`;
}
