// The S3 stand-in's conditional writes, through the real @aws-sdk/client-s3 (path-style, SigV4) over
// HTTP: If-None-Match: * and If-Match: <ETag> on PutObject (412 / 404), If-Match on DeleteObject,
// 409 ConditionalRequestConflict while another conditional write of the key is in flight, quoted-md5
// ETags, ListObjectsV2 with StartAfter and continuation, Get/PutBucketVersioning, and the
// conditional headers in the call log.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DeleteObjectCommand,
  GetBucketVersioningCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutBucketVersioningCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { startAwsStandin, type AwsStandin } from '../../../rehearsal/aws/index.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

let aws: AwsStandin;
let s3: S3Client;
const Bucket = 'team-state';
const md5 = (s: string) => `"${createHash('md5').update(s).digest('hex')}"`;

/** The error a command rejects with: its name (AWS's code) and HTTP status. */
async function failure(p: Promise<unknown>): Promise<{ name: string; status?: number }> {
  try {
    await p;
  } catch (err) {
    const e = err as { name: string; $metadata?: { httpStatusCode?: number } };
    return { name: e.name, status: e.$metadata?.httpStatusCode };
  }
  throw new Error('expected the call to fail');
}

beforeAll(async () => {
  aws = await startAwsStandin({ manualClock: true, seed: { buckets: [Bucket, 'never-versioned'] } });
  s3 = new S3Client({
    endpoint: aws.endpoint,
    region: aws.region,
    forcePathStyle: true,
    credentials: { accessKeyId: aws.env.AWS_ACCESS_KEY_ID, secretAccessKey: aws.env.AWS_SECRET_ACCESS_KEY },
    maxAttempts: 1,
  });
});
afterAll(async () => {
  s3.destroy();
  await aws.close();
});

describe('S3 stand-in: conditional writes', () => {
  it('If-None-Match: * creates a key once; the second create is 412 PreconditionFailed and changes nothing', async () => {
    const first = await s3.send(new PutObjectCommand({ Bucket, Key: 'a/state.json', Body: 'one', IfNoneMatch: '*' }));
    expect(first.ETag).toBe(md5('one'));
    expect(
      await failure(s3.send(new PutObjectCommand({ Bucket, Key: 'a/state.json', Body: 'two', IfNoneMatch: '*' }))),
    ).toEqual({ name: 'PreconditionFailed', status: 412 });
    const got = await s3.send(new GetObjectCommand({ Bucket, Key: 'a/state.json' }));
    expect(await got.Body!.transformToString()).toBe('one');
    expect(got.ETag).toBe(md5('one'));
  });

  it('If-Match: the ETag last read swaps the object; a stale ETag is 412, a missing key 404, nothing written', async () => {
    const swapped = await s3.send(
      new PutObjectCommand({ Bucket, Key: 'a/state.json', Body: 'two', IfMatch: md5('one') }),
    );
    expect(swapped.ETag).toBe(md5('two'));
    expect(
      await failure(s3.send(new PutObjectCommand({ Bucket, Key: 'a/state.json', Body: 'three', IfMatch: md5('one') }))),
    ).toEqual({ name: 'PreconditionFailed', status: 412 });
    expect(
      await failure(s3.send(new PutObjectCommand({ Bucket, Key: 'a/missing.json', Body: 'x', IfMatch: md5('one') }))),
    ).toEqual({ name: 'NoSuchKey', status: 404 });
    const head = await s3.send(new HeadObjectCommand({ Bucket, Key: 'a/state.json' }));
    expect(head.ETag).toBe(md5('two'));
    expect(await failure(s3.send(new HeadObjectCommand({ Bucket, Key: 'a/missing.json' })))).toEqual({
      name: 'NotFound',
      status: 404,
    });
  });

  it('a conditional write while another of the same key is in flight is 409 ConditionalRequestConflict', async () => {
    const held = aws.s3.holdConditionalWrite(Bucket, 'a/state.json');
    try {
      expect(
        await failure(
          s3.send(new PutObjectCommand({ Bucket, Key: 'a/state.json', Body: 'four', IfMatch: md5('two') })),
        ),
      ).toEqual({
        name: 'ConditionalRequestConflict',
        status: 409,
      });
      // Another key is not affected.
      await s3.send(new PutObjectCommand({ Bucket, Key: 'a/other.json', Body: 'x', IfNoneMatch: '*' }));
    } finally {
      held.release();
    }
    const after = await s3.send(
      new PutObjectCommand({ Bucket, Key: 'a/state.json', Body: 'four', IfMatch: md5('two') }),
    );
    expect(after.ETag).toBe(md5('four'));
  });

  it('DeleteObject honours If-Match; deleting a missing key succeeds', async () => {
    expect(
      await failure(s3.send(new DeleteObjectCommand({ Bucket, Key: 'a/other.json', IfMatch: md5('nope') }))),
    ).toEqual({ name: 'PreconditionFailed', status: 412 });
    await s3.send(new DeleteObjectCommand({ Bucket, Key: 'a/other.json', IfMatch: md5('x') }));
    expect(await failure(s3.send(new HeadObjectCommand({ Bucket, Key: 'a/other.json' })))).toMatchObject({
      status: 404,
    });
    await s3.send(new DeleteObjectCommand({ Bucket, Key: 'a/other.json' }));
  });

  it('records the conditional headers in the call log', () => {
    const puts = aws.calls.filter('PutObject', `${Bucket}/a/state.json`);
    expect(puts.map((r) => [r.params.IfNoneMatch ?? null, r.params.IfMatch ?? null, r.outcome])).toEqual([
      ['*', null, 'ok'],
      ['*', null, 'PreconditionFailed'],
      [null, md5('one'), 'ok'],
      [null, md5('one'), 'PreconditionFailed'],
      [null, md5('two'), 'ConditionalRequestConflict'],
      [null, md5('two'), 'ok'],
    ]);
  });
});

