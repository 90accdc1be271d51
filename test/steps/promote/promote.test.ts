// promote against the stand-in: final lag check, PromoteReadReplicaDBCluster at most once across
// crashes, wait until standalone, promotion event, outputs.
import { afterEach, describe, expect, it } from 'vitest';
import { auroraReadReplica } from '../../../src/steps/aurora-read-replica/run.js';
import { promote } from '../../../src/steps/promote/run.js';
import { mutating } from '../support/run-step.js';
import { CLUSTER, INSTANCE, replicaSpec, stepStandin, type StepStandin } from '../support/standin.js';
import type { StandinOptions } from '../../../rehearsal/aws/index.js';

const MINUTE = 60_000;
let s: StepStandin;
afterEach(async () => s?.close());

const spec = (extra: Record<string, unknown> = {}) => ({
  id: 'promote',
  type: 'promote',
  cluster: CLUSTER,
  replica: INSTANCE,
  maxLag: '0s',
  ...extra,
});

/** Replica created and caught up (lag 0 for a while); call log empty. */
async function caughtUp(options: StandinOptions = {}): Promise<void> {
  s = await stepStandin(options);
  const r = await s.run(auroraReadReplica, replicaSpec());
  expect(r.error).toBeUndefined();
  s.aws.clock.advance(40 * MINUTE);
  s.aws.calls.reset();
}

describe('promote', () => {
  it('checks the lag, promotes once, waits until standalone, and confirms the event', async () => {
    await caughtUp();
    const r = await s.run(promote, spec());
    expect(r.error).toBeUndefined();
    expect(mutating(r.calls)).toEqual(['PromoteReadReplicaDBCluster']);
    expect(r.calls.map((c) => c.operation).slice(0, 3)).toEqual([
      'DescribeDBClusters',
      'GetMetricData',
      'PromoteReadReplicaDBCluster',
    ]);
    const cluster = await s.api.send('rds', 'DescribeDBClusters', { DBClusterIdentifier: CLUSTER });
    expect(cluster.DBClusters[0].ReplicationSourceIdentifier).toBeUndefined();
    expect(r.outputs).toEqual({
      clusterArn: s.aws.arn('cluster', CLUSTER),
      endpoint: cluster.DBClusters[0].Endpoint,
      readerEndpoint: cluster.DBClusters[0].ReaderEndpoint,
      port: cluster.DBClusters[0].Port,
      promotedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      promotionSentAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
    expect(r.events.some((e) => e.type === 'step-event' && e.name === 'promotion-confirmed')).toBe(true);
    expect(r.progress.some((p) => /cluster orders-aurora: promoting, still replicating/.test(p))).toBe(true);
  });

  it('refuses to promote when the lag is unknown, and sends nothing', async () => {
    await caughtUp();
    s.aws.faults.metricGaps({ fraction: 1, metrics: ['RDSToAuroraPostgreSQLReplicaLag'] });
    const r = await s.run(promote, spec());
    expect(r.error?.message).toMatch(
      /refused to promote cluster orders-aurora: replica lag of orders-aurora-1 is unknown \(no RDSToAuroraPostgreSQLReplicaLag datapoint in the last 5 minutes\)\. Promotion was not sent/,
    );
    expect(s.aws.calls.count('PromoteReadReplicaDBCluster')).toBe(0);
  });

  it('refuses to promote when the lag is over maxLag', async () => {
    await caughtUp();
    s.aws.faults.lagNeverConverges(42);
    s.aws.clock.advance(5 * MINUTE);
    const r = await s.run(promote, spec({ maxLag: '10s' }));
    expect(r.error?.message).toMatch(/replica lag of orders-aurora-1 is 42s, over maxLag 10s/);
    expect(s.aws.calls.count('PromoteReadReplicaDBCluster')).toBe(0);
  });

  it('without "replica" it promotes but says the lag check was skipped', async () => {
    await caughtUp();
    const r = await s.run(promote, spec({ replica: undefined }));
    expect(r.error).toBeUndefined();
    expect(r.warnings).toEqual([expect.stringMatching(/final lag check skipped: step has no "replica"/)]);
    expect(s.aws.calls.count('GetMetricData')).toBe(0);
  });

  // Checkpoints: 1 "PromoteReadReplicaDBCluster sent", 2 "promoted".
  for (const crash of [
    { crashAfterCheckpoint: 1 },
    { crashAfterSend: 'PromoteReadReplicaDBCluster' },
    { crashAfterCheckpoint: 2 },
  ]) {
    it(`sends PromoteReadReplicaDBCluster at most once across a crash ${JSON.stringify(crash)}`, async () => {
      await caughtUp();
      const first = await s.run(promote, spec(), crash);
      expect(first.error?.message).toMatch(/simulated crash/);
      const second = await s.run(promote, spec(), { checkpoint: first.checkpoint, attempt: 2 });
      expect(second.error).toBeUndefined();
      expect(second.outputs).toMatchObject({ clusterArn: s.aws.arn('cluster', CLUSTER) });
      expect(s.aws.calls.count('PromoteReadReplicaDBCluster')).toBe(1);
    });
  }

  it('a resume while the cluster is promoting does not send again, and never re-checks the lag', async () => {
    await caughtUp();
    const first = await s.run(promote, spec(), { crashAfterSend: 'PromoteReadReplicaDBCluster' });
    // The run stopped where the test killed it, right after AWS accepted the call (not on some other error).
    expect(first.error?.message).toContain('simulated crash after PromoteReadReplicaDBCluster returned');
    s.aws.calls.reset();
    const second = await s.run(promote, spec(), { checkpoint: first.checkpoint, attempt: 2 });
    expect(second.error).toBeUndefined();
    expect(s.aws.calls.count('PromoteReadReplicaDBCluster')).toBe(0);
    expect(s.aws.calls.count('GetMetricData')).toBe(0);
  });

  it('fails clearly when the cluster does not exist', async () => {
    s = await stepStandin();
    const r = await s.run(promote, spec());
    expect(r.error?.message).toMatch(/DB cluster orders-aurora was not found\. Check "cluster" in the plan/);
  });
});
