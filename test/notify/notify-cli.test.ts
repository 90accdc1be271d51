// Notifications through the CLI code (runApply in-process) with the real SNS client against the
// stand-in: step failed, awaiting approval, plan finished — each exactly once, with the commands to
// run; an unknown topic or an SNS fault is a warning and the run goes on.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAwsStandin, type AwsStandin } from '../../rehearsal/aws/index.js';
import { runApply } from '../../src/cli/commands/apply.js';
import { exitCodeFor } from '../../src/cli/exit-codes.js';
import type { StateFile } from '../../src/engine/state-file.js';
import { lenientLoadPlan, testRegistry } from '../support/test-steps.js';
import { memoryIo } from '../support/memory-io.js';

const TOPIC = 'arn:aws:sns:us-east-1:111122223333:db-migrations';
const GONE = 'arn:aws:sns:us-east-1:111122223333:deleted-topic';
let aws: AwsStandin;
const dirs: string[] = [];

beforeAll(async () => {
  aws = await startAwsStandin({ manualClock: true, seed: { topics: ['db-migrations'] } });
});
afterAll(async () => {
  await aws.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function ws(notify: string[], extraEnv: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'am-notify-'));
  dirs.push(dir);
  const blocker = join(dir, 'table-locked');
  writeFileSync(blocker, '');
  const plan = {
    version: 1,
    name: 'orders',
    vars: { app: 'orders-api' },
    notify,
    steps: [
      {
        id: 'load',
        type: 'test-effect',
        units: 2,
        ledger: join(dir, 'ledger'),
        failWhileExists: blocker,
        password: '${env.PGPASSWORD}',
      },
      { id: 'gate', type: 'approval', message: 'Stop writes to ${vars.app}, then approve.' },
      { id: 'finish', type: 'test-effect', units: 1, ledger: join(dir, 'ledger') },
    ],
  };
  writeFileSync(join(dir, 'plan.yaml'), stringify(plan));
  const apply = async (approve: string[] = []) => {
    const io = memoryIo({ cwd: dir, env: { NO_COLOR: '1', PGPASSWORD: 'hunter2-secret', ...aws.env, ...extraEnv } });
    let code: number;
    try {
      code = await runApply('plan.yaml', { format: 'text', color: false, verbose: false, approve, yes: false }, io, {
        loadPlan: lenientLoadPlan,
        registry: testRegistry(),
      });
    } catch (err) {
      code = exitCodeFor(err);
      io.stderr.write(`error: ${(err as Error).message}\n`);
    }
    return { code, out: io.out(), err: io.err() };
  };
  const state = (): StateFile => JSON.parse(readFileSync(join(dir, '.aurora-migrate', 'orders.state.json'), 'utf8'));
  return { dir, blocker, apply, state };
}

describe('notifications through apply', () => {
  it('step failed, awaiting approval and plan finished: each once, with the command to run, no secret', async () => {
    const before = aws.sns.messages.length;
    const w = ws([TOPIC]);
    expect((await w.apply()).code).toBe(2);
    expect((await w.apply()).code).toBe(2); // a second failed attempt is a second event
    rmSync(w.blocker);
    expect((await w.apply()).code).toBe(3);
    expect((await w.apply()).code).toBe(3); // paused again: already told
    expect((await w.apply(['gate'])).code).toBe(0);
    const got = aws.sns.received(TOPIC).slice(before);
    expect(got.map((m) => m.subject)).toEqual([
      'aurora-migrate: orders: step "load" failed',
      'aurora-migrate: orders: step "load" failed',
      'aurora-migrate: orders: waiting for approval at "gate"',
      'aurora-migrate: orders: finished',
    ]);
    expect(got[0].message).toContain(
      'The state is saved. Fix the cause, then resume with:\n  aurora-migrate apply plan.yaml\n',
    );
    expect(got[0].message).toContain('failed (attempt 1, STEP_FAILED)');
    expect(got[1].message).toContain('failed (attempt 2, STEP_FAILED)');
    expect(got[2].message).toContain(
      'To approve and continue, run:\n  aurora-migrate apply plan.yaml --approve gate\n',
    );
    expect(got[3].message).toContain('Plan orders finished at ');
    expect(JSON.stringify(got)).not.toContain('hunter2-secret');
    const keys = w.state().notifications!.map((n) => n.key.replace(/^[^/]+\//, ''));
    expect(keys).toEqual(['step-failed/load/1', 'step-failed/load/2', 'awaiting-approval/gate/0', 'plan-finished']);
    const log = readFileSync(join(w.dir, '.aurora-migrate', 'orders.state.json.events.jsonl'), 'utf8');
    expect(log.match(/"type":"notification-sent"/g)).toHaveLength(4);
  });

  it('an unknown topic and an SNS fault are warnings; the run goes on and the good topic still hears', async () => {
    const before = aws.sns.received(TOPIC).length;
    const w = ws([GONE, TOPIC]);
    rmSync(w.blocker);
    aws.faults.fail({ operation: 'Publish', code: 'AuthorizationError', status: 403, times: 2 });
    const paused = await w.apply();
    expect(paused.code).toBe(3);
    aws.faults.clear();
    expect(paused.err).toMatch(
      /warning: notification "awaiting-approval" to SNS topic arn:aws:sns:us-east-1:111122223333:db-migrations failed: SNS Publish .*AuthorizationError.*The run goes on; it is not sent again\./,
    );
    const done = await w.apply(['gate']);
    expect(done.code).toBe(0);
    expect(done.err).toMatch(
      /warning: notification "plan-finished" to SNS topic arn:aws:sns:us-east-1:111122223333:deleted-topic failed: SNS Publish .*NotFound/,
    );
    expect(done.out).toContain('done: every step succeeded.');
    expect(aws.sns.received(GONE)).toEqual([]);
    expect(
      aws.sns
        .received(TOPIC)
        .slice(before)
        .map((m) => m.subject),
    ).toEqual(['aurora-migrate: orders: finished']);
    expect(w.state().steps.finish.status).toBe('succeeded');
  });

  it('a webhook from ${env.NAME} gets one JSON POST per event; its URL (a token) is never printed or logged', async () => {
    const bodies: Array<Record<string, unknown>> = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        bodies.push(JSON.parse(body));
        res.end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/services/T0KEN-abc123`;
    try {
      const w = ws(['${env.MIGRATION_WEBHOOK_URL}'], { MIGRATION_WEBHOOK_URL: url });
      rmSync(w.blocker);
      const paused = await w.apply();
      const done = await w.apply(['gate']);
      expect([paused.code, done.code]).toEqual([3, 0]);
      expect(bodies.map((b) => b.event)).toEqual(['awaiting-approval', 'plan-finished']);
      expect(bodies[0]).toMatchObject({
        version: 1,
        plan: 'orders',
        stepId: 'gate',
        approveCommand: 'aurora-migrate apply plan.yaml --approve gate',
      });
      expect(bodies[0].text).toMatch(
        /^aurora-migrate: orders: waiting for approval at "gate"\nStep "gate" is waiting for approval: Stop writes to orders-api, then approve\./,
      );
      const everything =
        paused.out +
        paused.err +
        done.out +
        done.err +
        readFileSync(join(w.dir, '.aurora-migrate', 'orders.state.json.events.jsonl'), 'utf8') +
        JSON.stringify(w.state());
      expect(everything).not.toContain('T0KEN');
      expect(everything).toContain('webhook ${env.MIGRATION_WEBHOOK_URL}');
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});
