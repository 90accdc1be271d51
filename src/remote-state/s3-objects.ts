// The few S3 object operations remote state needs, over the tool's AwsApi (never the SDK itself),
// with the conditional-write outcomes as data: a compare-and-swap that lost is a result to act on,
// not an exception to parse. S3's answers (docs/commands.md "Remote state (S3)"):
//   412 PreconditionFailed       the condition did not hold (the key exists / has another ETag)
//   404 NoSuchKey on If-Match    there is no object any more
//   409 ConditionalRequestConflict  another conditional write of the key was in flight
import type { AwsApi } from '../aws/api.js';
import { isAwsError } from '../aws/errors.js';

export type PutOutcome =
  | { ok: true; etag: string }
  /** 'changed': 412 or 404 — someone else wrote or removed it; 'in-flight': 409, read again and retry. */
  | { ok: false; reason: 'changed' | 'in-flight'; code: string };

export interface S3Object {
  body: string;
  etag: string;
  lastModified?: Date;
}

export interface S3Objects {
  readonly bucket: string;
  get(key: string): Promise<S3Object | undefined>;
  /** PutObject; `ifMatch` (an ETag) or `ifNoneMatch: '*'` make it a conditional write. */
  put(key: string, body: string, conditions: { ifMatch?: string; ifNoneMatch?: '*' }): Promise<PutOutcome>;
  /** DeleteObject, If-Match the ETag; false when the object had changed (412). */
  delete(key: string, ifMatch?: string): Promise<boolean>;
  /** Every key under `prefix` after `startAfter`, in S3's (UTF-8 byte) order, across pages. */
  list(prefix: string, startAfter?: string): Promise<string[]>;
  /** GetBucketVersioning's Status: 'Enabled', 'Suspended', or undefined (never enabled). */
  versioning(): Promise<string | undefined>;
}

export function s3Objects(aws: AwsApi, bucket: string, region?: string): S3Objects {
  const opts = region ? { region } : undefined;
  return {
    bucket,
    async get(key) {
      try {
        const out = await aws.send<{ Body: Buffer; ETag: string; LastModified?: Date }>(
          's3',
          'GetObject',
          { Bucket: bucket, Key: key },
          opts,
        );
        return { body: Buffer.from(out.Body).toString('utf8'), etag: out.ETag, lastModified: out.LastModified };
      } catch (err) {
        if (isAwsError(err, 'NoSuchKey', 'NotFound')) return undefined;
        throw err;
      }
    },
    async put(key, body, conditions) {
      const input: Record<string, unknown> = { Bucket: bucket, Key: key, Body: body, ContentType: contentTypeOf(key) };
      if (conditions.ifMatch !== undefined) input.IfMatch = conditions.ifMatch;
      if (conditions.ifNoneMatch !== undefined) input.IfNoneMatch = conditions.ifNoneMatch;
      try {
        const out = await aws.send<{ ETag: string }>('s3', 'PutObject', input, opts);
        return { ok: true, etag: out.ETag };
      } catch (err) {
        if (
          isAwsError(err, 'PreconditionFailed') ||
          (conditions.ifMatch !== undefined && isAwsError(err, 'NoSuchKey'))
        ) {
          return { ok: false, reason: 'changed', code: err.code };
        }
        if (isAwsError(err, 'ConditionalRequestConflict')) return { ok: false, reason: 'in-flight', code: err.code };
        throw err;
      }
    },
    async delete(key, ifMatch) {
      try {
        await aws.send(
          's3',
          'DeleteObject',
          { Bucket: bucket, Key: key, ...(ifMatch ? { IfMatch: ifMatch } : {}) },
          opts,
        );
        return true;
      } catch (err) {
        if (isAwsError(err, 'PreconditionFailed', 'ConditionalRequestConflict')) return false;
        if (isAwsError(err, 'NoSuchKey', 'NotFound')) return true;
        throw err;
      }
    },
    async list(prefix, startAfter) {
      const keys: string[] = [];
      let token: string | undefined;
      do {
        const out = await aws.send<{
          Contents?: Array<{ Key: string }>;
          IsTruncated?: boolean;
          NextContinuationToken?: string;
        }>(
          's3',
          'ListObjectsV2',
          {
            Bucket: bucket,
            Prefix: prefix,
            ...(token ? { ContinuationToken: token } : startAfter ? { StartAfter: startAfter } : {}),
          },
          opts,
        );
        for (const o of out.Contents ?? []) keys.push(o.Key);
        token = out.IsTruncated ? out.NextContinuationToken : undefined;
      } while (token);
      return keys;
    },
    async versioning() {
      const out = await aws.send<{ Status?: string }>('s3', 'GetBucketVersioning', { Bucket: bucket }, opts);
      return out.Status;
    },
  };
}

function contentTypeOf(key: string): string {
  return key.endsWith('.jsonl') ? 'application/x-ndjson' : 'application/json';
}
