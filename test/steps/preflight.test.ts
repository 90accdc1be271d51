// runPreflight (plan --preflight) against the stand-in: read-only checks per step, pass/warn/fail,
// values from earlier steps skipped with a warning, and nothing mutated.
import { afterEach, describe, expect, it } from 'vitest';
import { checkPlanText } from '../../src/plan/load.js';
import type { Plan } from '../../src/plan/types.js';
import { runPreflight } from '../../src/preflight/run-preflight.js';
import { isReadOnlyOperation } from '../../src/aws/api.js';
import { stepStandin, type StepStandin } from './support/standin.js';
import type { DbConnector } from '../../src/db/api.js';

let s: StepStandin;
afterEach(async () => s?.close());

const PLAN = `
version: 1
name: orders
region: us-east-1
vars: { source: orders-pg, cluster: orders-aurora }
steps:
  - id: replica
    type: aurora-read-replica
    source: \${vars.source}
    cluster: \${vars.cluster}
    engineVersion: "ENGINE"
    instance: { class: db.r6g.large }
  - id: catch-up
    type: lag-watch
    replica: \${steps.replica.outputs.instanceId}
    source: \${vars.source}
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
    cluster: \${vars.cluster}
    bucket: orders-archive
    iamRole: arn:aws:iam::111122223333:role/rds-s3-export
    kmsKey: alias/exports
`;

function plan(engine = '16.6'): Plan {
  const r = checkPlanText('plans/orders.yaml', PLAN.replace('ENGINE', engine));
  if (!r.ok) throw new Error(JSON.stringify(r.diagnostics));
  return r.plan;
}
const noDb: DbConnector = { connect: () => Promise.reject(new Error('no db')) };
const checksOf = (report: Awaited<ReturnType<typeof runPreflight>>, stepId: string) =>
  report.steps.find((x) => x.stepId === stepId)!.checks.map((c) => `${c.status}: ${c.check} — ${c.detail}`);

describe('runPreflight', () => {
  it('passes a plan the account can run, skipping values that earlier steps produce', async () => {
    s = await stepStandin();
    const report = await runPreflight(plan(), {
      aws: s.api,
      db: noDb,
      signal: new AbortController().signal,
      clock: s.aws.clock,
    });
    expect(report.failed).toBe(false);
    expect(checksOf(report, 'replica')).toEqual([
      'pass: source is an RDS PostgreSQL instance — orders-pg: postgres 16.4, available',
      'pass: Aurora engine version compatible with the source — 16.6 is compatible with source 16.4',
      'pass: source has no Aurora read replica yet — orders-pg has no other Aurora read replica',
      'pass: source storage headroom for WAL — FreeStorageSpace 120GiB of 200GiB allocated (60%); migration estimate ~1h for 200 GiB allocated; WAL accumulates on the source meanwhile',
      'pass: DB cluster orders-aurora is free or ours — DB cluster orders-aurora does not exist yet; the step will create it',
      'pass: DB instance orders-aurora-1 is free or ours — DB instance orders-aurora-1 does not exist yet; the step will create it',
    ]);
    expect(checksOf(report, 'catch-up')).toEqual([
      'warn: replica lag metric readable — skipped: "replica" is <steps.replica.outputs.instanceId>, known only after an earlier step has run',
      'pass: source exists — DB instance orders-pg: available',
      'pass: guard FreeStorageSpace on source readable — FreeStorageSpace of orders-pg: 120GiB',
    ]);
    expect(checksOf(report, 'cutover')).toEqual([]);
    expect(checksOf(report, 'promote')[0]).toMatch(
      /^warn: cluster is a read replica — skipped: "cluster" is <steps.replica.outputs.clusterId>/,
    );
    expect(checksOf(report, 'export')).toEqual([
      'pass: iamRole is an IAM role ARN — arn:aws:iam::111122223333:role/rds-s3-export',
      'warn: cluster exists — DB cluster orders-aurora does not exist yet (an earlier step may create it)',
      'pass: exportId is free — a new export id unique to this plan, step and run is generated',
    ]);
    expect(s.aws.calls.records.filter((c) => !isReadOnlyOperation(c.operation))).toEqual([]);
  });

  it('fails when the cluster name is taken by someone else, or the version is incompatible', async () => {
    s = await stepStandin();
    await s.api.send('rds', 'CreateDBCluster', {
      DBClusterIdentifier: 'orders-aurora',
      Engine: 'aurora-postgresql',
      EngineVersion: '16.4',
    });
    const report = await runPreflight(plan('15.8'), {
      aws: s.api,
      db: noDb,
      signal: new AbortController().signal,
      clock: s.aws.clock,
    });
    expect(report.failed).toBe(true);
    const replica = checksOf(report, 'replica');
    expect(replica).toContain(
      "fail: Aurora engine version compatible with the source — Aurora engine version 15.8 is not the same major version as the source's 16.4 (major 16)",
    );
    expect(replica).toContain(
      'fail: DB cluster orders-aurora is free or ours — DB cluster orders-aurora already exists and is not tagged as this plan\'s step "replica"; choose another cluster name or remove it',
    );
  });

  it('fails on a missing source and on a guard that would trip now', async () => {
    s = await stepStandin({
      seed: {
        instances: [
          {
            id: 'orders-pg',
            engineVersion: '16.4',
            allocatedStorageGiB: 100,
            metrics: { FreeStorageSpace: 4 * 1024 ** 3 },
          },
        ],
      },
    });
    const report = await runPreflight(plan(), {
      aws: s.api,
      db: noDb,
      signal: new AbortController().signal,
      clock: s.aws.clock,
    });
    expect(report.failed).toBe(true);
    expect(checksOf(report, 'replica')).toContain(
      'fail: source storage headroom for WAL — FreeStorageSpace 4GiB of 100GiB allocated (4%); migration estimate ~1h for 100 GiB allocated; WAL accumulates on the source meanwhile. Add storage to the source before starting',
    );
    expect(checksOf(report, 'catch-up').at(-1)).toMatch(
      /^fail: no guard trips now — guard tripped: FreeStorageSpace on source orders-pg is 4GiB \(below the threshold 20GiB\)/,
    );

    await s.close();
    s = await stepStandin({ seed: { instances: [] } });
    const missing = await runPreflight(plan(), {
      aws: s.api,
      db: noDb,
      signal: new AbortController().signal,
      clock: s.aws.clock,
    });
    expect(checksOf(missing, 'replica')[0]).toBe(
      'fail: source exists — DB instance orders-pg was not found in this account/region',
    );
    expect(checksOf(missing, 'catch-up')).toContain(
      'fail: source exists — DB instance orders-pg was not found in this account/region',
    );
  });
});
