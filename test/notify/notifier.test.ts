// The notifier against the SNS stand-in (real @aws-sdk/client-sns over HTTP) and a real local
// webhook server: message content, at most once per event (recorded and persisted before sending),
// a failing target is a warning, and no secret or webhook URL leaks.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAwsStandin, type AwsStandin } from '../../rehearsal/aws/index.js';
import { createAwsApi } from '../../src/aws/sdk-api.js';
import { createRunNotifier } from '../../src/notify/notifier.js';
import type { NotifierDeps } from '../../src/engine/run-notifier.js';
import { redact } from '../../src/plan/values.js';
import type { Plan } from '../../src/plan/types.js';
import type { StateFile } from '../../src/engine/state-file.js';

const TOPIC = 'arn:aws:sns:us-east-1:111122223333:db-migrations';
let aws: AwsStandin;
let api: ReturnType<typeof createAwsApi>;
let hook: Server;
let hookUrl: string;
const hookBodies: Array<Record<string, unknown>> = [];
let hookStatus = 200;

beforeAll(async () => {
  aws = await startAwsStandin({ manualClock: true, seed: { topics: ['db-migrations'] } });
  api = createAwsApi({ env: aws.env, maxAttempts: 1 });
  hook = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      hookBodies.push({ ...JSON.parse(body), _path: req.url });
      res.statusCode = hookStatus;
      res.end();
    });
  });
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
  hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hooks/T0KEN-s3cret`;
});
afterAll(async () => {
  api.destroy();
  await aws.close();
  await new Promise((r) => hook.close(r));
});

function plan(
  notify: string[],
  steps: Array<Record<string, unknown>> = [
    { id: 'gate', type: 'approval', message: 'Stop writes, then approve.', approvers: ['alice', 'bob'], required: 2 },
  ],
): Plan {
  return Object.freeze({
    version: 1,
    name: 'orders',
    file: 'plans/orders.yaml',
    vars: {},
    notify,
    steps,
  }) as unknown as Plan;
}

function harness(p: Plan, over: Partial<NotifierDeps> = {}) {
  const state: StateFile = {
    version: 1,
    plan: p.name,
    runId: 'run-1',
    createdAt: 't',
    updatedAt: 't',
    steps: {},
    approvals: [],
  };
  const persisted: string[][] = [];
  const warnings: string[] = [];
  const log: Array<Record<string, unknown>> = [];
  const deps: NotifierDeps = {
    plan: p,
    state,
    persist: async () => void persisted.push((state.notifications ?? []).map((n) => n.key)),
    stateLocation: '/work/.aurora-migrate/orders.state.json',
    cwd: '/work',
    env: { HOOK: hookUrl },
    aws: api,
    warn: (m) => warnings.push(m),
    log: (r) => log.push(r),
    redact: (v) => redact(v, ['pa55word']),
    nowIso: () => '2026-12-04T02:00:00.000Z',
    host: 'box-1',
    ...over,
  };
  return { notifier: createRunNotifier(deps), state, persisted, warnings, log };
}

describe('notifier', () => {
  it('awaiting approval: the exact command, who may approve, once per gate state, to SNS and webhook', async () => {
    const before = aws.sns.messages.length;
    hookBodies.length = 0;
    const h = harness(plan([TOPIC, '${env.HOOK}']));
    await h.notifier.awaitingApproval('gate');
    await h.notifier.awaitingApproval('gate'); // a resume that pauses again: already told
    await h.notifier.drain();
    const got = aws.sns.messages.slice(before);
    expect(got).toHaveLength(1);
    expect(got[0].subject).toBe('aurora-migrate: orders: waiting for approval at "gate"');
    expect(got[0].message).toBe(
      [
        'Step "gate" is waiting for approval: Stop writes, then approve.',
        'Approvals: 0 of 2 approvals; still needed: 2 of alice, bob.',
        'May approve: alice, bob.',
        '',
        'To approve and continue, run:',
        '  aurora-migrate apply plans/orders.yaml --approve gate',
        '',
        'Plan file plans/orders.yaml, run run-1, state /work/.aurora-migrate/orders.state.json.',
        'Sent by aurora-migrate from box-1 at 2026-12-04T02:00:00.000Z. Notification id: run-1/awaiting-approval/gate/0',
      ].join('\n'),
    );
    expect(hookBodies).toHaveLength(1);
    expect(hookBodies[0]).toMatchObject({
      version: 1,
      event: 'awaiting-approval',
      key: 'run-1/awaiting-approval/gate/0',
      stepId: 'gate',
      approveCommand: 'aurora-migrate apply plans/orders.yaml --approve gate',
    });
    expect(h.persisted[0]).toEqual(['run-1/awaiting-approval/gate/0']); // recorded and persisted before sending
    expect(h.warnings).toEqual([]);
    // One approval in: a new state of the gate, told once more.
    h.state.approvals.push({ stepId: 'gate', runId: 'run-1', approvedBy: 'alice', approvedAt: 't', via: 'flag' });
    await h.notifier.awaitingApproval('gate');
    await h.notifier.drain();
    expect(aws.sns.messages.slice(before).map((m) => m.message.split('\n')[1])).toEqual([
      'Approvals: 0 of 2 approvals; still needed: 2 of alice, bob.',
      'Approvals: 1 of 2 approvals (alice); still needed: 1 more of bob.',
    ]);
  });

  it('a key already in the state (an earlier, crashed run) is never sent again', async () => {
    const before = aws.sns.messages.length;
    const h = harness(plan([TOPIC]));
    h.state.notifications = [{ key: 'run-1/step-failed/load/3', event: 'step-failed', stepId: 'load', at: 't' }];
    await h.notifier.stepFailed('load', 3, { code: 'STEP_FAILED', message: 'boom' });
    await h.notifier.drain();
    expect(aws.sns.messages.length).toBe(before);
    expect(h.persisted).toEqual([]);
  });

  it('step failed: message and resume command (with --state when not the default), secrets redacted', async () => {
    const before = aws.sns.messages.length;
    const h = harness(plan([TOPIC]), { stateLocation: '/elsewhere/my state.json' });
    await h.notifier.stepFailed('load', 2, {
      code: 'STEP_FAILED',
      message: 'step "load" failed: login with pa55word refused',
    });
    await h.notifier.drain();
    const [m] = aws.sns.messages.slice(before);
    expect(m.subject).toBe('aurora-migrate: orders: step "load" failed');
    expect(m.message).toContain('  step "load" failed: login with *** refused');
    expect(m.message).toContain(`  aurora-migrate apply plans/orders.yaml --state '/elsewhere/my state.json'`);
    expect(m.message).not.toContain('pa55word');
  });

  it('an unknown topic and a fault are warnings; the other target still gets it', async () => {
    hookBodies.length = 0;
    const h = harness(plan(['arn:aws:sns:us-east-1:111122223333:nope', '${env.HOOK}']));
    await h.notifier.planFinished();
    await h.notifier.drain();
    expect(hookBodies.map((b) => b.event)).toEqual(['plan-finished']);
    expect(h.warnings).toHaveLength(1);
    expect(h.warnings[0]).toMatch(
      /^notification "plan-finished" to SNS topic arn:aws:sns:us-east-1:111122223333:nope failed: SNS Publish .*NotFound.*The run goes on; it is not sent again\.$/,
    );
    expect(h.log.map((r) => r.type).sort()).toEqual(['notification', 'notification-failed', 'notification-sent']);

    aws.faults.fail({ operation: 'Publish', code: 'AuthorizationError', status: 403 });
    const h2 = harness(plan([TOPIC]));
    await h2.notifier.planFinished();
    await h2.notifier.drain();
    expect(h2.warnings[0]).toContain('AuthorizationError');
  });

  it('a webhook that fails or hangs is a warning without the URL (it may carry a token)', async () => {
    hookStatus = 500;
    const h = harness(plan(['${env.HOOK}']));
    await h.notifier.planFinished();
    await h.notifier.drain();
    hookStatus = 200;
    expect(h.warnings).toEqual([
      'notification "plan-finished" to webhook ${env.HOOK} failed: the webhook answered HTTP 500. The run goes on; it is not sent again.',
    ]);

    const hang = createServer(() => undefined);
    await new Promise<void>((r) => hang.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(hang.address() as AddressInfo).port}/T0KEN`;
    const h2 = harness(plan(['${env.HOOK}']), { env: { HOOK: url }, timeoutMs: 200 });
    await h2.notifier.planFinished();
    await h2.notifier.drain();
    hang.closeAllConnections();
    await new Promise((r) => hang.close(r));
    expect(h2.warnings).toEqual([
      'notification "plan-finished" to webhook ${env.HOOK} failed: no answer within 200ms. The run goes on; it is not sent again.',
    ]);
    expect(JSON.stringify(h2.log)).not.toContain('T0KEN');
  });

  it('an unset variable or a plain-http remote URL is a warning at the start, never sent to', async () => {
    const h = harness(plan(['${env.NOPE}', '${env.HOOK}']), { env: { HOOK: 'http://hooks.example.com/T0KEN' } });
    expect(h.warnings).toEqual([
      'notify: environment variable NOPE is not set, so no notifications go to webhook ${env.NOPE} in this run; set it to the webhook URL',
      'notify: the value of HOOK is a plain http URL; webhooks need https (plain http only to 127.0.0.1 or localhost, for rehearsals); nothing is sent to webhook ${env.HOOK}',
    ]);
    await h.notifier.planFinished();
    expect(h.persisted).toEqual([]); // nothing to send to: nothing recorded
  });
});
