// AwsApi over the AWS SDK v3 clients. The only module that imports @aws-sdk/*, and only lazily (with
// import() on the first call for a service), so `validate` and an offline `plan` never load the SDK.
//
// - Region: the call's override > createAwsApi's region (flag > plan) > the SDK's chain (AWS_REGION,
//   the profile's config).
// - Profile: passed to each client (the SDK then reads ~/.aws/config and credentials for it).
// - Endpoints: AWS_ENDPOINT_URL_RDS / _CLOUDWATCH / _S3, else AWS_ENDPOINT_URL — the SDK's own
//   variables, resolved here with the SDK's rule so that S3 can switch to path-style addressing.
// - Retries: the SDK's adaptive retry mode with 10 attempts: the standard mode's backoff plus a
//   client-side rate limiter that slows down once AWS throttles, so many plans applied at once (one
//   process each, as CI runners do) stay under the account's API rate limits instead of failing.
// - Errors: every failure becomes AwsCallError (src/aws/errors.ts); an abort becomes Interrupted.
import { ATTEMPTS } from './api.js';
import type { AwsApi, AwsCallOptions, AwsService } from './api.js';
import { AwsCallError } from './errors.js';
import { identifiersOf } from './call-details.js';
import { Interrupted } from '../errors.js';
import { loadPackage } from '../load-package.js';

export interface CreateAwsApiOptions {
  /** --region, else the plan's region; undefined leaves it to the SDK (AWS_REGION, profile). */
  region?: string;
  /** --profile; undefined leaves it to the SDK (AWS_PROFILE, default). */
  profile?: string;
  /**
   * Environment to read AWS_ENDPOINT_URL* from (default process.env). When given explicitly it also
   * supplies AWS_REGION and static AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN, so an
   * in-process test can point one AwsApi at a stand-in without touching process.env.
   */
  env?: Record<string, string | undefined>;
  /** Total attempts per call in the adaptive retry mode (default 10). */
  maxAttempts?: number;
}

export const DEFAULT_MAX_ATTEMPTS = 10;

const PACKAGES: Record<AwsService, { pkg: string; client: string; envSuffix: string }> = {
  rds: { pkg: '@aws-sdk/client-rds', client: 'RDSClient', envSuffix: 'RDS' },
  cloudwatch: { pkg: '@aws-sdk/client-cloudwatch', client: 'CloudWatchClient', envSuffix: 'CLOUDWATCH' },
  s3: { pkg: '@aws-sdk/client-s3', client: 'S3Client', envSuffix: 'S3' },
  route53: { pkg: '@aws-sdk/client-route-53', client: 'Route53Client', envSuffix: 'ROUTE_53' },
  sns: { pkg: '@aws-sdk/client-sns', client: 'SNSClient', envSuffix: 'SNS' },
};

/** A client package as loaded: its exports are constructors (clients, commands), looked up by name. */
type SdkModule = Record<string, new (input: unknown) => unknown>;
interface SdkClient {
  send(command: unknown, options?: { abortSignal?: AbortSignal }): Promise<unknown>;
  destroy(): void;
}

/** The endpoint the SDK would use for a service from its AWS_ENDPOINT_URL* variables, if any. */
export function configuredEndpoint(service: AwsService, env: Record<string, string | undefined>): string | undefined {
  if (/^true$/i.test(env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS ?? '')) return undefined;
  return env[`AWS_ENDPOINT_URL_${PACKAGES[service].envSuffix}`] || env.AWS_ENDPOINT_URL || undefined;
}

