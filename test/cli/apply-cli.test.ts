import { afterEach, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { cliWorkspace } from './cli-harness.js';
import { memoryIo } from '../support/memory-io.js';
import { ledgerLines } from '../support/test-steps.js';

let ws: ReturnType<typeof cliWorkspace>;
afterEach(() => ws?.cleanup());

const approvalPlan = (ledger: string) => ({
  steps: [
    { id: 'replica', type: 'test-effect', units: 2, ledger, echo: 'orders-aurora' },
    { id: 'cutover', type: 'approval', message: 'Stop application writes to orders-pg, then approve.' },
    { id: 'promote', type: 'test-effect', units: 1, ledger, echo: '${steps.replica.outputs.echo}' },
  ],
});

describe('apply (text)', () => {
  it('prints plain progress on stderr and a summary on stdout, then exits 0', async () => {
    ws = cliWorkspace();
    const plan = ws.writePlan({
      steps: [
        { id: 'replica', type: 'test-aws', cluster: 'orders-aurora', polls: 2 },
        { id: 'load', type: 'test-effect', units: 2, ledger: ws.ledger },
      ],
    });
    const r = await ws.apply(plan);
    expect(r.code).toBe(0);
    expect(r.err).toMatchInlineSnapshot(`
      "01:00:00 starting plan demo (run run1-aaa, state <dir>/.aurora-migrate/demo.state.json)
      01:00:00 replica: started (test-aws)
      01:00:00 replica: rds CreateDBCluster
      01:00:00 replica: cluster orders-aurora: creating (0ms)
      01:01:00 replica: succeeded in 1m
      01:01:00 load: started (test-effect)
      01:01:00 load: unit 1/2 done
      01:01:00 load: unit 2/2 done
      01:01:00 load: succeeded in 0ms
      "
    `);
    expect(r.out).toMatchInlineSnapshot(`
      "plan demo (run run1-aaa):
        replica  succeeded          (1m) clusterId=orders-aurora
        load     succeeded          (0ms) units=2
      done: every step succeeded.
      "
    `);
  });

  it('pauses at an approval step with exit 3 and names --approve; --yes does not approve it', async () => {
    ws = cliWorkspace();
    const plan = ws.writePlan(approvalPlan(ws.ledger));
    const r = await ws.apply(plan, { yes: true });
    expect(r.code).toBe(3);
    expect(r.err.split('\n').slice(-3).join('\n')).toMatchInlineSnapshot(`
      "paused: step "cutover" needs approval: Stop application writes to orders-pg, then approve.
      To approve and continue, run: aurora-migrate apply plan.yaml --approve cutover
      "
    `);
    expect(r.out).toMatchInlineSnapshot(`
      "plan demo (run run1-aaa):
        replica  succeeded          (0ms) units=2 echo=orders-aurora
        cutover  awaiting-approval  (0ms)
        promote  pending
      "
    `);
    expect(ws.state().steps.cutover.status).toBe('awaiting-approval');
    expect(ws.state().steps.promote.status).toBe('pending');
  });

  it('--approve ID passes the approval, records who and when, and finishes', async () => {
    ws = cliWorkspace();
    const plan = ws.writePlan(approvalPlan(ws.ledger));
    expect((await ws.apply(plan)).code).toBe(3);
    const r = await ws.apply(plan, { approve: ['cutover'] });
    expect(r.code).toBe(0);
    const st = ws.state();
    expect(st.approvals).toEqual([
      {
        stepId: 'cutover',
        approvedBy: 'alice',
        approvedAt: '2026-11-22T01:00:00.000Z',
        via: 'flag',
        runId: st.runId,
        source: 'os-user',
        host: hostname(),
      },
    ]);
    expect(st.steps.cutover.outputs).toEqual({ approvedBy: 'alice', approvedAt: '2026-11-22T01:00:00.000Z' });
    expect(ws.events().filter((e) => e.type === 'approval')).toMatchObject([
      { stepId: 'cutover', approvedBy: 'alice', via: 'flag' },
    ]);
    expect(st.steps.promote.outputs?.echo).toBe('orders-aurora');
    expect(ledgerLines(ws.ledger)).toHaveLength(3);
  });

  it('asks y/N on a TTY: yes approves (via prompt), no pauses with exit 3', async () => {
    ws = cliWorkspace();
    const plan = ws.writePlan(approvalPlan(ws.ledger));
    const no = await ws.apply(plan, {}, memoryIo({ cwd: ws.dir, tty: true, stdin: 'n\n', env: { NO_COLOR: '1' } }));
    expect(no.code).toBe(3);
    expect(no.err).toContain('Approve "cutover" and continue? [y/N] ');
    const yes = await ws.apply(plan, {}, memoryIo({ cwd: ws.dir, tty: true, stdin: 'y\n', env: { NO_COLOR: '1' } }));
    expect(yes.code).toBe(0);
    expect(ws.state().approvals[0]).toMatchObject({ stepId: 'cutover', approvedBy: 'alice', via: 'prompt' });
  });

  it('--format json prints exactly one versioned document on stdout', async () => {
    ws = cliWorkspace();
    const plan = ws.writePlan(approvalPlan(ws.ledger));
    const r = await ws.apply(plan, { format: 'json' });
    expect(r.code).toBe(3);
    const doc = JSON.parse(r.out);
    expect(doc).toMatchObject({
      version: 1,
      plan: 'demo',
      outcome: 'awaiting-approval',
      exitCode: 3,
      awaitingApproval: { stepId: 'cutover' },
    });
    expect(doc.steps.map((s: { id: string; status: string }) => `${s.id}:${s.status}`)).toEqual([
      'replica:succeeded',
      'cutover:awaiting-approval',
      'promote:pending',
    ]);
  });

  it('--format json on a usage error still prints one document (exit 1)', async () => {
    ws = cliWorkspace();
    const plan = ws.writePlan(approvalPlan(ws.ledger));
    const r = await ws.apply(plan, { format: 'json', approve: ['replica'] });
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out)).toMatchObject({ version: 1, outcome: 'error', exitCode: 1, error: { code: 'USAGE' } });
  });

  it('never writes a secret to the state file, the event log, stdout or stderr', async () => {
    ws = cliWorkspace();
    const secret = 'pa55-w0rd-XYZ';
    const plan = ws.writePlan({
      steps: [
        { id: 'load', type: 'test-effect', units: 1, ledger: ws.ledger, password: '${env.TEST_PW}' },
        {
          id: 'boom',
          type: 'test-effect',
          units: 0,
          ledger: ws.ledger,
          echo: '${steps.load.outputs.secretEcho}',
          failWhileExists: ws.ledger,
        },
      ],
    });
    const r = await ws.apply(plan, {}, memoryIo({ cwd: ws.dir, env: { NO_COLOR: '1', TEST_PW: secret } }));
    expect(r.code).toBe(2);
    for (const text of [ws.stateText(), ws.eventsText(), r.out, r.err]) expect(text).not.toContain(secret);
    expect(ws.eventsText()).toContain('***');
    expect(ws.state().steps.load.outputs?.secretEcho).toBe('pw=***');
  });

  it('warns loudly when AURORA_MIGRATE_TIME_SCALE is set without an AWS endpoint override', async () => {
    ws = cliWorkspace();
    const plan = ws.writePlan({ steps: [{ id: 'a', type: 'test-effect', units: 1, ledger: ws.ledger }] });
    const real = await ws.apply(
      plan,
      {},
      memoryIo({ cwd: ws.dir, env: { NO_COLOR: '1', AURORA_MIGRATE_TIME_SCALE: '60' } }),
    );
    expect(real.err.split('\n').slice(0, 3).join('\n')).toMatchInlineSnapshot(`
      "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!
      WARNING: AURORA_MIGRATE_TIME_SCALE=60 is set but no AWS_ENDPOINT_URL* is: this run talks to REAL AWS with every wait, poll interval and timeout divided by 60. Unset AURORA_MIGRATE_TIME_SCALE unless this is a rehearsal against a local stand-in.
      !!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
    `);
    ws.cleanup();
    ws = cliWorkspace();
    const plan2 = ws.writePlan({ steps: [{ id: 'a', type: 'test-effect', units: 1, ledger: ws.ledger }] });
    const standin = await ws.apply(
      plan2,
      {},
      memoryIo({
        cwd: ws.dir,
        env: { NO_COLOR: '1', AURORA_MIGRATE_TIME_SCALE: '60', AWS_ENDPOINT_URL: 'http://127.0.0.1:4566' },
      }),
    );
    expect(standin.err).not.toContain('WARNING');
  });

  it('leaves no lock behind after a run', async () => {
    ws = cliWorkspace();
    const plan = ws.writePlan({ steps: [{ id: 'a', type: 'test-effect', units: 1, ledger: ws.ledger }] });
    expect((await ws.apply(plan)).code).toBe(0);
    expect(existsSync(ws.statePath + '.lock')).toBe(false);
  });
});
