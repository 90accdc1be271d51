// A stand-in on a manual clock plus the real AwsApi (SDK clients over HTTP) pointed at it, and a
// runner that executes one step against it with sleeps that move the stand-in's clock.
import { startAwsStandin, type AwsStandin, type StandinOptions } from '../../../rehearsal/aws/index.js';
import { createAwsApi } from '../../../src/aws/sdk-api.js';
import type { AnyStepModule } from '../../../src/steps/step.js';
import { runStep, type RunStepOptions, type StepRun } from './run-step.js';

export const SOURCE = 'orders-pg';
export const CLUSTER = 'orders-aurora';
export const INSTANCE = 'orders-aurora-1';

export interface StepStandin {
  aws: AwsStandin;
  api: ReturnType<typeof createAwsApi>;
  run(module: AnyStepModule, spec: Record<string, unknown>, opts?: Partial<RunStepOptions>): Promise<StepRun>;
  close(): Promise<void>;
}

export async function stepStandin(options: StandinOptions = {}): Promise<StepStandin> {
  const aws = await startAwsStandin({
    manualClock: true,
    seed: { instances: [{ id: SOURCE, engineVersion: '16.4', allocatedStorageGiB: 200 }] },
    ...options,
  });
  const api = createAwsApi({ env: aws.env, maxAttempts: 10 });
  return {
    aws,
    api,
    run: (module, spec, opts = {}) =>
      runStep(module, spec, { aws: api, clock: aws.clock, region: aws.region, ...opts }),
    close: async () => {
      api.destroy();
      await aws.close();
    },
  };
}

export const replicaSpec = (extra: Record<string, unknown> = {}) => ({
  id: 'replica',
  type: 'aurora-read-replica',
  source: SOURCE,
  cluster: CLUSTER,
  instance: { class: 'db.r6g.large' },
  subnetGroup: 'app-private',
  securityGroups: ['sg-0abc1234'],
  tags: { team: 'orders' },
  timeout: '8h',
  ...extra,
});
