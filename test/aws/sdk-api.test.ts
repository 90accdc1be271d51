// The adapter itself: endpoint and region resolution, per-call region, abort, and how SDK failures
// become AwsCallError messages (context + cause + remedy, no secrets).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configuredEndpoint, createAwsApi, resourceIdOf, toAwsCallError } from '../../src/aws/sdk-api.js';
import { AwsCallError, redact } from '../../src/aws/errors.js';
import { Interrupted } from '../../src/errors.js';
import { startAwsStandin, type AwsStandin } from '../../rehearsal/aws/index.js';

let aws: AwsStandin;
beforeAll(async () => {
  aws = await startAwsStandin({
    manualClock: true,
    seed: { instances: [{ id: 'orders-pg' }], buckets: ['eu-bucket'] },
  });
});
afterAll(() => aws.close());

describe("configuredEndpoint (the SDK's own AWS_ENDPOINT_URL rule)", () => {
  it('prefers the service variable, falls back to AWS_ENDPOINT_URL, and honours AWS_IGNORE_CONFIGURED_ENDPOINT_URLS', () => {
    expect(configuredEndpoint('rds', { AWS_ENDPOINT_URL_RDS: 'http://a', AWS_ENDPOINT_URL: 'http://b' })).toBe(
      'http://a',
    );
    expect(configuredEndpoint('cloudwatch', { AWS_ENDPOINT_URL_RDS: 'http://a', AWS_ENDPOINT_URL: 'http://b' })).toBe(
      'http://b',
    );
    expect(configuredEndpoint('s3', { AWS_ENDPOINT_URL_S3: 'http://c' })).toBe('http://c');
    expect(configuredEndpoint('s3', {})).toBeUndefined();
    expect(
      configuredEndpoint('s3', { AWS_ENDPOINT_URL_S3: 'http://c', AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'true' }),
    ).toBeUndefined();
  });
});

describe('createAwsApi against the stand-in', () => {
  it('signs for the region given to createAwsApi, and a per-call region overrides it', async () => {
    const api = createAwsApi({ env: aws.env, region: 'us-east-1', maxAttempts: 1 });
    try {
      await api.send('rds', 'DescribeDBInstances', { DBInstanceIdentifier: 'orders-pg' });
      await api.send('s3', 'ListObjectsV2', { Bucket: 'eu-bucket' }, { region: 'eu-west-1' });
      expect(aws.calls.filter('DescribeDBInstances').at(-1)!.region).toBe('us-east-1');
      expect(aws.calls.filter('ListObjectsV2').at(-1)!.region).toBe('eu-west-1');
    } finally {
      api.destroy();
    }
  });

  it('uses one AWS_ENDPOINT_URL for all three services', async () => {
    const api = createAwsApi({
      env: {
        AWS_ENDPOINT_URL: aws.endpoint,
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE',
        AWS_SECRET_ACCESS_KEY: 'x',
      },
      maxAttempts: 1,
    });
    try {
      const out = await api.send('rds', 'DescribeDBInstances', {});
      expect(out.DBInstances.map((i: any) => i.DBInstanceIdentifier)).toEqual(['orders-pg']);
      expect((await api.send('s3', 'ListObjectsV2', { Bucket: 'eu-bucket' })).KeyCount).toBe(0);
    } finally {
      api.destroy();
    }
  });

  it('an aborted signal cancels the call with Interrupted', async () => {
    const api = createAwsApi({ env: aws.env, maxAttempts: 1 });
    try {
      const controller = new AbortController();
      controller.abort();
      await expect(api.send('rds', 'DescribeDBInstances', {}, { signal: controller.signal })).rejects.toBeInstanceOf(
        Interrupted,
      );
    } finally {
      api.destroy();
    }
  });

  it('an unreachable endpoint says so, naming the variables to check', async () => {
    const api = createAwsApi({ env: { ...aws.env, AWS_ENDPOINT_URL_RDS: 'http://127.0.0.1:9' }, maxAttempts: 1 });
    try {
      const err = await api.send('rds', 'DescribeDBClusters', { DBClusterIdentifier: 'orders-aurora' }).catch((e) => e);
      expect(err).toBeInstanceOf(AwsCallError);
      expect(err.code).toBe('ECONNREFUSED');
      expect(err.message).toMatch(/^RDS DescribeDBClusters for orders-aurora \(us-east-1\) failed: ECONNREFUSED/);
      expect(err.message).toMatch(/AWS_ENDPOINT_URL\* variables/);
    } finally {
      api.destroy();
    }
  });
});

describe('toAwsCallError', () => {
  const call = {
    service: 'rds' as const,
    operation: 'CreateDBCluster',
    input: { DBClusterIdentifier: 'orders-aurora' },
    region: 'us-east-1',
  };

  it('missing credentials → how to set AWS_PROFILE or keys', () => {
    const sdkErr = Object.assign(new Error('Could not load credentials from any providers'), {
      name: 'CredentialsProviderError',
    });
    const err = toAwsCallError(sdkErr, call) as AwsCallError;
    expect(err.code).toBe('CredentialsProviderError');
    expect(err.cause).toBe(sdkErr);
    expect(err.message).toMatch(/No AWS credentials were found\. Set AWS_PROFILE \(or pass --profile\)/);
  });

  it('missing region → --region, plan region or AWS_REGION', () => {
    const err = toAwsCallError(new Error('Region is missing'), { ...call, region: undefined }) as AwsCallError;
    expect(err.code).toBe('RegionMissing');
    expect(err.message).toMatch(/pass --region, set "region:" in the plan, or set AWS_REGION/);
  });

  it("never repeats credentials that appear in AWS's text", () => {
    const sdkErr = Object.assign(
      new Error(
        'The security token AKIAABCDEFGHIJKLMNOP is invalid; Credential=AKIAABCDEFGHIJKLMNOP/20261122/us-east-1/rds/aws4_request',
      ),
      { name: 'InvalidClientTokenId' },
    );
    const err = toAwsCallError(sdkErr, call) as AwsCallError;
    expect(err.message).not.toMatch(/AKIAABCDEFGHIJKLMNOP/);
    expect(err.message).toMatch(/AWS did not accept the credentials/);
    expect(redact('Signature=abcdef0123')).toBe('Signature=***');
  });

  it('names the resource of a call', () => {
    expect(resourceIdOf('rds', { DBInstanceIdentifier: 'i-1', DBClusterIdentifier: 'c' })).toBe('i-1');
    expect(resourceIdOf('rds', { DBSnapshotIdentifier: 's', DBInstanceIdentifier: 'i' })).toBe('s');
    expect(resourceIdOf('s3', { Bucket: 'b', Key: 'k/1.csv' })).toBe('s3://b/k/1.csv');
    expect(resourceIdOf('s3', { Bucket: 'b', Prefix: 'p/' })).toBe('s3://b/p/');
  });
});
