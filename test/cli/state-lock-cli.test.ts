import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { cliWorkspace } from './cli-harness.js';
import { main } from '../../src/cli/main.js';
import { memoryIo } from '../support/memory-io.js';
import { acquireLease } from '../../src/engine/lock.js';

let ws: ReturnType<typeof cliWorkspace>;
afterEach(() => ws?.cleanup());

/** A plan of real step types only, so the production CLI (main) loads and runs it. */
function realPlan(message = 'Stop writes, then approve.') {
  writeFileSync(
    join(ws.dir, 'real.yaml'),
    stringify({ version: 1, name: 'demo', steps: [{ id: 'cutover', type: 'approval', message }] }),
  );
  return 'real.yaml';
}

async function cli(args: string[]) {
  const io = memoryIo({ cwd: ws.dir });
  const code = await main(args, io);
  // The production CLI runs on the real clock with random run ids.
  const norm = (t: string) =>
    ws
      .normalize(t)
      .replace(/^\d\d:\d\d:\d\d /gm, '<hh:mm:ss> ')
      .replace(/run [0-9a-f]{8}/g, 'run <id>')
      .replace(/ after \d+ms/g, ' after <t>');
  return { code, out: norm(io.out()), err: norm(io.err()) };
}

describe('exit codes through the production CLI', () => {
  it('0 / 3 / 1: approval pause, unknown --approve and --until, non-approval --approve', async () => {
    ws = cliWorkspace();
    const plan = realPlan();
    expect((await cli(['apply', plan])).code).toBe(3);
    const badApprove = await cli(['apply', plan, '--approve', 'nope']);
    expect(badApprove.code).toBe(1);
    expect(badApprove.err).toMatchInlineSnapshot(`
      "error: --approve "nope" is not a step of plan "demo" (steps: cutover).
      "
    `);
    const badUntil = await cli(['apply', plan, '--until', 'nope']);
    expect(badUntil.code).toBe(1);
    expect(badUntil.err).toMatchInlineSnapshot(`
      "error: --until "nope" is not a step of plan "demo" (steps: cutover).
      "
    `);
    const ok = await cli(['apply', plan, '--approve', 'cutover']);
    expect(ok.code).toBe(0);
  });

  it('1: an invalid plan is reported gcc-style and nothing runs', async () => {
    ws = cliWorkspace();
    writeFileSync(
      join(ws.dir, 'bad.yaml'),
      stringify({ version: 1, name: 'demo', steps: [{ id: 'cutover', type: 'aproval', message: 'x' }] }),
    );
    const r = await cli(['apply', 'bad.yaml']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^bad\.yaml:\d+:\d+: error: /m);
    expect(existsSync(ws.statePath)).toBe(false);
  });

  it('2: a step that fails (here: an unset ${env.X}) exits 2 with the cause and how to resume', async () => {
    ws = cliWorkspace();
    writeFileSync(
      join(ws.dir, 'env.yaml'),
      stringify({
        version: 1,
        name: 'demo',
        steps: [{ id: 'cutover', type: 'approval', message: 'Ask ${env.AM_TEST_UNSET_OWNER}' }],
      }),
    );
    const r = await cli(['apply', 'env.yaml', '--approve', 'cutover']);
    expect(r.code).toBe(2);
    expect(r.err).toMatchInlineSnapshot(`
      "<hh:mm:ss> starting plan demo (run <id>, state <dir>/.aurora-migrate/demo.state.json)
      <hh:mm:ss> cutover: started (approval)
      <hh:mm:ss> cutover: failed after <t>: step "cutover" cannot start: environment variable AM_TEST_UNSET_OWNER is not set. Set what is missing (or fix the plan), then run apply again.
      error: step "cutover" cannot start: environment variable AM_TEST_UNSET_OWNER is not set. Set what is missing (or fix the plan), then run apply again.
      The state is saved. Fix the cause, then run aurora-migrate apply env.yaml to resume.
      "
    `);
    expect(ws.state().steps.cutover).toMatchObject({ status: 'failed', error: { code: 'STEP_FAILED' } });
  });

  it('4: a step changed after it succeeded is named; edits to steps not run yet are fine', async () => {
    ws = cliWorkspace();
    expect((await cli(['apply', realPlan(), '--approve', 'cutover'])).code).toBe(0);
    const before = readFileSync(ws.statePath, 'utf8');
    const edited = await cli(['apply', realPlan('Different text.')]);
    expect(edited.code).toBe(4);
    expect(edited.err).toMatchInlineSnapshot(`
      "error: the plan real.yaml does not match its state file: step "cutover" changed after it succeeded. A step that already ran cannot be edited in place. Undo the edit, or start over with a new state file (--state PATH): steps adopt the resources they already created.
      "
    `);
    expect(readFileSync(ws.statePath, 'utf8')).toBe(before);
  });

  it('edits to a step that has not run yet are taken as they are', async () => {
    ws = cliWorkspace();
    const plan = ws.writePlan({
      steps: [
        { id: 'a', type: 'test-effect', units: 1, ledger: ws.ledger },
        { id: 'b', type: 'approval', message: 'one' },
      ],
    });
    expect((await ws.apply(plan)).code).toBe(3);
    ws.writePlan({
      steps: [
        { id: 'a', type: 'test-effect', units: 1, ledger: ws.ledger, description: 'reworded only' },
        { id: 'b', type: 'approval', message: 'two' },
        { id: 'c', type: 'test-effect', units: 1, ledger: ws.ledger },
      ],
    });
    const r = await ws.apply(plan, { approve: ['b'] });
    expect(r.code).toBe(0);
    expect(r.err).toContain('step "b" was edited since its last attempt');
  });

  it.each([
    ['corrupt', '{"version": 1, "plan": "demo", "steps": {'],
    ['empty', ''],
    [
      'foreign',
      JSON.stringify({
        version: 1,
        plan: 'other-plan',
        runId: 'r',
        createdAt: '',
        updatedAt: '',
        steps: {},
        approvals: [],
      }),
    ],
    ['newer', JSON.stringify({ version: 2, plan: 'demo' })],
    ['not ours', JSON.stringify({ hello: 'world' })],
  ])('4: a %s state file is reported with what to do, and left untouched', async (_kind, content) => {
    ws = cliWorkspace();
    mkdirSync(join(ws.dir, '.aurora-migrate'), { recursive: true });
    writeFileSync(ws.statePath, content);
    const r = await cli(['apply', realPlan(), '--approve', 'cutover']);
    expect(r.code).toBe(4);
    expect(readFileSync(ws.statePath, 'utf8')).toBe(content);
    expect(r.err).toMatch(/^error: the state file <dir>\/\.aurora-migrate\/demo\.state\.json /);
    const s = await cli(['status', realPlan()]);
    expect(s.code).toBe(4);
  });

  it('pins the bad-state messages', async () => {
    ws = cliWorkspace();
    mkdirSync(join(ws.dir, '.aurora-migrate'), { recursive: true });
    const msgs: string[] = [];
    for (const content of [
      '{"version": 1, "pla',
      JSON.stringify({ version: 1, plan: 'other-plan', runId: 'r', steps: {}, approvals: [] }),
      JSON.stringify({ version: 7, plan: 'demo' }),
    ]) {
      writeFileSync(ws.statePath, content);
      msgs.push((await cli(['apply', realPlan()])).err);
    }
    expect(msgs.join('')).toMatchInlineSnapshot(`
      "error: the state file <dir>/.aurora-migrate/demo.state.json is not valid JSON (corrupt or truncated). It was left untouched. If it is damaged, restore it from a backup or move it aside (a fresh state file re-runs every step, and steps adopt what they already created).
      error: the state file <dir>/.aurora-migrate/demo.state.json belongs to plan "other-plan", not "demo". Pass the matching plan, or use --state to pick another state file. It was left untouched.
      error: the state file <dir>/.aurora-migrate/demo.state.json has format version 7, newer than this aurora-migrate understands (1). Upgrade aurora-migrate to the version that wrote it. It was left untouched.
      "
    `);
  });
});

