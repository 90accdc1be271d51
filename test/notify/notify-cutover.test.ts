// Cutover window notifications through the CLI code and the engine's window rules (test step types
// stand in for freeze-writes and promote; the SNS stand-in receives): opened, then closed at the point
// of no return; or opened, a step failed, closed by the rollback — each once.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAwsStandin, type AwsStandin } from '../../rehearsal/aws/index.js';
import { runApply } from '../../src/cli/commands/apply.js';
import { exitCodeFor } from '../../src/cli/exit-codes.js';
import type { StepModule } from '../../src/steps/step.js';
import { lenientLoadPlan, testRegistry } from '../support/test-steps.js';
import { memoryIo } from '../support/memory-io.js';

const TOPIC = 'arn:aws:sns:us-east-1:111122223333:db-migrations';
let aws: AwsStandin;
const dirs: string[] = [];
beforeAll(async () => {
  aws = await startAwsStandin({ manualClock: true, seed: { topics: ['db-migrations'] } });
});
afterAll(async () => {
  await aws.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const freeze: StepModule<any> = {
  type: 'test-freeze' as never,
  outputs: [],
  opensCutoverWindow: true,
  describe: () => [],
  async run(_spec, ctx) {
    const now = ctx.clock.now();
    await ctx.openCutoverWindow!({
      frozenAt: new Date(now).toISOString(),
      deadline: new Date(now + 300_000).toISOString(),
    });
    return {};
  },
  async undo() {
    return {};
  },
};
const promote: StepModule<any> = {
  type: 'test-promote' as never,
  outputs: [],
  describe: () => [],
  async run(_spec, ctx) {
    await ctx.cutover!.crossPointOfNoReturn('PromoteReadReplicaDBCluster');
    return {};
  },
};

async function apply(steps: Array<Record<string, unknown>>) {
  const dir = mkdtempSync(join(tmpdir(), 'am-notify-cutover-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'plan.yaml'), stringify({ version: 1, name: 'orders', notify: [TOPIC], steps }));
  const io = memoryIo({ cwd: dir, env: { NO_COLOR: '1', ...aws.env } });
  const before = aws.sns.messages.length;
  let code: number;
  try {
    code = await runApply('plan.yaml', { format: 'text', color: false, verbose: false, approve: [], yes: false }, io, {
      loadPlan: lenientLoadPlan,
      registry: testRegistry({ 'test-freeze': freeze, 'test-promote': promote }),
    });
  } catch (err) {
    code = exitCodeFor(err);
  }
  return { code, dir, messages: aws.sns.messages.slice(before) };
}

describe('cutover window notifications', () => {
  it('opened, then closed at the point of no return, then finished', async () => {
    const r = await apply([
      { id: 'freeze', type: 'test-freeze' },
      { id: 'promote', type: 'test-promote' },
    ]);
    expect(r.code).toBe(0);
    expect(r.messages.map((m) => m.subject)).toEqual([
      'aurora-migrate: orders: cutover window opened by "freeze"',
      'aurora-migrate: orders: cutover window closed (point of no return)',
      'aurora-migrate: orders: finished',
    ]);
    expect(r.messages[0].message).toMatch(
      /^Step "freeze" froze writes on the source: the cutover window is open since \S+; it rolls back unless promoted by \S+\.\n/,
    );
    expect(r.messages[1].message).toMatch(
      /^The cutover window opened by "freeze" closed: point of no return\. PromoteReadReplicaDBCluster \(step "promote" at \S+\); from here the plan only goes forward\.\n/,
    );
  });

  it('a failure inside the window: opened, step failed, closed by the rollback', async () => {
    const r = await apply([
      { id: 'freeze', type: 'test-freeze' },
      {
        id: 'check',
        type: 'test-effect',
        units: 1,
        ledger: join(tmpdir(), `am-ledger-${process.pid}`),
        failWhileExists: tmpdir(),
      },
      { id: 'promote', type: 'test-promote' },
    ]);
    rmSync(join(tmpdir(), `am-ledger-${process.pid}`), { force: true });
    expect(r.code).toBe(2);
    expect(r.messages.map((m) => m.subject)).toEqual([
      'aurora-migrate: orders: cutover window opened by "freeze"',
      'aurora-migrate: orders: step "check" failed',
      'aurora-migrate: orders: cutover window closed (rolled back)',
    ]);
    expect(r.messages[2].message).toContain(
      'closed: rolled back. step "check" failed. Writes are back on the source and nothing was promoted.',
    );
  });
});
