// Small text helpers shared by the apply summary and `status`: status words, colours, durations,
// outputs. Colour only when the caller says so (see useColor in src/cli/io.ts).
import { formatDuration } from '../plan/units.js';
import type { StepStatus } from '../engine/state-file.js';

const CODES = { red: 31, green: 32, yellow: 33, blue: 34, gray: 90, bold: 1 } as const;
export type Paint = (color: keyof typeof CODES, text: string) => string;

export function painter(color: boolean): Paint {
  return (c, text) => (color ? `\u001b[${CODES[c]}m${text}\u001b[${c === 'bold' ? 22 : 39}m` : text);
}

export function statusWord(status: StepStatus | 'interrupted', paint: Paint): string {
  switch (status) {
    case 'succeeded':
      return paint('green', status);
    case 'failed':
      return paint('red', status);
    case 'awaiting-approval':
    case 'interrupted':
      return paint('yellow', status);
    case 'running':
      return paint('blue', status);
    default:
      return paint('gray', status);
  }
}

export function durationBetween(startedAt?: string, finishedAt?: string): string {
  if (!startedAt || !finishedAt) return '';
  return formatDuration(Math.max(0, Date.parse(finishedAt) - Date.parse(startedAt)));
}

/** `key=value` pairs, values as JSON when not plain strings. */
export function formatOutputs(outputs: Record<string, unknown> | undefined): string {
  if (!outputs) return '';
  return Object.entries(outputs)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
}

/** Pads plain text to a width (colour codes excluded from the count). */
export function pad(text: string, width: number): string {
  const visible = text.replace(/\u001b\[\d+m/g, '').length;
  return text + ' '.repeat(Math.max(0, width - visible));
}