describe('lock', () => {
  it('4: a second apply names the holder; unlock refuses a live lock', async () => {
    ws = cliWorkspace();
    const plan = realPlan();
    const lease = await acquireLease(ws.statePath, { planFile: plan, now: Date.now, onCompromised: () => {} });
    try {
      const second = await cli(['apply', plan]);
      expect(second.code).toBe(4);
      expect(second.err).toMatchInlineSnapshot(`
        "error: another run holds the lock on <dir>/.aurora-migrate/demo.state.json: pid <pid> on host <host> (user <user>, since <time>, heartbeat <age> ago). Wait for it to finish, or stop it (Ctrl-C) and run apply again.
        "
      `);
      const unlock = await cli(['unlock', plan]);
      expect(unlock.code).toBe(4);
      expect(unlock.err).toMatchInlineSnapshot(`
        "error: the lock on <dir>/.aurora-migrate/demo.state.json is live: pid <pid> on host <host> (user <user>, since <time>, heartbeat <age> ago). Stop that run (Ctrl-C) instead; a lock can be broken once its heartbeat has stopped for 30s. Then run: aurora-migrate apply real.yaml
        "
      `);
    } finally {
      await lease.release();
    }
  });

  it('unlock breaks a lease whose heartbeat stopped and records it in the event log', async () => {
    ws = cliWorkspace();
    const plan = realPlan();
    const lease = await acquireLease(ws.statePath, {
      planFile: plan,
      now: Date.now,
      onCompromised: () => {},
      heartbeatMs: 3_600_000,
    });
    const old = new Date(Date.now() - 120_000);
    utimesSync(join(ws.statePath + '.lock', 'holder.json'), old, old);
    const apply = await cli(['apply', plan]);
    expect(apply.code).toBe(4);
    expect(apply.err).toContain(
      'Its heartbeat stopped; if that run is gone, break the lock with: aurora-migrate unlock real.yaml',
    );
    const r = await cli(['unlock', plan]);
    expect(r.code).toBe(0);
    expect(r.out).toMatchInlineSnapshot(`
      "broke the lock on <dir>/.aurora-migrate/demo.state.json held by pid <pid> on host <host> (user <user>, since <time>, heartbeat <age> ago).
      Run aurora-migrate apply real.yaml to resume.
      "
    `);
    expect(ws.events().map((e) => e.type)).toContain('unlock');
    expect(ws.events().find((e) => e.type === 'unlock')).toMatchObject({ previousHolder: { pid: process.pid } });
    expect((await cli(['unlock', plan])).out).toContain('nothing to do');
    expect((await cli(['apply', plan, '--approve', 'cutover'])).code).toBe(0);
    await lease.release();
  });

  it('apply takes over a lock whose holder process on this host is gone, and logs it', async () => {
    ws = cliWorkspace();
    const plan = realPlan();
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    mkdirSync(ws.statePath + '.lock', { recursive: true });
    writeFileSync(
      join(ws.statePath + '.lock', 'holder.json'),
      JSON.stringify({
        host: (await import('node:os')).hostname(),
        pid: dead,
        user: 'bob',
        since: '2026-11-22T00:00:00.000Z',
        token: 't',
      }),
    );
    const r = await cli(['apply', plan, '--approve', 'cutover']);
    expect(r.code).toBe(0);
    expect(ws.events().find((e) => e.type === 'lock-recovered')).toMatchObject({
      previousHolder: { pid: dead, user: 'bob' },
    });
  });

  it('a run killed while taking the lock leaves no half-made lock: the next apply proceeds and clears the leftover', async () => {
    ws = cliWorkspace();
    const plan = realPlan();
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    // What a SIGKILL between creating the candidate lease and renaming it into place leaves behind.
    const leftover = `${ws.statePath}.lock.candidate-${dead}-0000`;
    mkdirSync(leftover, { recursive: true });
    writeFileSync(join(leftover, 'holder.json'), '{"pid":');
    const r = await cli(['apply', plan, '--approve', 'cutover']);
    expect(r.code).toBe(0);
    expect(existsSync(leftover)).toBe(false);
    expect(existsSync(ws.statePath + '.lock')).toBe(false);
  });
});

