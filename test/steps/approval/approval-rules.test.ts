// The approval gate's rules without the engine: who is approving (and from which source), who may,
// how many distinct people must, and what the gate says while it waits.
import { describe, expect, it } from 'vitest';
import {
  checkApproveFlags,
  passApprovalGate,
  resolveApprover,
  type GateInput,
} from '../../../src/engine/approval-gate.js';
import { describeTally, tallyApprovals } from '../../../src/plan/approval-rule.js';
import type { ApprovalDecision } from '../../../src/steps/approval-context.js';
import type { ApprovalRecord } from '../../../src/engine/state-file.js';
import { UsageError } from '../../../src/errors.js';

const os = () => 'osuser';
const host = () => 'box-1';

describe('approver identity', () => {
  it('AURORA_MIGRATE_APPROVER wins over GITHUB_ACTOR and the OS user', () => {
    expect(
      resolveApprover({ AURORA_MIGRATE_APPROVER: 'alice', GITHUB_ACTIONS: 'true', GITHUB_ACTOR: 'octocat' }, os, host),
    ).toEqual({
      id: 'alice',
      source: 'AURORA_MIGRATE_APPROVER',
      host: 'box-1',
    });
  });

  it('GITHUB_ACTOR only inside GitHub Actions, with the run URL', () => {
    const env = {
      GITHUB_ACTIONS: 'true',
      GITHUB_ACTOR: 'octocat',
      GITHUB_SERVER_URL: 'https://github.com',
      GITHUB_REPOSITORY: 'org/repo',
      GITHUB_RUN_ID: '42',
    };
    expect(resolveApprover(env, os, host)).toEqual({
      id: 'octocat',
      source: 'GITHUB_ACTOR',
      host: 'box-1',
      ciRun: 'https://github.com/org/repo/actions/runs/42',
    });
    expect(resolveApprover({ GITHUB_ACTOR: 'octocat' }, os, host)).toEqual({
      id: 'osuser',
      source: 'os-user',
      host: 'box-1',
    });
  });

  it('an empty AURORA_MIGRATE_APPROVER is not an identity', () => {
    expect(resolveApprover({ AURORA_MIGRATE_APPROVER: '  ' }, os, host).source).toBe('os-user');
  });
});

describe('--approve from someone not listed', () => {
  const steps = [{ id: 'gate', type: 'approval', message: 'm', approvers: ['alice', 'bob'] }];
  it('is a usage error naming who may approve and who you are', () => {
    const who = () => resolveApprover({}, () => 'mallory', host);
    expect(() => checkApproveFlags(steps, ['gate'], who)).toThrow(UsageError);
    expect(() => checkApproveFlags(steps, ['gate'], who)).toThrow(
      '--approve gate: step "gate" may be approved only by alice, bob; you are "mallory" (OS user).',
    );
  });
  it('passes for a listed approver and for a step without approvers', () => {
    expect(() =>
      checkApproveFlags(steps, ['gate'], () => resolveApprover({ AURORA_MIGRATE_APPROVER: 'bob' }, os, host)),
    ).not.toThrow();
    expect(() =>
      checkApproveFlags([{ id: 'g', type: 'approval' }], ['g'], () => resolveApprover({}, os, host)),
    ).not.toThrow();
  });
});

describe('tally', () => {
  it('counts distinct allowed people once each', () => {
    const t = tallyApprovals({ approvers: ['alice', 'bob', 'carol'], required: 2 }, [
      { approvedBy: 'alice' },
      { approvedBy: 'alice' },
      { approvedBy: 'mallory' },
    ]);
    expect(t).toEqual({ approvedBy: ['alice'], required: 2, stillNeeded: 1, remaining: ['bob', 'carol'] });
    expect(describeTally(t)).toBe('1 of 2 approvals (alice); still needed: 1 more of bob, carol');
  });
});

function gate(over: Partial<GateInput> & { who?: string } = {}) {
  const records: ApprovalRecord[] = [];
  const input: GateInput = {
    stepId: 'gate',
    message: 'go?',
    rule: { approvers: ['alice', 'bob'], required: 2 },
    records: () => records,
    identity: () => resolveApprover({ AURORA_MIGRATE_APPROVER: over.who ?? 'alice' }, os, host),
    flagged: true,
    record: async (d: ApprovalDecision) => void records.push({ stepId: 'gate', runId: 'r1', ...d }),
    nowIso: () => '2026-12-04T02:00:00.000Z',
    ...over,
  };
  return { input, records };
}

describe('the gate', () => {
  it('required 2: the first approval is recorded with who, when and where, and the gate still waits', async () => {
    const { input, records } = gate();
    expect(await passApprovalGate(input)).toEqual({
      pending: true,
      detail: '1 of 2 approvals (alice); still needed: 1 more of bob',
    });
    expect(records).toEqual([
      {
        stepId: 'gate',
        runId: 'r1',
        approvedBy: 'alice',
        approvedAt: '2026-12-04T02:00:00.000Z',
        via: 'flag',
        source: 'AURORA_MIGRATE_APPROVER',
        host: 'box-1',
      },
    ]);
  });

  it('the same person again does not count twice and is not recorded again', async () => {
    const { input, records } = gate();
    await passApprovalGate(input);
    const again = await passApprovalGate(input);
    expect(again).toEqual({
      pending: true,
      detail:
        '1 of 2 approvals (alice); still needed: 1 more of bob; alice has already approved; an approval counts once per person',
    });
    expect(records).toHaveLength(1);
  });

  it('opens on the second distinct person', async () => {
    const { input, records } = gate();
    await passApprovalGate(input);
    const d = await passApprovalGate({
      ...input,
      identity: () => resolveApprover({ AURORA_MIGRATE_APPROVER: 'bob' }, os, host),
    });
    expect(d).toMatchObject({ approvedBy: 'alice, bob', via: 'flag', source: 'AURORA_MIGRATE_APPROVER' });
    expect(records.map((r) => r.approvedBy)).toEqual(['alice', 'bob']);
    // Resumed later (crash before the step succeeded): open without asking anyone.
    expect(await passApprovalGate({ ...input, flagged: false })).toMatchObject({ approvedBy: 'alice, bob' });
  });

  it('a TTY prompt is not offered to someone not listed; it says who may approve', async () => {
    let asked = 0;
    const { input, records } = gate({
      who: 'mallory',
      flagged: false,
      prompt: async () => {
        asked++;
        return true;
      },
    });
    const r = await passApprovalGate(input);
    expect(asked).toBe(0);
    expect(records).toEqual([]);
    expect(r).toMatchObject({ pending: true });
    expect((r as { detail: string }).detail).toContain('may be approved only by alice, bob; you are "mallory"');
  });

  it('a yes at the prompt from a listed approver counts like --approve (via prompt)', async () => {
    const { input, records } = gate({
      flagged: false,
      prompt: async () => true,
      rule: { approvers: ['alice'], required: 1 },
    });
    expect(await passApprovalGate(input)).toMatchObject({ approvedBy: 'alice', via: 'prompt' });
    expect(records[0]).toMatchObject({ via: 'prompt', host: 'box-1' });
  });

  it('no flag, no prompt, one-person gate: plain "not approved" as before', async () => {
    const { input } = gate({ flagged: false, rule: { required: 1 } });
    expect(await passApprovalGate(input)).toBeUndefined();
  });
});