describe('S3 stand-in: listing and versioning', () => {
  it('ListObjectsV2 lists a prefix in key order, from StartAfter and across continuation pages', async () => {
    for (const n of [3, 1, 2, 5, 4])
      await s3.send(
        new PutObjectCommand({ Bucket, Key: `log.events/${String(n).padStart(6, '0')}.jsonl`, Body: `${n}` }),
      );
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await s3.send(
        new ListObjectsV2Command({
          Bucket,
          Prefix: 'log.events/',
          StartAfter: 'log.events/000001.jsonl',
          MaxKeys: 2,
          ContinuationToken: token,
        }),
      );
      keys.push(...(page.Contents ?? []).map((o) => o.Key!));
      expect((page.Contents ?? []).every((o) => o.ETag === md5(String(Number(o.Key!.slice(11, 17)))))).toBe(true);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    expect(keys).toEqual([
      'log.events/000002.jsonl',
      'log.events/000003.jsonl',
      'log.events/000004.jsonl',
      'log.events/000005.jsonl',
    ]);
  });

  it('GetBucketVersioning: no Status for a bucket never versioned; Enabled and Suspended after PutBucketVersioning or a seed', async () => {
    expect((await s3.send(new GetBucketVersioningCommand({ Bucket: 'never-versioned' }))).Status).toBeUndefined();
    await s3.send(new PutBucketVersioningCommand({ Bucket, VersioningConfiguration: { Status: 'Enabled' } }));
    expect((await s3.send(new GetBucketVersioningCommand({ Bucket }))).Status).toBe('Enabled');
    aws.s3.setVersioning(Bucket, 'Suspended');
    expect((await s3.send(new GetBucketVersioningCommand({ Bucket }))).Status).toBe('Suspended');
    expect(await failure(s3.send(new GetBucketVersioningCommand({ Bucket: 'no-such-bucket' })))).toEqual({
      name: 'NoSuchBucket',
      status: 404,
    });
  });
});