describe('status', () => {
  it('without a state file says so and lists every step as pending (exit 0)', async () => {
    ws = cliWorkspace();
    const r = await cli(['status', realPlan()]);
    expect(r.code).toBe(0);
    expect(r.out).toMatchInlineSnapshot(`
      "plan demo: no state file yet (<dir>/.aurora-migrate/demo.state.json); nothing has run. Its one step is pending.

        STEP     STATUS             ATTEMPTS  STARTED                   TOOK
        cutover  pending            0         -                         -
      "
    `);
  });

  it('shows statuses, timings, attempts, outputs, errors, warnings and the pending approval (text and json)', async () => {
    ws = cliWorkspace();
    const flag = join(ws.dir, 'flag');
    writeFileSync(flag, '');
    const plan = ws.writePlan({
      steps: [
        { id: 'replica', type: 'test-aws', cluster: 'orders-aurora', polls: 4 },
        { id: 'cutover', type: 'approval', message: 'Stop writes, then approve.' },
        { id: 'load', type: 'test-effect', units: 1, ledger: ws.ledger, failWhileExists: flag, password: 'hunter22' },
      ],
    });
    expect((await ws.apply(plan)).code).toBe(3);
    const text = await ws.status(plan);
    expect(text.out).toMatchInlineSnapshot(`
      "plan demo (run run1-aaa), state <dir>/.aurora-migrate/demo.state.json, updated <time>

        STEP     STATUS             ATTEMPTS  STARTED                   TOOK
        replica  succeeded          1         <time>  2m
                 outputs: clusterId=orders-aurora
        cutover  awaiting-approval  1         <time>  0ms
        load     pending            0         -                         -

      waiting for approval at "cutover": Stop writes, then approve.
      approve with: aurora-migrate apply plan.yaml --approve cutover
      "
    `);
    expect((await ws.apply(plan, { approve: ['cutover'] })).code).toBe(2);
    const after = await ws.status(plan);
    expect(after.out).toMatchInlineSnapshot(`
      "plan demo (run run1-aaa), state <dir>/.aurora-migrate/demo.state.json, updated <time>

        STEP     STATUS             ATTEMPTS  STARTED                   TOOK
        replica  succeeded          1         <time>  2m
                 outputs: clusterId=orders-aurora
        cutover  succeeded          2         <time>  0ms
                 outputs: approvedBy=alice approvedAt=<time>
                 approved by alice at <time> (--approve, OS user, host <host>)
        load     failed             1         <time>  0ms
                 error: step "load" failed: the table is locked (test: <dir>/flag exists). Remove it, then run apply again.
                 warning: connected with password ***
      "
    `);
    const json = JSON.parse((await ws.status(plan, { format: 'json' })).out);
    expect(json).toMatchObject({ version: 1, plan: 'demo', exists: true });
    expect(
      json.steps.map((s: { id: string; status: string; attempts: number }) => [s.id, s.status, s.attempts]),
    ).toEqual([
      ['replica', 'succeeded', 1],
      ['cutover', 'succeeded', 2],
      ['load', 'failed', 1],
    ]);
  });
});
