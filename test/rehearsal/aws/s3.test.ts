// S3 through the real @aws-sdk/client-s3 (via createAwsApi) against the stand-in: objects live as
// files under <s3Root>/<bucket>/<key>; ListObjectsV2 pages; HeadObject/GetObject/PutObject.
import { existsSync, readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAwsStandin, type AwsStandin } from '../../../rehearsal/aws/index.js';
import { createAwsApi } from '../../../src/aws/sdk-api.js';
import { AwsCallError } from '../../../src/aws/errors.js';

let aws: AwsStandin;
let api: ReturnType<typeof createAwsApi>;

beforeAll(async () => {
  aws = await startAwsStandin({ manualClock: true, seed: { buckets: ['orders-archive'] } });
  api = createAwsApi({ env: aws.env, maxAttempts: 2 });
});
afterAll(async () => {
  api.destroy();
  await aws.close();
});

describe('S3 stand-in', () => {
  it('PutObject stores the body as <s3Root>/<bucket>/<key> and answers the quoted md5 as ETag', async () => {
    const out = await api.send('s3', 'PutObject', {
      Bucket: 'orders-archive',
      Key: 'events/2023/a.csv',
      Body: 'id,kind\n1,x\n',
      ContentType: 'text/csv',
    });
    const md5 = createHash('md5').update('id,kind\n1,x\n').digest('hex');
    expect(out.ETag).toBe(`"${md5}"`);
    expect(readFileSync(join(aws.s3Root, 'orders-archive', 'events', '2023', 'a.csv'), 'utf8')).toBe('id,kind\n1,x\n');
  });

  it('keeps Content-Encoding and user metadata, and sidecar metadata never appears as an object', async () => {
    await api.send('s3', 'PutObject', {
      Bucket: 'orders-archive',
      Key: 'gz/b.csv.gz',
      Body: Buffer.from([0x1f, 0x8b, 1, 2]),
      ContentEncoding: 'gzip',
      Metadata: { rows: '3' },
    });
    const head = await api.send('s3', 'HeadObject', { Bucket: 'orders-archive', Key: 'gz/b.csv.gz' });
    expect(head.ContentEncoding).toBe('gzip');
    expect(head.ContentLength).toBe(4);
    expect(head.Metadata).toEqual({ rows: '3' });
    const list = await api.send('s3', 'ListObjectsV2', { Bucket: 'orders-archive' });
    expect(list.Contents.map((o: any) => o.Key)).toEqual(['events/2023/a.csv', 'gz/b.csv.gz']);
    expect(readdirSync(join(aws.s3Root, 'orders-archive')).sort()).toEqual(['events', 'gz']);
  });

  it('GetObject returns the bytes as a Buffer', async () => {
    const out = await api.send('s3', 'GetObject', { Bucket: 'orders-archive', Key: 'events/2023/a.csv' });
    expect(Buffer.isBuffer(out.Body)).toBe(true);
    expect(out.Body.toString('utf8')).toBe('id,kind\n1,x\n');
    expect(out.ContentType).toBe('text/csv');
  });

  it('lists files written straight into the folder (the aws_s3 SQL stand-in writes them so)', async () => {
    mkdirSync(join(aws.s3Root, 'orders-archive', 'direct'), { recursive: true });
    writeFileSync(join(aws.s3Root, 'orders-archive', 'direct', 'x.csv'), 'hello');
    const head = await api.send('s3', 'HeadObject', { Bucket: 'orders-archive', Key: 'direct/x.csv' });
    expect(head.ContentLength).toBe(5);
    expect(head.ETag).toBe(`"${createHash('md5').update('hello').digest('hex')}"`);
  });

  it('ListObjectsV2 pages with max-keys and continuation tokens, honouring the prefix', async () => {
    for (let i = 0; i < 7; i++)
      await api.send('s3', 'PutObject', { Bucket: 'orders-archive', Key: `page/part-${i}.csv`, Body: `${i}` });
    const keys: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const out = await api.send('s3', 'ListObjectsV2', {
        Bucket: 'orders-archive',
        Prefix: 'page/',
        MaxKeys: 3,
        ContinuationToken: token,
      });
      pages += 1;
      keys.push(...out.Contents.map((o: any) => o.Key));
      expect(out.KeyCount).toBe(out.Contents.length);
      token = out.IsTruncated ? out.NextContinuationToken : undefined;
      if (out.IsTruncated) expect(token).toBeTruthy();
    } while (token);
    expect(pages).toBe(3);
    expect(keys).toEqual([0, 1, 2, 3, 4, 5, 6].map((i) => `page/part-${i}.csv`));
  });

  it('ListObjectsV2 groups keys under CommonPrefixes with a delimiter', async () => {
    const out = await api.send('s3', 'ListObjectsV2', { Bucket: 'orders-archive', Delimiter: '/' });
    expect(out.Contents ?? []).toEqual([]);
    expect(out.CommonPrefixes.map((p: any) => p.Prefix)).toEqual(['direct/', 'events/', 'gz/', 'page/']);
  });

  it('a missing key is NoSuchKey (GetObject) and NotFound (HeadObject), with remedy', async () => {
    const get = await api.send('s3', 'GetObject', { Bucket: 'orders-archive', Key: 'nope.csv' }).catch((e) => e);
    expect(get).toBeInstanceOf(AwsCallError);
    expect(get.code).toBe('NoSuchKey');
    expect(get.httpStatus).toBe(404);
    expect(get.message).toMatch(
      /^S3 GetObject for s3:\/\/orders-archive\/nope\.csv \(us-east-1\) failed: NoSuchKey: .*The S3 object "s3:\/\/orders-archive\/nope\.csv" was not found: check that it is spelled right/,
    );
    const head = await api.send('s3', 'HeadObject', { Bucket: 'orders-archive', Key: 'nope.csv' }).catch((e) => e);
    expect(head.code).toBe('NotFound');
  });

  it('a missing bucket is NoSuchBucket', async () => {
    const err = await api.send('s3', 'ListObjectsV2', { Bucket: 'no-such-bucket' }).catch((e) => e);
    expect(err.code).toBe('NoSuchBucket');
    expect(existsSync(join(aws.s3Root, 'no-such-bucket'))).toBe(false);
  });

  it('counts calls per operation and resource', async () => {
    expect(aws.calls.count('PutObject', 'orders-archive/events/2023/a.csv')).toBe(1);
    expect(aws.calls.count('ListObjectsV2')).toBeGreaterThanOrEqual(5);
  });
});