export function createAwsApi(options: CreateAwsApiOptions = {}): AwsApi & { destroy(): void } {
  const env = options.env ?? process.env;
  const explicitEnv = options.env !== undefined;
  const modules = new Map<AwsService, Promise<SdkModule>>();
  const clients = new Map<string, SdkClient>();

  const loadModule = (service: AwsService): Promise<SdkModule> => {
    let mod = modules.get(service);
    if (!mod) {
      // The SDK warns on every run that releases after early 2027 need Node 22. This tool pins its
      // SDK versions in the lock file, so the warning tells a user mid-migration nothing they can
      // act on; it stays visible to anyone who sets the variable to "false" (see docs/aws-setup.md).
      process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
      mod = loadPackage<SdkModule>(PACKAGES[service].pkg);
      modules.set(service, mod);
    }
    return mod;
  };

  const clientFor = (service: AwsService, mod: SdkModule, region: string | undefined): SdkClient => {
    // Route 53 is a global service: its API lives in us-east-1 whatever the plan's region.
    if (service === 'route53') region = 'us-east-1';
    const key = `${service}|${region ?? ''}`;
    let client = clients.get(key);
    if (client) return client;
    const config: Record<string, unknown> = {
      retryMode: 'adaptive',
      maxAttempts: options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
    };
    if (region) config.region = region;
    if (options.profile) config.profile = options.profile;
    const endpoint = configuredEndpoint(service, env);
    if (endpoint) config.endpoint = endpoint;
    if (service === 's3') {
      // Streamed uploads through S3-compatible endpoints break with the default checksum mode.
      config.requestChecksumCalculation = 'WHEN_REQUIRED';
      config.responseChecksumValidation = 'WHEN_REQUIRED';
      if (endpoint) config.forcePathStyle = true;
    }
    if (explicitEnv && env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) {
      config.credentials = {
        accessKeyId: env.AWS_ACCESS_KEY_ID,
        secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
        ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
      };
    }
    const Client = mod[PACKAGES[service].client];
    client = new Client(config) as SdkClient;
    clients.set(key, client);
    return client;
  };

  return {
    // biome-ignore lint/suspicious/noExplicitAny: the same default as AwsApi.send (src/aws/api.ts).
    async send<T = any>(
      service: AwsService,
      operation: string,
      input: Record<string, unknown>,
      callOptions: AwsCallOptions = {},
    ): Promise<T> {
      const region = callOptions.region ?? options.region ?? (explicitEnv ? env.AWS_REGION : undefined);
      if (callOptions.signal?.aborted) throw new Interrupted(`interrupted before ${operation} was sent`);
      const mod = await loadModule(service);
      const commandName = `${operation}Command`;
      const Command = commandName in mod ? mod[commandName] : undefined;
      if (typeof Command !== 'function') {
        throw new Error(
          `bug: ${PACKAGES[service].pkg} has no operation ${operation}; please report it at the aurora-migrate issue tracker`,
        );
      }
      const client = clientFor(service, mod, region);
      try {
        const output = await client.send(new Command(input), { abortSignal: callOptions.signal });
        return (await toPlainData(service, operation, output)) as T;
      } catch (err) {
        throw toAwsCallError(err, { service, operation, input, region, signal: callOptions.signal });
      }
    },
    async preload(service: AwsService, preloadOptions: Pick<AwsCallOptions, 'region'> = {}): Promise<void> {
      const mod = await loadModule(service);
      clientFor(service, mod, preloadOptions.region ?? options.region ?? (explicitEnv ? env.AWS_REGION : undefined));
    },
    destroy() {
      for (const client of clients.values()) client.destroy();
      clients.clear();
    },
  };
}

/**
 * GetObject's Body is a stream; as plain data it becomes a Buffer. $metadata is dropped, but how
 * many attempts the call took stays readable (not enumerable, so never serialized) for --verbose.
 */
async function toPlainData(service: AwsService, operation: string, output: unknown): Promise<unknown> {
  if (!output || typeof output !== 'object') return output;
  const { $metadata: metadata, ...rest } = output as {
    $metadata?: { attempts?: unknown };
    Body?: { transformToByteArray?: () => Promise<Uint8Array> } | Buffer;
  };
  if (typeof metadata?.attempts === 'number')
    Object.defineProperty(rest, ATTEMPTS, { value: metadata.attempts, enumerable: false });
  if (
    service === 's3' &&
    operation === 'GetObject' &&
    rest.Body &&
    'transformToByteArray' in rest.Body &&
    typeof rest.Body.transformToByteArray === 'function'
  ) {
    rest.Body = Buffer.from(await rest.Body.transformToByteArray());
  }
  return rest;
}

