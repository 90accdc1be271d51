// Per-step content hashes: sha256 over canonical JSON (object keys sorted) of the step as written in
// the plan, before any ${...} is resolved. A step that already succeeded and whose hash changed makes
// `apply` stop with exit 4, so a reviewed run never silently continues with different instructions.
// (src/plan may later export its own stepHash; this one stays the engine's until then.)
import { createHash } from 'node:crypto';

/** JSON with object keys sorted at every level, so key order in the YAML does not change the hash. */
export function canonicalJson(value: unknown): string {
  if (value === undefined) return 'null';
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return '[' + value.map((v) => canonicalJson(v)).join(',') + ']';
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return '{' + entries.map(([k, v]) => JSON.stringify(k) + ':' + canonicalJson(v)).join(',') + '}';
}

/** `sha256:<hex>` of the step's canonical JSON. `description` is excluded: rewording it is not an edit. */
export function stepContentHash(step: object): string {
  const { description: _description, ...rest } = step as Record<string, unknown>;
  return 'sha256:' + createHash('sha256').update(canonicalJson(rest)).digest('hex');
}
