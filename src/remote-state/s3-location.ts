// `s3://BUCKET/KEY`: where a plan's remote state lives (docs/design.md "Remote state (S3)"). The state
// document is KEY, the lease KEY.lock, the event log the objects under KEY.events/.
import { UsageError } from '../errors.js';

export interface S3Location {
  bucket: string;
  key: string;
}

const BUCKET_RE = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

export function isS3Url(value: string): boolean {
  return /^s3:\/\//i.test(value);
}

/** Parses s3://bucket/key; `source` names where it came from (--state, the plan's state.s3) for the message. */
export function parseS3Url(url: string, source: string): S3Location {
  const m = /^s3:\/\/([^/]*)\/(.*)$/i.exec(url);
  const example = 's3://team-migrations/orders-to-aurora';
  if (!m)
    throw new UsageError(`${source} "${url}" is not an S3 location: write it as s3://BUCKET/KEY, e.g. ${example}.`);
  const [, bucket, key] = m;
  if (!BUCKET_RE.test(bucket) || bucket.includes('..')) {
    throw new UsageError(
      `${source} "${url}": "${bucket}" is not a valid S3 bucket name (3–63 lower-case letters, digits, dots and hyphens). Write it as s3://BUCKET/KEY, e.g. ${example}.`,
    );
  }
  if (!key || key.endsWith('/') || key.split('/').some((p) => p === '' || p === '.' || p === '..')) {
    throw new UsageError(
      `${source} "${url}": the key must name an object (not empty, no trailing "/", no empty, "." or ".." parts), e.g. ${example}.`,
    );
  }
  return { bucket, key };
}

export function s3Url(loc: S3Location, suffix = ''): string {
  return `s3://${loc.bucket}/${loc.key}${suffix}`;
}
