// Shared setup for the stand-in tests: a stand-in on a manual clock and an AwsApi (the real SDK
// clients, via createAwsApi) pointed at it. Few attempts, so exhausted retries end quickly.
import { startAwsStandin, type AwsStandin, type StandinOptions } from '../../../rehearsal/aws/index.js';
import { createAwsApi } from '../../../src/aws/sdk-api.js';
import type { AwsApi } from '../../../src/aws/api.js';

export interface Fixture {
  aws: AwsStandin;
  api: AwsApi;
  rds<T = any>(operation: string, input: Record<string, unknown>): Promise<T>;
  /** The AwsCallError (or other error) a call rejects with; fails the test if it succeeds. */
  rdsError(operation: string, input: Record<string, unknown>): Promise<any>;
  close(): Promise<void>;
}

export const SOURCE = 'orders-pg';

export async function standinFixture(options: StandinOptions = {}, maxAttempts = 3): Promise<Fixture> {
  const aws = await startAwsStandin({
    manualClock: true,
    ...options,
    seed: { instances: [{ id: SOURCE, engineVersion: '16.4', allocatedStorageGiB: 200 }], ...options.seed },
  });
  const api = createAwsApi({ env: aws.env, maxAttempts });
  return {
    aws,
    api,
    rds: (operation, input) => api.send('rds', operation, input),
    rdsError: (operation, input) =>
      api.send('rds', operation, input).then(
        (out) => {
          throw new Error(`expected ${operation} to fail, got ${JSON.stringify(out)}`);
        },
        (err) => err,
      ),
    close: async () => {
      api.destroy();
      await aws.close();
    },
  };
}
