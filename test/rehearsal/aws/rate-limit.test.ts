// The stand-in's account-wide rate limit (a token bucket per service, as AWS throttles per account and
// region): off by default; when on, a burst beyond the bucket is answered Throttling / "Rate exceeded"
// in each service's own error shape, and the SDK's adaptive retry mode still gets every call through.
import { afterEach, describe, expect, it } from 'vitest';
import { standinFixture, SOURCE, type Fixture } from './standin-fixture.js';
import { AccountRateLimit, AWS_RATE_LIMITS } from '../../../rehearsal/aws/rate-limit.js';

let f: Fixture | undefined;
afterEach(async () => {
  await f?.close();
  f = undefined;
});

const post = (url: string, body: string, headers: Record<string, string> = {}) =>
  fetch(url, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
  }).then(async (r) => ({ status: r.status, text: await r.text() }));

describe('account-wide rate limit in the stand-in', () => {
  it('a token bucket: the burst passes, then one call per refill; other services have their own bucket, S3 none', () => {
    let t = 0;
    const limit = new AccountRateLimit(
      { rds: { burst: 3, perSecond: 2 }, cloudwatch: { burst: 1, perSecond: 1 } },
      () => t,
    );
    expect([1, 2, 3, 4].map(() => limit.take('rds'))).toEqual([true, true, true, false]);
    t += 499;
    expect(limit.take('rds')).toBe(false);
    t += 1;
    expect(limit.take('rds')).toBe(true); // half a second at 2 a second: one token
    expect(limit.take('cloudwatch')).toBe(true);
    expect(limit.take('cloudwatch')).toBe(false);
    expect(Array.from({ length: 100 }, () => limit.take('s3')).every(Boolean)).toBe(true);
    expect(AWS_RATE_LIMITS.rds).toEqual({ burst: 300, perSecond: 12 });
  });

  it('is off by default; switched on over the control API, RDS, CloudWatch and Route 53 answer "Rate exceeded" (HTTP 400) in their own shapes', async () => {
    f = await standinFixture();
    const rds = () =>
      post(f!.aws.endpoint, `Action=DescribeDBInstances&Version=2014-10-31&DBInstanceIdentifier=${SOURCE}`);
    for (let i = 0; i < 5; i++) expect((await rds()).status).toBe(200);

    const on = await post(
      `${f.aws.endpoint}/_standin/faults`,
      JSON.stringify({
        rateLimit: {
          rds: { burst: 2, perSecond: 0.001 },
          cloudwatch: { burst: 1, perSecond: 0.001 },
          route53: { burst: 1, perSecond: 0.001 },
        },
      }),
      { 'content-type': 'application/json' },
    );
    expect(on.status).toBe(200);
    expect((await rds()).status).toBe(200);
    expect((await rds()).status).toBe(200);
    const throttled = await rds();
    expect(throttled.status).toBe(400);
    expect(throttled.text).toMatch(
      /<ErrorResponse[^>]*>\s*<Error>\s*<Type>Sender<\/Type>\s*<Code>Throttling<\/Code>\s*<Message>Rate exceeded<\/Message>/,
    );

    const cw = () =>
      post(
        f!.aws.endpoint,
        JSON.stringify({
          MetricDataQueries: [
            {
              Id: 'lag',
              MetricStat: {
                Metric: {
                  Namespace: 'AWS/RDS',
                  MetricName: 'FreeStorageSpace',
                  Dimensions: [{ Name: 'DBInstanceIdentifier', Value: SOURCE }],
                },
                Period: 60,
                Stat: 'Minimum',
              },
            },
          ],
          StartTime: 0,
          EndTime: 60,
        }),
        { 'x-amz-target': 'GraniteServiceVersion20100801.GetMetricData', 'content-type': 'application/x-amz-json-1.0' },
      );
    const cwOk = await cw();
    expect(cwOk.status, cwOk.text).toBe(200);
    const cwThrottled = await cw();
    expect(cwThrottled.status).toBe(400);
    expect(JSON.parse(cwThrottled.text)).toMatchObject({
      __type: expect.stringMatching(/Throttling$/),
      message: 'Rate exceeded',
    });

    const r53 = () =>
      fetch(`${f!.aws.endpoint}/2013-04-01/hostedzonesbyname`).then(async (r) => ({
        status: r.status,
        text: await r.text(),
      }));
    expect((await r53()).status).toBe(200);
    const r53Throttled = await r53();
    expect(r53Throttled.status).toBe(400);
    expect(r53Throttled.text).toMatch(/<Code>Throttling<\/Code>\s*<Message>Rate exceeded<\/Message>/);

    const off = await post(`${f.aws.endpoint}/_standin/faults`, JSON.stringify({ rateLimit: 'off' }), {
      'content-type': 'application/json',
    });
    expect(off.status).toBe(200);
    expect((await rds()).status).toBe(200);
  });

  it('the real SDK clients (adaptive retry mode) ride out a bucket smaller than a burst of calls: every call succeeds, some were throttled', async () => {
    f = await standinFixture({ faults: { rateLimit: { rds: { burst: 2, perSecond: 40 } } } }, 10);
    const results = await Promise.all(
      Array.from({ length: 3 }, () =>
        f!.rds<{ DBInstances: unknown[] }>('DescribeDBInstances', { DBInstanceIdentifier: SOURCE }),
      ),
    );
    expect(results.every((r) => r.DBInstances.length === 1)).toBe(true);
    const records = f.aws.calls.filter('DescribeDBInstances');
    const throttled = records.filter((r) => r.outcome === 'Throttling').length;
    expect(throttled).toBeGreaterThan(0);
    expect(f.aws.calls.succeeded('DescribeDBInstances')).toBe(3);
  }, 30_000);
});
