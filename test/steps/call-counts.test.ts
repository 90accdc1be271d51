// The AWS calls each step makes on its happy path, pinned: one observation before each create, one
// poll every 30 s (resources) or 60 s (metrics, exports) — no describe storms.
import { afterEach, describe, expect, it } from 'vitest';
import { auroraReadReplica } from '../../src/steps/aurora-read-replica/run.js';
import { snapshotMigrate } from '../../src/steps/snapshot-migrate/run.js';
import { lagWatch } from '../../src/steps/lag-watch/run.js';
import { promote } from '../../src/steps/promote/run.js';
import { clusterExport } from '../../src/steps/cluster-export/run.js';
import { CLUSTER, INSTANCE, replicaSpec, SOURCE, stepStandin, type StepStandin } from './support/standin.js';

let s: StepStandin;
afterEach(async () => s?.close());

describe('API calls per step (stand-in durations: cluster 12m, instance 8m, snapshot 5m, promote 5m, export 22m)', () => {
  it('pins every call of the replica route and the export', async () => {
    s = await stepStandin({
      seed: { instances: [{ id: SOURCE, engineVersion: '16.4' }], buckets: ['orders-archive'] },
    });
    const counts: Record<string, Record<string, number>> = {};
    const step = async (name: string, run: () => Promise<{ error?: Error }>) => {
      s.aws.calls.reset();
      const r = await run();
      expect(r.error).toBeUndefined();
      counts[name] = s.aws.calls.byOperation();
    };
    await step('replica', () => s.run(auroraReadReplica, replicaSpec()));
    await step('catch-up', () =>
      s.run(lagWatch, {
        id: 'catch-up',
        type: 'lag-watch',
        replica: INSTANCE,
        source: SOURCE,
        guards: [{ metric: 'FreeStorageSpace', on: 'source', below: '1GiB' }],
      }),
    );
    await step('promote', () =>
      s.run(promote, { id: 'promote', type: 'promote', cluster: CLUSTER, replica: INSTANCE }),
    );
    await step('export', () =>
      s.run(clusterExport, {
        id: 'export',
        type: 'cluster-export',
        cluster: CLUSTER,
        bucket: 'orders-archive',
        iamRole: 'arn:aws:iam::111122223333:role/x',
        kmsKey: 'k',
      }),
    );
    expect(counts).toEqual({
      // source, cluster (absent), create, instance (absent), create, then 25 polls of cluster + instance.
      replica: { DescribeDBInstances: 2 + 25, DescribeDBClusters: 1 + 25, CreateDBCluster: 1, CreateDBInstance: 1 },
      // One GetMetricData per poll, nothing else.
      'catch-up': { GetMetricData: counts['catch-up'].GetMetricData },
      // Observe, final lag check, promote, 11 polls over 5 minutes, one event lookup.
      promote: { DescribeDBClusters: 1 + 11, GetMetricData: 1, PromoteReadReplicaDBCluster: 1, DescribeEvents: 1 },
      // Cluster ARN, task lookup (absent), start, then one describe a minute for 22 minutes.
      export: { DescribeDBClusters: 1, DescribeExportTasks: 1 + 23, StartExportTask: 1 },
    });
    expect(counts['catch-up'].GetMetricData).toBeGreaterThan(30);
    expect(counts['catch-up'].GetMetricData).toBeLessThan(45);
  });

  it('snapshot-migrate: one snapshot, one restore, one instance, polls 30 s apart', async () => {
    s = await stepStandin();
    const r = await s.run(snapshotMigrate, {
      id: 'migrate',
      type: 'snapshot-migrate',
      source: SOURCE,
      cluster: CLUSTER,
      instance: { class: 'db.r6g.large' },
    });
    expect(r.error).toBeUndefined();
    expect(s.aws.calls.byOperation()).toEqual({
      DescribeDBSnapshots: 1 + 11,
      CreateDBSnapshot: 1,
      DescribeDBClusters: 1 + 25,
      RestoreDBClusterFromSnapshot: 1,
      DescribeDBInstances: 1 + 25,
      CreateDBInstance: 1,
    });
  });
});
