// The engine over S3 state in-process (applyPlan with deps.storage = the S3 RunStorage, the real
// client-s3 against the stand-in): another writer changing the state mid-run stops the run with
// StateConflict (exit 4) and nothing of it is overwritten; secrets never reach S3; the event log
// in S3 is the run's whole story, in order.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAwsStandin, type AwsStandin } from '../../rehearsal/aws/index.js';
import { createAwsApi } from '../../src/aws/sdk-api.js';
import { applyPlan } from '../../src/engine/engine.js';
import { StateConflict } from '../../src/errors.js';
import type { StepModule } from '../../src/steps/step.js';
import { s3RunStorage } from '../../src/remote-state/s3-run-storage.js';
import { fakeAws, fakeTime } from '../engine/harness.js';
import { makePlan, testRegistry } from '../support/test-steps.js';
import { exitCodeFor } from '../../src/cli/exit-codes.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const Bucket = 'team-migrations';
let aws: AwsStandin;
let dir: string;
let api: ReturnType<typeof createAwsApi>;
beforeAll(async () => {
  aws = await startAwsStandin({ manualClock: true, seed: { buckets: [Bucket] } });
  aws.s3.setVersioning(Bucket, 'Enabled');
  dir = mkdtempSync(join(tmpdir(), 'am-s3-engine-'));
  api = createAwsApi({ env: aws.env, maxAttempts: 2 });
});
afterAll(async () => {
  api.destroy();
  await aws.close();
  rmSync(dir, { recursive: true, force: true });
});

const text = (key: string) => aws.s3.getObject(Bucket, key).body.toString('utf8');
const allUnder = (key: string) =>
  aws.s3
    .listKeys(Bucket)
    .filter((k) => k === key || k.startsWith(`${key}.`))
    .map(text)
    .join('\n');

function run(
  key: string,
  plan: ReturnType<typeof makePlan>,
  extra: Record<string, unknown> = {},
  env: Record<string, string> = {},
) {
  const storage = s3RunStorage({ aws: api, location: { bucket: Bucket, key }, env: {}, eventFlushDelayMs: 0 });
  const time = fakeTime();
  return applyPlan(
    { plan, env },
    {
      storage,
      registry: testRegistry(extra as never),
      aws: fakeAws(),
      db: { connect: async () => Promise.reject(new Error('no db')) },
      clock: time,
      delay: time.delay,
    },
  ).finally(() => storage.close());
}

describe('engine over S3 state', () => {
  it('another writer changing the state mid-run stops the run with StateConflict (exit 4); its state is not overwritten', async () => {
    const key = 'mid-run-conflict';
    const foreign = (state: string) => JSON.stringify({ ...JSON.parse(state), runId: 'someone-else' }, null, 2) + '\n';
    const intruder: StepModule<any> = {
      type: 'test-intruder' as never,
      outputs: [],
      describe: () => [],
      async run(_spec, ctx) {
        aws.s3.putObject(Bucket, key, foreign(text(key))); // e.g. a run started with the lease broken by mistake
        await ctx.checkpoint.set({ half: true });
        return {};
      },
    };
    const plan = makePlan('demo', [
      { id: 'a', type: 'test-intruder' },
      { id: 'b', type: 'test-intruder' },
    ]);
    const err = await run(key, plan, { 'test-intruder': intruder }).catch((e) => e);
    expect(err).toBeInstanceOf(StateConflict);
    expect(exitCodeFor(err)).toBe(4);
    expect(err.message).toContain(
      `the S3 state object s3://${Bucket}/${key} was not written: it was changed by another writer since this run read it`,
    );
    expect(err.message).toContain('Nothing was overwritten.');
    expect(JSON.parse(text(key)).runId).toBe('someone-else');
    expect(aws.s3.currentEtag(Bucket, `${key}.lock`)).toBeUndefined(); // lease released
  });

  it('writes no secret to S3 (state, events) and keeps the event log in order across runs', async () => {
    const key = 'secrets';
    const ledger = join(dir, 'ledger.txt');
    const plan = makePlan('demo', [
      { id: 'a', type: 'test-effect', units: 3, ledger, password: '${env.DB_PASSWORD}' },
      { id: 'gate', type: 'approval', message: 'ok?' },
    ]);
    const env = { DB_PASSWORD: 's3cr3t-Pa55word' };
    expect((await run(key, plan, {}, env)).outcome).toBe('awaiting-approval');
    const second = await run(key, plan, {}, env);
    expect(second.outcome).toBe('awaiting-approval');
    const everything = allUnder(key);
    expect(everything).not.toContain('s3cr3t-Pa55word');
    expect(everything).toContain('***');
    const storage = s3RunStorage({ aws: api, location: { bucket: Bucket, key }, env: {} });
    const types = (await storage.readEvents()).map((e) => e.type);
    storage.close();
    expect(types.filter((t) => t === 'run-start')).toHaveLength(2);
    expect(types.indexOf('run-end')).toBeGreaterThan(types.indexOf('run-start'));
    expect(types.at(-1)).toBe('run-end');
    expect(types.filter((t) => t === 'checkpoint')).toHaveLength(3);
  });
});
