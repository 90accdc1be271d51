// The shape semantic checks report in: where (a JSON pointer, and optionally the text inside the
// value that is wrong) and what, in words. load.ts turns it into a positioned Diagnostic.
import { displayPath } from './pointer.js';

export interface SemanticProblem {
  pointer: string;
  /** Point at the key of `pointer` (e.g. an unexpected field) or at its value. */
  target: 'key' | 'value';
  message: string;
  severity: 'error' | 'warning';
  /** A piece of the value's source text to point at (e.g. one ${...} reference inside a string). */
  within?: string;
}

export type Report = (
  pointer: string,
  message: string,
  options?: { target?: 'key' | 'value'; within?: string; severity?: 'error' | 'warning' },
) => void;

export function collector(): { problems: SemanticProblem[]; report: Report } {
  const problems: SemanticProblem[] = [];
  const report: Report = (pointer, message, options = {}) => {
    const path = displayPath(pointer);
    problems.push({
      pointer,
      target: options.target ?? 'value',
      message: path ? `${path}: ${message}` : message,
      severity: options.severity ?? 'error',
      within: options.within,
    });
  };
  return { problems, report };
}

export const isRecord = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);
export const isLiteral = (v: unknown): v is string => typeof v === 'string' && !v.includes('${');

/** Every string inside `value` with its pointer (depth-limited: plans are shallow). */
export function* strings(value: unknown, pointer: string, depth = 0): Generator<[string, string]> {
  if (depth > 12) return;
  if (typeof value === 'string') yield [pointer, value];
  else if (Array.isArray(value))
    for (let i = 0; i < value.length; i++) yield* strings(value[i], `${pointer}/${i}`, depth + 1);
  else if (isRecord(value))
    for (const [k, v] of Object.entries(value))
      yield* strings(v, `${pointer}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`, depth + 1);
}
