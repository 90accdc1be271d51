// The report's charts as inline SVG text (no script: the page shows them as they are, on screen and
// printed). Geometry from d3-scale (time and linear scales, bands, ticks) and d3-shape (the line with
// gaps where a value is unknown); this file only lays out axes, marks and labels. Every mark has a
// <title> (a tooltip in a browser) naming the event log record it comes from.
import { scaleBand, scaleLinear, scaleUtc } from 'd3-scale';
import { line } from 'd3-shape';
import { escapeHtml as esc } from './format.js';
import { present } from '../invariant.js';

export interface SeriesPoint {
  t: number;
  v: number | null;
  title: string;
}

export interface LineChartOptions {
  /** data-chart attribute (tests and print CSS find charts by it). */
  kind: string;
  series: Array<{ name: string; points: SeriesPoint[] }>;
  width?: number;
  height?: number;
  /** Small: no axes, no labels (a row of the fleet overview). */
  small?: boolean;
  formatY(v: number): string;
  /** A dashed horizontal line (maxLag). */
  threshold?: { value: number; label: string };
  label: string;
}

const COLORS = ['#2563eb', '#d97706', '#059669', '#7c3aed', '#db2777', '#0891b2'];
const r1 = (n: number) => Math.round(n * 10) / 10;

function timeDomain(ts: number[]): [Date, Date] {
  const lo = Math.min(...ts);
  const hi = Math.max(...ts);
  return lo === hi ? [new Date(lo - 1000), new Date(hi + 1000)] : [new Date(lo), new Date(hi)];
}

/** "17:59:21" or "Dec 05 17:59" — whichever a tick spacing needs. */
function timeTick(spanMs: number): (d: Date) => string {
  return (d) => {
    const iso = d.toISOString();
    if (spanMs < 10_000) return iso.slice(11, 23).replace(/\.?0+$/, '');
    if (spanMs < 60_000) return iso.slice(11, 21).replace(/\.?0$/, '');
    if (spanMs < 2 * 86_400_000) return iso.slice(11, 16);
    return `${iso.slice(5, 10)} ${iso.slice(11, 16)}`;
  };
}

export function lineChart(o: LineChartOptions): string {
  const width = o.width ?? (o.small ? 220 : 720);
  const height = o.height ?? (o.small ? 44 : 220);
  const m = o.small ? { top: 4, right: 4, bottom: 4, left: 4 } : { top: 12, right: 32, bottom: 28, left: 56 };
  const all = o.series.flatMap((s) => s.points);
  const ts = all.map((p) => p.t);
  const values = all.map((p) => p.v).filter((v): v is number => v !== null);
  const x = scaleUtc()
    .domain(timeDomain(ts))
    .range([m.left, width - m.right]);
  const yMax = Math.max(o.threshold?.value ?? 0, ...values, 0);
  const y = scaleLinear()
    .domain([0, yMax > 0 ? yMax : 1])
    .nice(4)
    .range([height - m.bottom, m.top]);
  const path = line<SeriesPoint>()
    .defined((p) => p.v !== null)
    .x((p) => r1(x(p.t)))
    .y((p) => r1(y(p.v ?? 0)));
  const parts: string[] = [];
  if (!o.small) {
    const span = x.domain()[1].getTime() - x.domain()[0].getTime();
    const fmt = timeTick(span);
    for (const t of y.ticks(4)) {
      const yy = r1(y(t));
      parts.push(`<line class="grid" x1="${m.left}" x2="${width - m.right}" y1="${yy}" y2="${yy}"/>`);
      parts.push(
        `<text class="tick" x="${m.left - 6}" y="${yy}" text-anchor="end" dominant-baseline="middle">${esc(o.formatY(t))}</text>`,
      );
    }
    for (const t of x.ticks(6)) {
      const xx = r1(x(t));
      parts.push(`<line class="axis" x1="${xx}" x2="${xx}" y1="${height - m.bottom}" y2="${height - m.bottom + 4}"/>`);
      parts.push(
        `<text class="tick" x="${xx}" y="${height - m.bottom + 16}" text-anchor="middle">${esc(fmt(t))}</text>`,
      );
    }
    parts.push(
      `<line class="axis" x1="${m.left}" x2="${width - m.right}" y1="${height - m.bottom}" y2="${height - m.bottom}"/>`,
    );
  }
  if (o.threshold) {
    const yy = r1(y(o.threshold.value));
    parts.push(
      `<line class="threshold" x1="${m.left}" x2="${width - m.right}" y1="${yy}" y2="${yy}"><title>${esc(o.threshold.label)}</title></line>`,
    );
  }
  o.series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length];
    const d = path(s.points);
    if (d)
      parts.push(
        `<path class="series" data-series="${esc(s.name)}" d="${d}" fill="none" stroke="${color}" stroke-width="${o.small ? 1.5 : 2}"/>`,
      );
    for (const p of s.points) {
      if (p.v === null) continue;
      parts.push(
        `<circle class="sample" data-series="${esc(s.name)}" cx="${r1(x(p.t))}" cy="${r1(y(p.v))}" r="${o.small ? 1.6 : 3}" fill="${color}"><title>${esc(p.title)}</title></circle>`,
      );
    }
  });
  if (!o.small && o.series.length > 1) {
    o.series.forEach((s, i) => {
      const lx = m.left + 8 + i * 160;
      parts.push(
        `<rect x="${lx}" y="${m.top}" width="10" height="10" fill="${COLORS[i % COLORS.length]}"/><text class="tick" x="${lx + 14}" y="${m.top + 9}">${esc(s.name)}</text>`,
      );
    });
  }
  return svg(o.kind, width, height, o.label, parts);
}

