// Resource identifiers: RDS ARNs (arn:partition:service:region:account:type:id) and deterministic ids
// derived from plan, step and run within AWS's identifier rules (letters, digits and hyphens; first a
// letter; no trailing hyphen; no "--"; a maximum length).
import { createHash } from 'node:crypto';
export interface Arn {
  partition: string;
  service: string;
  region: string;
  account: string;
  /** e.g. db, cluster, snapshot, cluster-snapshot */
  resourceType: string;
  resourceId: string;
}

export function isArn(text: string): boolean {
  return text.startsWith('arn:');
}

/** Parses an RDS-style ARN; undefined when it is not one. */
export function parseArn(text: string): Arn | undefined {
  const parts = text.split(':');
  if (parts.length < 7 || parts[0] !== 'arn') return undefined;
  const [, partition, service, region, account, resourceType, ...rest] = parts;
  return { partition, service, region, account, resourceType, resourceId: rest.join(':') };
}

/** The identifier part of an ARN, or the text itself when it is already an identifier. */
export function idOf(idOrArn: string): string {
  return parseArn(idOrArn)?.resourceId ?? idOrArn;
}

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
  return (
    runId
      .toLowerCase()
      .replace(/[^a-z0-9]/g, '')
      .slice(0, 8) || 'run'
  );
}

/** `<plan>-<step>-<short run id>`; describe() passes no runId and gets a visible placeholder. */
export function runScopedId(
  planName: string,
  stepId: string,
  runId: string | undefined,
  max: number,
  suffix = '',
): string {
  if (runId === undefined) return `${planName}-${stepId}${suffix ? `-${suffix}` : ''}-<run-id>`;
  return toIdentifier(`${planName}-${stepId}${suffix ? `-${suffix}` : ''}-${shortRunId(runId)}`, max);
}

/** RDS identifier rules (cluster, instance): 1–63; snapshot ids up to 255; export task ids up to 60. */
export const MAX_DB_ID = 63;
export const MAX_SNAPSHOT_ID = 255;
export const MAX_EXPORT_ID = 60;
