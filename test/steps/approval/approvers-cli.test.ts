// Named approvers through the CLI code (runApply/runStatus/runPlan in-process, the real plan loader):
// the wrong person is refused with exit 1 naming who may approve; required: 2 opens on the second
// distinct person; the same person twice counts once; each identity source is recorded; TTY prompts
// follow the same rules; plan and status show it.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runApply } from '../../../src/cli/commands/apply.js';
import { runStatus } from '../../../src/cli/commands/status.js';
import { runPlan } from '../../../src/cli/commands/plan.js';
import { exitCodeFor } from '../../../src/cli/exit-codes.js';
import type { StateFile } from '../../../src/engine/state-file.js';
import { memoryIo } from '../../support/memory-io.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const PLAN = `version: 1
name: orders
steps:
  - id: gate
    type: approval
    message: Stop application writes, then approve.
    approvers: [alice, bob]
    required: 2
`;

function ws(text = PLAN) {
  const dir = mkdtempSync(join(tmpdir(), 'am-approvers-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'plan.yaml'), text);
  const noAws = { send: async () => Promise.reject(new Error('no AWS here')) };
  const apply = async (
    env: Record<string, string> = {},
    approve: string[] = ['gate'],
    io = memoryIo({ cwd: dir, env: { NO_COLOR: '1', ...env } }),
  ) => {
    let code: number;
    try {
      code = await runApply('plan.yaml', { format: 'text', color: false, verbose: false, approve, yes: false }, io, {
        aws: noAws,
        engine: { user: () => 'osuser' },
      });
    } catch (err) {
      code = exitCodeFor(err);
      io.stderr.write(`error: ${(err as Error).message}\n`);
    }
    return { code, out: io.out(), err: io.err() };
  };
  const state = (): StateFile => JSON.parse(readFileSync(join(dir, '.aurora-migrate', 'orders.state.json'), 'utf8'));
  return { dir, apply, state };
}

describe('named approvers', () => {
  it('--approve by someone not listed: exit 1 naming who may approve, before anything runs', async () => {
    const w = ws();
    const r = await w.apply({ AURORA_MIGRATE_APPROVER: 'mallory' });
    expect(r.code).toBe(1);
    expect(r.err).toContain(
      '--approve gate: step "gate" may be approved only by alice, bob; you are "mallory" (from AURORA_MIGRATE_APPROVER).',
    );
    expect(() => w.state()).toThrow(); // no state file: nothing ran
  });

  it('required 2: the first approval is recorded and the run pauses (exit 3) saying 1 of 2 and who is still needed', async () => {
    const w = ws();
    const first = await w.apply({ AURORA_MIGRATE_APPROVER: 'alice' });
    expect(first.code).toBe(3);
    expect(first.err).toContain(
      'paused: step "gate" needs approval: Stop application writes, then approve. (1 of 2 approvals (alice); still needed: 1 more of bob)',
    );
    expect(w.state().approvals).toEqual([
      expect.objectContaining({
        stepId: 'gate',
        approvedBy: 'alice',
        via: 'flag',
        source: 'AURORA_MIGRATE_APPROVER',
        host: expect.any(String),
      }),
    ]);

    const again = await w.apply({ AURORA_MIGRATE_APPROVER: 'alice' });
    expect(again.code).toBe(3);
    expect(again.err).toContain(
      '(1 of 2 approvals (alice); still needed: 1 more of bob; alice has already approved; an approval counts once per person)',
    );
    expect(w.state().approvals).toHaveLength(1);

    const second = await w.apply({
      GITHUB_ACTIONS: 'true',
      GITHUB_ACTOR: 'bob',
      GITHUB_SERVER_URL: 'https://github.com',
      GITHUB_REPOSITORY: 'org/db',
      GITHUB_RUN_ID: '7',
    });
    expect(second.code).toBe(0);
    const s = w.state();
    expect(s.steps.gate.status).toBe('succeeded');
    expect(s.steps.gate.outputs).toEqual({ approvedBy: 'alice, bob', approvedAt: s.approvals[1].approvedAt });
    expect(s.approvals[1]).toMatchObject({
      approvedBy: 'bob',
      source: 'GITHUB_ACTOR',
      ciRun: 'https://github.com/org/db/actions/runs/7',
    });
  });

  it('without AURORA_MIGRATE_APPROVER or GitHub Actions the OS user approves (GITHUB_ACTOR outside Actions is ignored)', async () => {
    const w = ws(PLAN.replace('[alice, bob]', '[osuser]').replace('required: 2', 'required: 1'));
    const r = await w.apply({ GITHUB_ACTOR: 'bob' });
    expect(r.code).toBe(0);
    expect(w.state().approvals[0]).toMatchObject({ approvedBy: 'osuser', source: 'os-user' });
  });

  it('a TTY prompt is offered only to a listed approver', async () => {
    const w = ws(PLAN.replace('required: 2', 'required: 1'));
    const stranger = await w.apply(
      { AURORA_MIGRATE_APPROVER: 'mallory' },
      [],
      memoryIo({ cwd: w.dir, env: { NO_COLOR: '1', AURORA_MIGRATE_APPROVER: 'mallory' }, tty: true, stdin: 'y\n' }),
    );
    expect(stranger.code).toBe(3);
    expect(stranger.err).not.toContain('[y/N]');
    expect(stranger.err).toContain('may be approved only by alice, bob; you are "mallory"');
    const alice = await w.apply(
      {},
      [],
      memoryIo({ cwd: w.dir, env: { NO_COLOR: '1', AURORA_MIGRATE_APPROVER: 'alice' }, tty: true, stdin: 'y\n' }),
    );
    expect(alice.err).toContain('[y/N]');
    expect(alice.code).toBe(0);
    expect(w.state().approvals[0]).toMatchObject({
      approvedBy: 'alice',
      via: 'prompt',
      source: 'AURORA_MIGRATE_APPROVER',
    });
  });

  it('plan shows approvers and required; status shows each approval with its source', async () => {
    const w = ws();
    const io = memoryIo({ cwd: w.dir });
    await runPlan('plan.yaml', { format: 'text', color: false, verbose: false, preflight: false }, io);
    expect(io.out()).toContain(
      '   - approval gate: Stop application writes, then approve.\n   - check: approvers: alice, bob; 2 distinct approvals required\n',
    );

    await w.apply({ AURORA_MIGRATE_APPROVER: 'alice' });
    const st = memoryIo({ cwd: w.dir });
    await runStatus('plan.yaml', { format: 'text', color: false, verbose: false }, st);
    expect(st.out()).toMatch(/approved by alice at \S+ \(--approve, from AURORA_MIGRATE_APPROVER, host \S+\)/);
    expect(st.out()).toContain(
      'waiting for approval at "gate": Stop application writes, then approve. (1 of 2 approvals (alice); still needed: 1 more of bob)',
    );
  });

  it('validate refuses required above the approvers listed', async () => {
    const w = ws(PLAN.replace('required: 2', 'required: 3'));
    const r = await w.apply({ AURORA_MIGRATE_APPROVER: 'alice' });
    expect(r.code).toBe(1);
    expect(r.err).toContain(
      'plan.yaml:8:15: error: steps[0].required: 3 distinct approvals required, but only 2 approvers are listed (alice, bob); list more approvers or lower required',
    );
  });

  it('plan names where notifications go (text, markdown, json)', async () => {
    const w = ws(
      PLAN.replace('steps:', 'notify: [arn:aws:sns:us-east-1:111122223333:db-migrations, "${env.HOOK}"]\nsteps:'),
    );
    const render = async (format: 'text' | 'markdown' | 'json') => {
      const io = memoryIo({ cwd: w.dir });
      await runPlan('plan.yaml', { format, color: false, verbose: false, preflight: false }, io);
      return io.out();
    };
    expect(await render('text')).toContain(
      'Notify: arn:aws:sns:us-east-1:111122223333:db-migrations, ${env.HOOK} (awaiting approval, step failed, cutover window opened/closed, finished; each at most once)\n',
    );
    expect(await render('markdown')).toContain(
      'go to `arn:aws:sns:us-east-1:111122223333:db-migrations`, `${env.HOOK}`.',
    );
    expect(JSON.parse(await render('json')).plan.notify).toEqual([
      'arn:aws:sns:us-east-1:111122223333:db-migrations',
      '${env.HOOK}',
    ]);
  });
});
