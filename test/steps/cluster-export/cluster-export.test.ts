// cluster-export against the stand-in: deterministic id, adoption of its own task, progress,
// warnings as outputs, FAILED with its cause.
import { afterEach, describe, expect, it } from 'vitest';
import { auroraReadReplica } from '../../../src/steps/aurora-read-replica/run.js';
import { clusterExport } from '../../../src/steps/cluster-export/run.js';
import { mutating } from '../support/run-step.js';
import { CLUSTER, replicaSpec, stepStandin, type StepStandin } from '../support/standin.js';
import type { StandinOptions } from '../../../rehearsal/aws/index.js';

let s: StepStandin;
afterEach(async () => s?.close());

const ROLE = 'arn:aws:iam::111122223333:role/rds-s3-export';
const KEY = 'arn:aws:kms:us-east-1:111122223333:key/exp';
const spec = (extra: Record<string, unknown> = {}) => ({
  id: 'export',
  type: 'cluster-export',
  cluster: CLUSTER,
  bucket: 'orders-archive',
  prefix: 'snap/2026',
  iamRole: ROLE,
  kmsKey: KEY,
  only: ['orders.public.events'],
  ...extra,
});

async function withCluster(options: StandinOptions = {}): Promise<void> {
  s = await stepStandin({
    seed: { instances: [{ id: 'orders-pg', engineVersion: '16.4' }], buckets: ['orders-archive'] },
    ...options,
  });
  const r = await s.run(auroraReadReplica, replicaSpec());
  expect(r.error).toBeUndefined();
  s.aws.calls.reset();
}

describe('cluster-export', () => {
  it('starts the export with a run-scoped id and follows it to COMPLETE', async () => {
    await withCluster({ exportOutcome: { kind: 'complete', totalExtractedDataInGB: 7 } });
    const r = await s.run(clusterExport, spec());
    expect(r.error).toBeUndefined();
    expect(mutating(r.calls)).toEqual(['StartExportTask']);
    expect(r.calls.find((c) => c.operation === 'StartExportTask')!.input).toEqual({
      ExportTaskIdentifier: 'orders-export-7f3a9c21',
      SourceArn: s.aws.arn('cluster', CLUSTER),
      S3BucketName: 'orders-archive',
      S3Prefix: 'snap/2026',
      IamRoleArn: ROLE,
      KmsKeyId: KEY,
      ExportOnly: ['orders.public.events'],
    });
    expect(r.outputs).toEqual({ exportId: 'orders-export-7f3a9c21', totalExtractedGB: 7, warnings: [] });
    expect(r.progress.some((p) => /export orders-export-7f3a9c21: IN_PROGRESS \d+%/.test(p))).toBe(true);
    // 22 minutes at one describe a minute.
    expect(s.aws.calls.count('DescribeExportTasks')).toBeLessThanOrEqual(25);
  });

  it('a new run of the plan gets a new export id', async () => {
    await withCluster();
    const a = await s.run(clusterExport, spec());
    const b = await s.run(clusterExport, spec(), { runId: '0c0ffee0-1111' });
    expect(a.outputs?.exportId).toBe('orders-export-7f3a9c21');
    expect(b.outputs?.exportId).toBe('orders-export-0c0ffee0');
    expect(s.aws.calls.count('StartExportTask')).toBe(2);
  });

  it('surfaces WarningMessage as a warning and in outputs', async () => {
    await withCluster({
      exportOutcome: {
        kind: 'complete',
        totalExtractedDataInGB: 3,
        warningMessage: 'Skipped table public.tmp_x (unlogged).',
      },
    });
    const r = await s.run(clusterExport, spec());
    expect(r.outputs?.warnings).toEqual(['Skipped table public.tmp_x (unlogged).']);
    expect(r.warnings).toEqual([
      expect.stringMatching(
        /export orders-export-7f3a9c21: Skipped table public.tmp_x \(unlogged\) \(some tables may have been skipped: verify row counts/,
      ),
    ]);
  });

  it('fails with the FailureCause when the export FAILED', async () => {
    await withCluster({ exportOutcome: { kind: 'failed', failureCause: 'The IAM role does not allow s3:PutObject.' } });
    const r = await s.run(clusterExport, spec());
    expect(r.error?.message).toMatch(
      /export task orders-export-7f3a9c21 FAILED: The IAM role does not allow s3:PutObject\. Fix the cause/,
    );
  });

  for (const crash of [
    { crashAfterCheckpoint: 1 },
    { crashAfterSend: 'StartExportTask' },
    { crashAfterCheckpoint: 2 },
  ]) {
    it(`adopts its own task after a crash ${JSON.stringify(crash)}: started once`, async () => {
      await withCluster();
      const first = await s.run(clusterExport, spec(), crash);
      expect(first.error?.message).toMatch(/simulated crash/);
      const second = await s.run(clusterExport, spec(), { checkpoint: first.checkpoint, attempt: 2 });
      expect(second.error).toBeUndefined();
      expect(second.outputs?.exportId).toBe('orders-export-7f3a9c21');
      expect(s.aws.calls.count('StartExportTask')).toBe(1);
    });
  }

  it('adopts on ExportTaskAlreadyExists when the task is its own (same source, bucket, prefix)', async () => {
    await withCluster();
    const input = {
      ExportTaskIdentifier: 'orders-export-7f3a9c21',
      SourceArn: s.aws.arn('cluster', CLUSTER),
      S3BucketName: 'orders-archive',
      S3Prefix: 'snap/2026',
      IamRoleArn: ROLE,
      KmsKeyId: KEY,
    };
    await s.api.send('rds', 'StartExportTask', input);
    // DescribeExportTasks misses it once (eventual consistency), so StartExportTask meets the duplicate.
    s.aws.faults.fail({ operation: 'DescribeExportTasks', code: 'ExportTaskNotFound', times: 1 });
    const r = await s.run(clusterExport, spec());
    expect(r.error).toBeUndefined();
    expect(s.aws.calls.filter('StartExportTask').map((c) => c.outcome)).toEqual([
      'ok',
      expect.stringMatching(/ExportTaskAlreadyExists/),
    ]);
  });

  it('refuses an existing task with the same id that exports something else', async () => {
    await withCluster();
    await s.api.send('rds', 'StartExportTask', {
      ExportTaskIdentifier: 'nightly',
      SourceArn: s.aws.arn('cluster', CLUSTER),
      S3BucketName: 'orders-archive',
      S3Prefix: 'other',
      IamRoleArn: ROLE,
      KmsKeyId: KEY,
    });
    const r = await s.run(clusterExport, spec({ exportId: 'nightly' }));
    expect(r.error?.message).toMatch(
      /export task nightly already exists for another export .*s3:\/\/orders-archive\/other.*Set a different "exportId"/,
    );
    expect(s.aws.calls.count('StartExportTask')).toBe(1);
  });
});