export interface TimelineRow {
  label: string;
  bars: Array<{ start: number; end: number; status: string; title: string; open?: boolean }>;
  /** Thin dashed spans (waiting for an approval). */
  waits: Array<{ start: number; end: number; title: string }>;
}

export interface TimelineOptions {
  rows: TimelineRow[];
  /** Vertical lines across all rows (the freeze, the switch). */
  markers: Array<{ t: number; label: string }>;
  width?: number;
  label: string;
}

export const STATUS_COLORS: Readonly<Record<string, string>> = {
  succeeded: '#059669',
  failed: '#dc2626',
  'awaiting-approval': '#d97706',
  interrupted: '#6b7280',
  'rolled-back': '#9333ea',
  pending: '#9333ea',
  open: '#93c5fd',
};

/** One row per step, one bar per attempt (coloured by how it ended), on a shared time axis. */
export function timelineChart(o: TimelineOptions): string {
  const width = o.width ?? 720;
  const rowH = 22;
  const m = { top: 8, right: 32, bottom: 28, left: 120 };
  const height = m.top + m.bottom + rowH * Math.max(1, o.rows.length);
  const ts = o.rows.flatMap((r) => [
    ...r.bars.flatMap((b) => [b.start, b.end]),
    ...r.waits.flatMap((w) => [w.start, w.end]),
  ]);
  if (ts.length === 0)
    return svg('timeline', width, height, o.label, [
      `<text class="tick" x="${m.left}" y="${m.top + 14}">no step has started yet</text>`,
    ]);
  const x = scaleUtc()
    .domain(timeDomain(ts))
    .range([m.left, width - m.right]);
  const band = scaleBand<string>()
    .domain(o.rows.map((_, i) => String(i)))
    .range([m.top, height - m.bottom])
    .paddingInner(0.25);
  const span = x.domain()[1].getTime() - x.domain()[0].getTime();
  const fmt = timeTick(span);
  const parts: string[] = [];
  for (const t of x.ticks(6)) {
    const xx = r1(x(t));
    parts.push(`<line class="grid" x1="${xx}" x2="${xx}" y1="${m.top}" y2="${height - m.bottom}"/>`);
    parts.push(`<text class="tick" x="${xx}" y="${height - m.bottom + 16}" text-anchor="middle">${esc(fmt(t))}</text>`);
  }
  o.rows.forEach((row, i) => {
    const y0 = present(band(String(i)), `the band of row ${i}`);
    const h = band.bandwidth();
    parts.push(
      `<text class="label" x="${m.left - 8}" y="${r1(y0 + h / 2)}" text-anchor="end" dominant-baseline="middle">${esc(row.label)}</text>`,
    );
    for (const w of row.waits) {
      const yy = r1(y0 + h / 2);
      parts.push(
        `<line class="wait" x1="${r1(x(w.start))}" x2="${r1(x(w.end))}" y1="${yy}" y2="${yy}"><title>${esc(w.title)}</title></line>`,
      );
    }
    for (const b of row.bars) {
      const x0 = x(b.start);
      const w = Math.max(2, x(b.end) - x0);
      const color = STATUS_COLORS[b.status] ?? STATUS_COLORS.open;
      parts.push(
        `<rect class="bar${b.open ? ' open' : ''}" data-status="${esc(b.status)}" x="${r1(x0)}" y="${r1(y0)}" width="${r1(w)}" height="${r1(h)}" rx="2" fill="${color}"><title>${esc(b.title)}</title></rect>`,
      );
    }
  });
  for (const mk of o.markers) {
    const xx = r1(x(mk.t));
    parts.push(
      `<line class="marker" x1="${xx}" x2="${xx}" y1="${m.top}" y2="${height - m.bottom}"><title>${esc(mk.label)}</title></line>`,
    );
  }
  return svg('timeline', width, height, o.label, parts);
}

function svg(kind: string, width: number, height: number, label: string, parts: string[]): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart${width < 400 ? ' small' : ''}" data-chart="${esc(kind)}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${esc(label)}">` +
    parts.join('') +
    `</svg>`
  );
}
