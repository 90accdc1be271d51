// A stable content hash of one step as written (raw, unresolved): the engine compares it with the
// hash in the state file to notice a step that was edited after it ran.
import { createHash } from 'node:crypto';
import type { StepSpec } from './types.js';

/** JSON with object keys sorted at every level; undefined members dropped (as JSON.stringify does). */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value))
    return '[' + value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',') + ']';
  const entries = Object.keys(value)
    .sort()
    .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
    .map((k) => JSON.stringify(k) + ':' + canonicalJson((value as Record<string, unknown>)[k]));
  return '{' + entries.join(',') + '}';
}

/** sha256 (hex) of the canonical JSON of the raw step: key order and YAML formatting do not matter. */
export function stepHash(step: StepSpec | Readonly<StepSpec>): string {
  return createHash('sha256').update(canonicalJson(step)).digest('hex');
}
