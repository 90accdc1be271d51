// plan --preflight (runPreflight) for enable-logical-replication and aurora-cluster against the
// stand-in: what will happen to the source (a change and a reboot, or a stop for the reboot), a
// shared group refused, the cluster names and parameter group, and no mutating call at all.
import { afterEach, describe, expect, it } from 'vitest';
import { checkPlanText } from '../../src/plan/load.js';
import type { Plan } from '../../src/plan/types.js';
import { runPreflight } from '../../src/preflight/run-preflight.js';
import type { DbConnector } from '../../src/db/api.js';
import { stepStandin, type StepStandin } from './support/standin.js';

let s: StepStandin;
afterEach(async () => s?.close());

const noDb: DbConnector = { connect: () => Promise.reject(new Error('no db')) };

function plan(instance: string, group: string, reboot: boolean): Plan {
  const r = checkPlanText(
    'plans/logical.yaml',
    `version: 1
name: orders
steps:
  - id: logical-source
    type: enable-logical-replication
    instance: ${instance}
    parameterGroup: ${group}
    reboot: ${reboot}
  - id: target
    type: aurora-cluster
    cluster: orders-aurora-17
    engineVersion: "17.4"
    instance: { class: db.r6g.large }
    masterUsername: migrator
    masterPassword: \${env.TARGET_PASSWORD}
    clusterParameterGroup: orders-aurora-17-logical
`,
  );
  if (!r.ok) throw new Error(JSON.stringify(r.diagnostics));
  return r.plan;
}

const lines = (report: Awaited<ReturnType<typeof runPreflight>>, stepId: string) =>
  report.steps.find((x) => x.stepId === stepId)!.checks.map((c) => `${c.status}: ${c.check} — ${c.detail}`);

describe('preflight of the logical route foundation', () => {
  it('says what will happen to the source and the new cluster, and changes nothing', async () => {
    s = await stepStandin();
    const withReboot = await runPreflight(plan('orders-pg', 'orders-pg-logical', true), {
      aws: s.api,
      db: noDb,
      signal: new AbortController().signal,
      clock: s.aws.clock,
    });
    expect(withReboot.failed).toBe(false);
    expect(lines(withReboot, 'logical-source')).toEqual([
      'pass: source is an RDS PostgreSQL instance — orders-pg: postgres 16.4, available; parameter group default.postgres16 (in-sync)',
      'pass: parameter group — orders-pg uses default group default.postgres16; orders-pg-logical will be created from its family and associated (applies at the next reboot)',
      'warn: reboot — the step switches orders-pg to orders-pg-logical with rds.logical_replication = 1 and reboots orders-pg: a short outage of the source (connections are cut)',
    ]);
    expect(lines(withReboot, 'target')).toEqual([
      'pass: DB cluster parameter group orders-aurora-17-logical — does not exist yet; it will be created (aurora-postgresql17) with rds.logical_replication = 1',
      'pass: DB cluster orders-aurora-17 is free or ours — DB cluster orders-aurora-17 does not exist yet; the step will create it',
      'pass: DB instance orders-aurora-17-1 is free or ours — DB instance orders-aurora-17-1 does not exist yet; the step will create it',
    ]);
    const noReboot = await runPreflight(plan('orders-pg', 'orders-pg-logical', false), {
      aws: s.api,
      db: noDb,
      signal: new AbortController().signal,
      clock: s.aws.clock,
    });
    expect(lines(noReboot, 'logical-source').at(-1)).toMatch(
      /then stops with exit 2 until orders-pg is rebooted: reboot it in your own window \(or set reboot: true\)/,
    );
    expect(s.aws.calls.records.filter((r) => !/^(Describe|List|Get)/.test(r.operation))).toEqual([]);
  });

  it('fails on a group other instances share', async () => {
    s = await stepStandin({
      seed: {
        instances: [
          { id: 'orders-pg', engineVersion: '14.11', parameterGroup: 'team-pg14' },
          { id: 'billing-pg', engineVersion: '14.11', parameterGroup: 'team-pg14' },
        ],
      },
    });
    const report = await runPreflight(plan('orders-pg', 'team-pg14', true), {
      aws: s.api,
      db: noDb,
      signal: new AbortController().signal,
      clock: s.aws.clock,
    });
    expect(report.failed).toBe(true);
    expect(lines(report, 'logical-source')).toContain(
      'fail: parameter group not shared — team-pg14 is also used by billing-pg; name a group only orders-pg uses, or set shared: true',
    );
  });
});
