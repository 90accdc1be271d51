// The whole replica route through the engine (applyPlan in-process, the production step registry),
// the real SDK and the stand-in on a manual clock: a run under 30% throttling, a crash at every
// state write then resume, and zero AWS calls when a finished plan is applied again.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { applyPlan } from '../../../src/engine/engine.js';
import { localRunStorage } from '../../../src/engine/run-storage.js';
import { Interrupted } from '../../../src/errors.js';
import { checkPlanText } from '../../../src/plan/load.js';
import { steps } from '../../../src/steps/index.js';
import { stepStandin, type StepStandin } from '../../steps/support/standin.js';

const PLAN = `
version: 1
name: orders
region: us-east-1
steps:
  - id: replica
    type: aurora-read-replica
    source: orders-pg
    cluster: orders-aurora
    instance: { class: db.r6g.large }
  - id: catch-up
    type: lag-watch
    replica: \${steps.replica.outputs.instanceId}
    source: orders-pg
    stableFor: 5m
    guards:
      - { metric: FreeStorageSpace, on: source, below: 20GiB }
  - id: cutover
    type: approval
    message: Stop writes, then approve.
  - id: promote
    type: promote
    cluster: \${steps.replica.outputs.clusterId}
    replica: \${steps.replica.outputs.instanceId}
  - id: export
    type: cluster-export
    cluster: \${steps.replica.outputs.clusterId}
    bucket: orders-archive
    iamRole: arn:aws:iam::111122223333:role/rds-s3-export
    kmsKey: alias/exports
`;

const plan = () => {
  const r = checkPlanText('plans/orders.yaml', PLAN);
  if (!r.ok) throw new Error(JSON.stringify(r.diagnostics));
  return r.plan;
};

let s: StepStandin;
let dir: string;
afterEach(async () => {
  await s?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

class Crash extends Error {}

function apply(statePath: string, crashAtWrite?: number) {
  let writes = 0;
  const local = localRunStorage(statePath);
  return applyPlan(
    { plan: plan(), env: {}, approve: ['cutover'] },
    {
      registry: steps,
      aws: s.api,
      db: { connect: () => Promise.reject(new Error('no db')) },
      clock: { now: s.aws.clock.now },
      monotonic: s.aws.clock.now,
      delay: async (ms: number, signal: AbortSignal) => {
        if (signal.aborted) throw new Interrupted('interrupted');
        s.aws.clock.advance(ms);
      },
      user: () => 'alice',
      newRunId: () => '5e1f0a77-0000-0000',
      lock: false,
      storage: {
        ...local,
        async write(state) {
          writes++;
          if (writes === crashAtWrite) throw new Crash(`crash at state write ${writes}`);
          await local.write(state);
        },
      },
    },
  );
}

const MIN = 60_000;
const FAST = {
  snapshotCreate: MIN,
  clusterCreating: 2 * MIN,
  clusterBackingUp: MIN,
  instanceCreate: 2 * MIN,
  promote: MIN,
  exportStarting: MIN,
  exportRun: 2 * MIN,
  lagCatchUp: 3 * MIN,
};

const once = ['CreateDBCluster', 'CreateDBInstance', 'PromoteReadReplicaDBCluster', 'StartExportTask'];

describe('apply: the replica route end to end', () => {
  it('succeeds under 30% throttling, creating each resource once; applying again makes no AWS call', async () => {
    // Short durations keep the number of calls (and the SDK's wall-time retry backoff) small.
    s = await stepStandin({
      seed: { instances: [{ id: 'orders-pg', engineVersion: '16.4' }], buckets: ['orders-archive'] },
      durations: FAST,
    });
    dir = mkdtempSync(join(tmpdir(), 'am-aws-steps-'));
    const statePath = join(dir, 'orders.state.json');
    s.aws.faults.throttle(0.3);
    const result = await apply(statePath);
    expect(result.failed?.error).toBeUndefined();
    expect(result.outcome).toBe('succeeded');
    expect(s.aws.calls.filter().filter((c) => c.outcome === 'Throttling').length).toBeGreaterThan(5);
    for (const op of once) expect(s.aws.calls.succeeded(op)).toBe(1);
    expect(result.steps.find((x) => x.id === 'promote')!.outputs).toMatchObject({
      endpoint: expect.stringContaining('orders-aurora'),
    });
    expect(result.steps.find((x) => x.id === 'export')!.outputs).toMatchObject({
      exportId: 'orders-export-5e1f0a77',
      warnings: [],
    });

    s.aws.faults.clear();
    s.aws.calls.reset();
    const again = await apply(statePath);
    expect(again.outcome).toBe('succeeded');
    expect(again.ran).toEqual([]);
    expect(s.aws.calls.records).toEqual([]);
  }, 120_000);

  it('converges after a crash at every state write: nothing created or promoted twice', async () => {
    dir = mkdtempSync(join(tmpdir(), 'am-aws-steps-'));
    let total = 0;
    // Crash at write 1, 2, 3, ... until a run makes fewer writes than the crash index (then it just succeeds).
    for (let n = 1; ; n++) {
      s = await stepStandin({
        seed: { instances: [{ id: 'orders-pg', engineVersion: '16.4' }], buckets: ['orders-archive'] },
      });
      const statePath = join(dir, `crash-${n}.state.json`);
      const first = await apply(statePath, n).catch((err) => err);
      const crashed = first instanceof Crash || (first && first.outcome !== 'succeeded');
      let result = first;
      for (let i = 0; i < 3 && result?.outcome !== 'succeeded'; i++)
        result = await apply(statePath).catch((err) => err);
      expect(
        result?.outcome,
        `resume after crash at write ${n}: ${result?.message ?? JSON.stringify(result?.failed)}`,
      ).toBe('succeeded');
      for (const op of once) expect(s.aws.calls.succeeded(op), `${op} after crash at write ${n}`).toBe(1);
      await s.close();
      total = n;
      if (!crashed) break;
    }
    expect(total).toBeGreaterThan(10);
  }, 120_000);
});
