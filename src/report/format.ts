// How the report writes times, durations, lag values and references, the same in HTML and markdown.
import { formatBytes } from '../plan/units.js';
import type { Ref } from './model.js';

/** "2026-12-05 17:59:21 UTC" */
export function fmtTime(iso: string | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toISOString().slice(0, 10)} ${d.toISOString().slice(11, 19)} UTC`;
}

/** "17:59:21.034" — for events seconds apart (a rehearsal's cutover). */
export function fmtClock(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toISOString().slice(11, 23);
}

/** "0.13s", "12.4s", "4m 10s", "3h 5m", "2d 4h". */
export function fmtDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '—';
  const sign = ms < 0 ? '-' : '';
  const a = Math.abs(ms);
  if (a < 10_000) return `${sign}${(a / 1000).toFixed(a < 1000 ? 3 : 1).replace(/\.?0+$/, '') || '0'}s`;
  const s = Math.round(a / 1000);
  if (s < 60) return `${sign}${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${sign}${m}m${s % 60 ? ` ${s % 60}s` : ''}`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${sign}${h}h${m % 60 ? ` ${m % 60}m` : ''}`;
  return `${sign}${Math.floor(h / 24)}d${h % 24 ? ` ${h % 24}h` : ''}`;
}

export function between(from: string | undefined, to: string | undefined): string {
  if (!from || !to) return '—';
  return fmtDuration(Date.parse(to) - Date.parse(from));
}

export function fmtLag(value: number | null, unit: 'seconds' | 'bytes'): string {
  if (value === null) return 'unknown';
  return unit === 'bytes' ? formatBytes(value) : `${Number.isInteger(value) ? value : value.toFixed(1)}s`;
}

/** "#12" (the 12th record of the event log), "state" for a figure read from the state file. */
export function fmtRef(ref: Ref): string {
  return ref === 0 ? 'state' : `#${ref}`;
}

/** "#10–#16" */
export function fmtRefRange(refs: readonly Ref[]): string {
  const real = refs.filter((r) => r > 0);
  if (real.length === 0) return '—';
  const lo = Math.min(...real);
  const hi = Math.max(...real);
  return lo === hi ? `#${lo}` : `#${lo}–#${hi}`;
}

const BARS = '▁▂▃▄▅▆▇█';

/** A text sparkline; an unknown value is a space. */
export function sparkline(values: ReadonlyArray<number | null>, width = 40): string {
  if (values.length === 0) return '';
  // Many samples: the max of each bucket (a lag spike must not disappear).
  const buckets: Array<number | null> = [];
  const per = Math.max(1, Math.ceil(values.length / width));
  for (let i = 0; i < values.length; i += per) {
    const known = values.slice(i, i + per).filter((v): v is number => v !== null);
    buckets.push(known.length ? Math.max(...known) : null);
  }
  const max = Math.max(0, ...buckets.filter((v): v is number => v !== null));
  return buckets.map((v) => (v === null ? ' ' : BARS[max === 0 ? 0 : Math.min(7, Math.round((v / max) * 7))])).join('');
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]);
}