// In this order, so the resource a call creates or describes wins (CreateDBSnapshot → the snapshot,
// CreateDBInstance → the instance, RestoreDBClusterFromSnapshot → the cluster).
const RESOURCE_KEYS = [
  'ExportTaskIdentifier',
  'DBSnapshotIdentifier',
  'TargetDBSnapshotIdentifier',
  'DBInstanceIdentifier',
  'DBClusterIdentifier',
  'ResourceName',
  'SourceIdentifier',
  'SourceArn',
  'SnapshotIdentifier',
  'SourceDBSnapshotIdentifier',
];

/** The resource a call is about, for messages: the first identifier in the input, or bucket/key. */
export function resourceIdOf(service: AwsService, input: Record<string, unknown>): string | undefined {
  if (service === 's3' && typeof input.Bucket === 'string') {
    if (typeof input.Key === 'string') return `s3://${input.Bucket}/${input.Key}`;
    return `s3://${input.Bucket}/${typeof input.Prefix === 'string' ? input.Prefix : ''}`;
  }
  if (service === 'cloudwatch' && Array.isArray(input.MetricDataQueries)) {
    const dims = new Set<string>();
    const queries = input.MetricDataQueries as Array<
      { MetricStat?: { Metric?: { Dimensions?: Array<{ Value?: unknown }> } } } | undefined
    >;
    for (const q of queries) for (const d of q?.MetricStat?.Metric?.Dimensions ?? []) dims.add(String(d.Value));
    return dims.size ? [...dims].join(', ') : undefined;
  }
  for (const key of RESOURCE_KEYS) if (typeof input[key] === 'string') return input[key] as string;
  return undefined;
}

interface CallInfo {
  service: AwsService;
  operation: string;
  input: Record<string, unknown>;
  region?: string;
  signal?: AbortSignal;
}

export function toAwsCallError(err: unknown, call: CallInfo): Error {
  // What the SDK's errors (and Node's network errors under them) carry; every field is checked before use.
  const e = (err ?? {}) as {
    name?: unknown;
    Code?: unknown;
    code?: unknown;
    message?: unknown;
    region?: unknown;
    $metadata?: { httpStatusCode?: number; attempts?: number; requestId?: string };
    $response?: { statusCode?: number };
  };
  if (e.name === 'AbortError' || call.signal?.aborted) {
    return new Interrupted(`interrupted while ${call.operation} was in flight`, { cause: err });
  }
  let code: string =
    typeof e.name === 'string' && e.name !== 'Error'
      ? e.name
      : typeof e.Code === 'string'
        ? e.Code
        : typeof e.code === 'string'
          ? e.code
          : 'UnknownError';
  const message: string = typeof e.message === 'string' ? e.message : String(err);
  if (/region is missing/i.test(message)) code = 'RegionMissing';
  if (typeof e.code === 'string' && /^E[A-Z]+$/.test(e.code) && (code === 'UnknownError' || code === 'Error'))
    code = e.code;
  const httpStatus: number | undefined = e.$metadata?.httpStatusCode ?? e.$response?.statusCode;
  return new AwsCallError(
    {
      code,
      service: call.service,
      operation: call.operation,
      resourceId: resourceIdOf(call.service, call.input),
      identifiers: identifiersOf(call.service, call.input),
      region: call.region ?? (typeof e.region === 'string' ? e.region : undefined),
      httpStatus,
      attempts: e.$metadata?.attempts,
      requestId: e.$metadata?.requestId,
      awsMessage: message,
    },
    { cause: err },
  );
}
