// The dry-run (describe) and run() share their parameter builders: when every value is known up
// front, the mutating calls `plan` shows are exactly the ones `apply` sends, in order.
import { afterEach, describe, expect, it } from 'vitest';
import { auroraReadReplica } from '../../src/steps/aurora-read-replica/run.js';
import { snapshotMigrate } from '../../src/steps/snapshot-migrate/run.js';
import { promote } from '../../src/steps/promote/run.js';
import { clusterExport } from '../../src/steps/cluster-export/run.js';
import type { AnyStepModule } from '../../src/steps/step.js';
import { isReadOnlyOperation } from '../../src/aws/api.js';
import type { StepRun } from './support/run-step.js';
import { CLUSTER, replicaSpec, SOURCE, stepStandin, type StepStandin } from './support/standin.js';

let s: StepStandin;
afterEach(async () => s?.close());

function compare(module: AnyStepModule, spec: Record<string, unknown>, run: StepRun, stepId: string) {
  expect(run.error).toBeUndefined();
  const planned = module
    .describe(spec, { planName: 'orders', stepId, region: 'us-east-1' })
    .flatMap((a: any) =>
      a.kind === 'aws' && !isReadOnlyOperation(a.operation) ? [{ operation: a.operation, params: a.params }] : [],
    );
  const sent = run.calls
    .filter((c) => !isReadOnlyOperation(c.operation))
    .map((c) => ({ operation: c.operation, params: c.input }));
  expect(planned).toEqual(sent);
}

describe('describe() = run()', () => {
  it('snapshot-migrate from a snapshot ARN with engineVersion', async () => {
    s = await stepStandin({
      seed: {
        instances: [{ id: SOURCE, engineVersion: '16.4' }],
        snapshots: [{ id: 'orders-final', instanceId: SOURCE }],
      },
    });
    const spec = {
      id: 'migrate',
      type: 'snapshot-migrate',
      snapshot: s.aws.arn('snapshot', 'orders-final'),
      engineVersion: '16.4',
      cluster: CLUSTER,
      instance: { class: 'db.r6g.large', publiclyAccessible: true },
      subnetGroup: 'app',
      securityGroups: ['sg-1'],
      kmsKeyId: 'alias/k',
      tags: { a: 'b' },
    };
    compare(snapshotMigrate, spec, await s.run(snapshotMigrate, spec), 'migrate');
  });

  it('aurora-read-replica, promote and cluster-export with ARNs and ids given', async () => {
    s = await stepStandin({
      seed: { instances: [{ id: SOURCE, engineVersion: '16.4' }], buckets: ['orders-archive'] },
    });
    const replica = replicaSpec({ source: s.aws.arn('db', SOURCE), engineVersion: '16.4' });
    compare(auroraReadReplica, replica, await s.run(auroraReadReplica, replica), 'replica');
    s.aws.clock.advance(40 * 60_000);
    const prom = { id: 'promote', type: 'promote', cluster: CLUSTER };
    compare(promote, prom, await s.run(promote, prom), 'promote');
    const exp = {
      id: 'export',
      type: 'cluster-export',
      cluster: s.aws.arn('cluster', CLUSTER),
      bucket: 'orders-archive',
      prefix: 'p',
      iamRole: 'arn:aws:iam::111122223333:role/x',
      kmsKey: 'k',
      only: ['orders'],
      exportId: 'orders-nightly',
    };
    compare(clusterExport, exp, await s.run(clusterExport, exp), 'export');
  });
});
