// Deterministic resource identifiers derived from plan, step and run, within AWS's identifier rules:
// letters, digits and hyphens; first a letter; no trailing hyphen; no "--"; a maximum length.
import { createHash } from 'node:crypto';

/** Makes `text` a valid identifier of at most `max` characters (a hash suffix keeps long ones unique). */
export function toIdentifier(text: string, max: number): string {
  let id = text
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^[^a-z]+/, '')
    .replace(/-+$/, '');
  if (id === '') id = 'am';
  if (id.length > max) {
    const hash = createHash('sha256').update(text).digest('hex').slice(0, 8);
    id = `${id.slice(0, max - hash.length - 1).replace(/-+$/, '')}-${hash}`;
  }
  return id;
}

/** The first 8 letters/digits of the run id (enough to tell runs apart). */
export function shortRunId(runId: string): string {
  return runId.toLowerCase().replace(/[^a-z0-9]/g, '').slice(0, 8) || 'run';
}

/** `<plan>-<step>-<short run id>`; describe() passes no runId and gets a visible placeholder. */
export function runScopedId(planName: string, stepId: string, runId: string | undefined, max: number, suffix = ''): string {
  if (runId === undefined) return `${planName}-${stepId}${suffix ? `-${suffix}` : ''}-<run-id>`;
  return toIdentifier(`${planName}-${stepId}${suffix ? `-${suffix}` : ''}-${shortRunId(runId)}`, max);
}

/** RDS identifier rules (cluster, instance): 1–63; snapshot ids up to 255; export task ids up to 60. */
export const MAX_DB_ID = 63;
export const MAX_SNAPSHOT_ID = 255;
export const MAX_EXPORT_ID = 60;
