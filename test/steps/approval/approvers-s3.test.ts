// Approvals and notifications with the state in S3 (the plan's `state: { s3: … }`), two people on two
// "machines" (own working folder, own identity, nothing shared but the plan text and the bucket),
// through the CLI code with the real S3 and SNS clients against the stand-in.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAwsStandin, type AwsStandin } from '../../../rehearsal/aws/index.js';
import { runApply } from '../../../src/cli/commands/apply.js';
import { runStatus } from '../../../src/cli/commands/status.js';
import { exitCodeFor } from '../../../src/cli/exit-codes.js';
import { memoryIo } from '../../support/memory-io.js';

const TOPIC = 'arn:aws:sns:us-east-1:111122223333:db-migrations';
const PLAN = `version: 1
name: orders
region: us-east-1
state: { s3: s3://team-migrations/orders }
notify: [${TOPIC}]
steps:
  - id: gate
    type: approval
    message: Cutover in the 02:00 window.
    approvers: [alice, bob]
    required: 2
`;

let aws: AwsStandin;
const dirs: string[] = [];
beforeAll(async () => {
  aws = await startAwsStandin({ manualClock: true, seed: { topics: ['db-migrations'], buckets: ['team-migrations'] } });
  aws.s3.setVersioning('team-migrations', 'Enabled');
});
afterAll(async () => {
  await aws.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function machine(approver: string) {
  const cwd = mkdtempSync(join(tmpdir(), `am-s3-${approver}-`));
  dirs.push(cwd);
  writeFileSync(join(cwd, 'plan.yaml'), PLAN);
  const env = { NO_COLOR: '1', ...aws.env, AURORA_MIGRATE_APPROVER: approver };
  return {
    async apply(approve: string[]) {
      const io = memoryIo({ cwd, env });
      let code: number;
      try {
        code = await runApply('plan.yaml', { format: 'text', color: false, verbose: false, approve, yes: false }, io);
      } catch (err) {
        code = exitCodeFor(err);
        io.stderr.write(`error: ${(err as Error).message}\n`);
      }
      return { code, err: io.err() };
    },
    async status() {
      const io = memoryIo({ cwd, env });
      await runStatus('plan.yaml', { format: 'json', color: false, verbose: false }, io);
      return JSON.parse(io.out());
    },
  };
}

describe('approvals and notifications on S3 state', () => {
  it('alice approves on one machine, bob on another; the gate opens on the second person; each is told once', async () => {
    const before = aws.sns.messages.length;
    const a = machine('alice');
    const b = machine('bob');
    const first = await a.apply(['gate']);
    expect(first.code).toBe(3);
    expect(first.err).toContain('(1 of 2 approvals (alice); still needed: 1 more of bob)');
    expect((await a.apply(['gate'])).code).toBe(3); // alice again: still one approval, nobody told twice
    const st = await b.status();
    expect(st.pendingApproval.message).toBe(
      'Cutover in the 02:00 window. (1 of 2 approvals (alice); still needed: 1 more of bob)',
    );
    expect(st.steps[0].approvals).toEqual([
      expect.objectContaining({ approvedBy: 'alice', source: 'AURORA_MIGRATE_APPROVER' }),
    ]);

    const second = await b.apply(['gate']);
    expect(second.code).toBe(0);
    const done = await a.status();
    expect(done.steps[0].outputs.approvedBy).toBe('alice, bob');
    expect(done.steps[0].approvals.map((x: { approvedBy: string }) => x.approvedBy)).toEqual(['alice', 'bob']);

    const got = aws.sns.received(TOPIC).slice(before);
    expect(got.map((m) => m.subject)).toEqual([
      'aurora-migrate: orders: waiting for approval at "gate"',
      'aurora-migrate: orders: finished',
    ]);
    // The state is named by the plan, so the command to approve needs no --state.
    expect(got[0].message).toContain('  aurora-migrate apply plan.yaml --approve gate\n');
    expect(got[0].message).toContain('state s3://team-migrations/orders.');
  });
});
