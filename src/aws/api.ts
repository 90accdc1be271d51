// The small AWS interface the project owns. Steps and the engine talk to AWS only through this;
// the implementation (src/aws/sdk-api.ts) lazily loads @aws-sdk/client-* and is the only place that
// imports them. Operation names and inputs/outputs are AWS's own (PascalCase), as plain data, so the
// dry-run can show exactly the call apply will send.

export type AwsService = 'rds' | 'cloudwatch' | 's3' | 'route53' | 'sns';

export interface AwsApi {
  /**
   * Sends one operation, e.g. send('rds', 'CreateDBCluster', { DBClusterIdentifier: 'x', ... }).
   * Rejects with AwsCallError (src/aws/errors.ts) whose `code` is the AWS error name.
   */
  // biome-ignore lint/suspicious/noExplicitAny: AWS outputs are not typed here (only src/aws loads the SDK, lazily); a caller that reads an output names its shape as T, and the default keeps untyped reads of wire data short.
  send<T = any>(
    service: AwsService,
    operation: string,
    input: Record<string, unknown>,
    options?: AwsCallOptions,
  ): Promise<T>;
  /**
   * Loads a service's client ahead of a call that should go out at once when it comes (the notifier
   * records a notification before sending it; a slow first import would widen that gap). Optional.
   */
  preload?(service: AwsService, options?: Pick<AwsCallOptions, 'region'>): Promise<void>;
}

export interface AwsCallOptions {
  /** Region override for this call (e.g. S3 buckets in another region, cross-region snapshot copy). */
  region?: string;
  /** Cancels the HTTP request. */
  signal?: AbortSignal;
}

/** A call's answer carries, under this non-enumerable key, how many attempts the SDK made (--verbose). */
export const ATTEMPTS = '$attempts';

/** Operations that change nothing: the engine logs every other operation to the event log. */
export function isReadOnlyOperation(operation: string): boolean {
  return /^(Describe|List|Get|Head)/.test(operation);
}
