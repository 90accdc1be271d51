// The S3 objects of one table's source, page by page: ListObjectsV2 over a prefix (paginated; one
// page in memory at a time, so memory does not grow with the object count) or HeadObject for each
// listed key (for its ETag and size).
import type { AwsApi } from '../../aws/api.js';
import type { S3Location } from '../../plan/types.js';

export interface S3Object {
  key: string;
  /** ETag without the surrounding quotes S3 puts on it. */
  etag: string;
  size: number;
}

interface ListPage {
  Contents?: Array<{ Key?: string; ETag?: string; Size?: number }>;
  IsTruncated?: boolean;
  NextContinuationToken?: string;
}

export const KEYS_PER_HEAD_PAGE = 100;

export function unquoteEtag(etag: string | undefined): string {
  return (etag ?? '').replace(/^W\//, '').replace(/^"(.*)"$/, '$1');
}

/** Yields pages of objects, in S3's order (key order for a prefix, the plan's order for keys). */
export async function* objectPages(aws: AwsApi, from: S3Location, signal?: AbortSignal): AsyncGenerator<S3Object[]> {
  if (from.keys !== undefined) {
    for (let i = 0; i < from.keys.length; i += KEYS_PER_HEAD_PAGE) {
      const page: S3Object[] = [];
      for (const key of from.keys.slice(i, i + KEYS_PER_HEAD_PAGE)) {
        const head = await aws.send<{ ETag?: string; ContentLength?: number }>(
          's3',
          'HeadObject',
          { Bucket: from.bucket, Key: key },
          { region: from.region, signal },
        );
        page.push({ key, etag: unquoteEtag(head.ETag), size: Number(head.ContentLength ?? 0) });
      }
      yield page;
    }
    return;
  }
  let token: string | undefined;
  do {
    const input: Record<string, unknown> = { Bucket: from.bucket, Prefix: from.prefix ?? '' };
    if (token) input.ContinuationToken = token;
    const out = await aws.send<ListPage>('s3', 'ListObjectsV2', input, { region: from.region, signal });
    const page: S3Object[] = [];
    for (const o of out.Contents ?? []) {
      if (!o.Key) continue;
      // "Folder" markers made by the console: zero bytes, key ending in "/".
      if (o.Key.endsWith('/') && Number(o.Size ?? 0) === 0) continue;
      page.push({ key: o.Key, etag: unquoteEtag(o.ETag), size: Number(o.Size ?? 0) });
    }
    yield page;
    token = out.IsTruncated ? out.NextContinuationToken : undefined;
    if (out.IsTruncated && !token) {
      throw new Error(
        `ListObjectsV2 of s3://${from.bucket}/${from.prefix ?? ''} said the listing is truncated but gave no continuation token`,
      );
    }
  } while (token);
}
