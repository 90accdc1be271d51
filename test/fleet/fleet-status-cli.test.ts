// Many plans at once through the real CLI against the time-scaled stand-in: `status 'plans/*.yaml'`
// (a quoted glob the tool expands) reads a local state, an S3 state, a corrupt state and no state in
// parallel and prints one table — text, markdown and JSON — with each plan's step, live detail,
// pending approval and who may give it, and the lock holder; the corrupt state is a row with the
// reason and the command exits 4 after printing. `plan` over several files prints every review.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../../rehearsal/world/ensure-built.js';
import { runCli, type CliRunResult } from '../../rehearsal/world/cli-runner.js';
import { startAwsStandin, type AwsStandin } from '../../rehearsal/aws/index.js';
import { standinCliEnv } from '../../rehearsal/world/cli-env.js';

const SCALE = 600;
const BUCKET = 'team-migrations';
const replica = (cluster: string, source = 'orders-pg') => `  - id: replica
    type: aurora-read-replica
    source: ${source}
    cluster: ${cluster}
    instance: { class: db.r6g.large }
`;
const PLANS: Record<string, string> = {
  'orders.yaml': `version: 1
name: orders-to-aurora
steps:
${replica('orders-aurora')}  - id: gate
    type: approval
    message: Stop application writes, then approve.
    approvers: [dba-oncall, alice]
    required: 2
`,
  'billing.yaml': `version: 1
name: billing-to-aurora
state: { s3: s3://${BUCKET}/billing }
steps:
${replica('billing-aurora', 'billing-pg')}  - id: catch-up
    type: lag-watch
    replica: \${steps.replica.outputs.instanceId}
    stableFor: 5m
    pollEvery: 30s
  - id: gate
    type: approval
    message: Cutover of billing.
`,
  'broken.yaml': `version: 1
name: broken-state
steps:
${replica('broken-aurora')}`,
  'fresh.yaml': `version: 1
name: fresh
steps:
${replica('fresh-aurora')}`,
};

let aws: AwsStandin;
let root: string;
let cwd: string;
const children: ChildProcess[] = [];
let env: Record<string, string>;
const run = (args: string[], extra: Record<string, string> = {}): Promise<CliRunResult> =>
  runCli(args, { env: { ...env, ...extra }, cwd, onSpawn: (c) => children.push(c) });

beforeAll(async () => {
  await ensureBuilt();
  aws = await startAwsStandin({
    timeScale: SCALE,
    seed: {
      instances: [
        { id: 'orders-pg', engineVersion: '16.4' },
        { id: 'billing-pg', engineVersion: '16.4' },
      ],
      buckets: [BUCKET],
    },
  });
  aws.s3.setVersioning(BUCKET, 'Enabled');
  root = mkdtempSync(join(tmpdir(), 'am-fleet-'));
  cwd = join(root, 'repo');
  mkdirSync(join(cwd, 'plans'), { recursive: true });
  mkdirSync(join(root, 'home'));
  for (const [f, text] of Object.entries(PLANS)) writeFileSync(join(cwd, 'plans', f), text);
  env = standinCliEnv(aws.env, join(root, 'home'), SCALE);

  // orders: at its two-person gate, one approval given (alice).
  expect((await run(['apply', 'plans/orders.yaml'])).code).toBe(3);
  const approved = await run(['apply', 'plans/orders.yaml', '--approve', 'gate'], { AURORA_MIGRATE_APPROVER: 'alice' });
  expect(approved.code, approved.stderr).toBe(3);
  // billing (S3 state): stopped by --max-runtime while its replica lags; a lost runner's lease left behind.
  aws.faults.lagNeverConverges(90);
  for (let i = 0; i < 15; i++) {
    const r = await run(['apply', 'plans/billing.yaml', '--max-runtime', '5m']);
    expect(r.code, r.stderr).toBe(75);
    if (r.stderr.includes('while step "catch-up" was waiting')) break;
  }
  aws.s3.putObject(
    BUCKET,
    'billing.lock',
    JSON.stringify({
      host: 'ci-runner-7',
      pid: 4242,
      user: 'runner',
      since: new Date(Date.now() - 3_600_000).toISOString(),
      heartbeat: new Date(Date.now() - 600_000).toISOString(),
      token: 'old',
      ciJobUrl: 'https://github.com/acme/migrations/actions/runs/41',
    }),
  );
  // broken: a torn state file.
  mkdirSync(join(cwd, '.aurora-migrate'), { recursive: true });
  writeFileSync(
    join(cwd, '.aurora-migrate', 'broken-state.state.json'),
    '{"version":1,"plan":"broken-state","runId":"r1","steps":{"repl',
  );
}, 120_000);
afterAll(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await aws?.close();
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('status over a fleet of plans', () => {
  it('text: one table, every plan a row with its details; the unreadable state is a row with the reason, then exit 4', async () => {
    const r = await run(['status', 'plans/*.yaml']);
    expect(r.code, r.stderr).toBe(4);
    const out = r.stdout;
    expect(out).toMatch(
      /^AURORA_MIGRATE_TIME_SCALE=600: waits are divided by 600 \(rehearsal\)\.\n\nPLAN +STEP +STATUS +UPDATED +LOCK\n/,
    );
    const block = (name: string) => out.slice(out.indexOf(`\n${name} `) + 1).split(/\n(?=\S)/)[0];
    expect(block('billing-to-aurora')).toMatch(
      /^billing-to-aurora +catch-up \(2\/3\) +running +\d{4}-\d\d-\d\dT[\d:.]+Z +stale: pid 4242 on ci-runner-7 \(heartbeat 10m(\d+s)? ago\)\n/,
    );
    expect(block('billing-to-aurora')).toMatch(
      /\n {19}replica billing-aurora-1 lag [\d.]+s, \d\/5 minutes at or under 0s.* \(as of \d{4}-\d\d-\d\dT[\d:.]+Z\)\n/,
    );
    expect(block('billing-to-aurora')).toContain(
      'lock held by CI job https://github.com/acme/migrations/actions/runs/41',
    );
    expect(block('billing-to-aurora')).toContain(`state s3://${BUCKET}/billing`);
    expect(block('orders-to-aurora')).toMatch(/^orders-to-aurora +gate \(2\/2\) +awaiting-approval +\S+ +-\n/);
    expect(block('orders-to-aurora')).toContain(
      'approval: "gate" waits for approval by 2 of dba-oncall, alice; given by alice; approve with: aurora-migrate apply plans/orders.yaml --approve gate',
    );
    expect(block('orders-to-aurora')).toContain('state .aurora-migrate/orders-to-aurora.state.json');
    expect(block('broken-state')).toMatch(/^broken-state +replica \(1\/1\)|^broken-state +- +unreadable/);
    expect(block('broken-state')).toContain('error: the state file ');
    expect(block('broken-state')).toContain('is not valid JSON (corrupt or truncated). It was left untouched.');
    expect(block('fresh')).toMatch(
      /^fresh +replica \(1\/1\) +not started +- +-\n +state \.aurora-migrate\/fresh\.state\.json \(none yet\)/,
    );
    expect(out.trimEnd().split('\n').at(-1)).toBe(
      '4 plans: 1 in progress, 1 awaiting approval, 1 not started, 1 unreadable.',
    );
    expect(r.stderr).toBe('');
  }, 30_000);

  it('json: {"version": 1, "plans": [...]} in the order given, with the live detail from the state and the lock holder', async () => {
    const r = await run([
      'status',
      'plans/orders.yaml',
      'plans/billing.yaml',
      'plans/fresh.yaml',
      'plans/broken.yaml',
      '--format',
      'json',
    ]);
    expect(r.code).toBe(4);
    const doc = JSON.parse(r.stdout);
    expect(doc.version).toBe(1);
    expect(doc.plans.map((p: { plan: string }) => p.plan)).toEqual([
      'orders-to-aurora',
      'billing-to-aurora',
      'fresh',
      'broken-state',
    ]);
    const [orders, billing, fresh, broken] = doc.plans;
    expect(orders).toMatchObject({
      phase: 'awaiting-approval',
      state: 'found',
      step: { id: 'gate', status: 'awaiting-approval', number: 2, of: 2 },
      done: 1,
      approval: { stepId: 'gate', approvers: ['dba-oncall', 'alice'], required: 2, approvedBy: ['alice'] },
    });
    expect(billing).toMatchObject({
      phase: 'in-progress',
      stateFile: `s3://${BUCKET}/billing`,
      step: { id: 'catch-up', type: 'lag-watch', status: 'running' },
      lock: {
        host: 'ci-runner-7',
        pid: 4242,
        stale: true,
        ciJobUrl: 'https://github.com/acme/migrations/actions/runs/41',
      },
    });
    expect(billing.detail).toMatch(/lag/);
    expect(Date.parse(billing.detailAt)).toBeGreaterThan(0);
    expect(fresh).toMatchObject({ phase: 'not-started', state: 'none', done: 0 });
    expect(broken).toMatchObject({
      phase: 'unknown',
      state: 'unreadable',
      error: expect.stringContaining('is not valid JSON'),
    });
  }, 30_000);

  it('markdown: a dashboard table for a PR or $GITHUB_STEP_SUMMARY; without the broken plan the exit code is 0', async () => {
    const r = await run([
      'status',
      'plans/orders.yaml',
      'plans/billing.yaml',
      'plans/fresh.yaml',
      '--format',
      'markdown',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe('## aurora-migrate status: 3 plans');
    expect(lines).toContain('| Plan | Step | Status | Detail | Approval | Cutover | Updated | Lock | State |');
    const rows = lines.filter((l) => l.startsWith('| `'));
    expect(rows).toHaveLength(3);
    expect(rows[0]).toContain('⏸ awaiting approval');
    expect(rows[0]).toContain('`aurora-migrate apply plans/orders.yaml --approve gate`');
    expect(rows[1]).toContain('🔄 in progress');
    expect(rows[1]).toContain('[CI job](https://github.com/acme/migrations/actions/runs/41)');
    expect(rows[2]).toContain('⚪ not started');
  }, 30_000);

  it('one plan — even through a glob that matches one file — prints exactly what status always printed', async () => {
    const one = await run(['status', 'plans/orders.yaml']);
    const glob = await run(['status', 'plans/o*.yaml']);
    expect(glob.code).toBe(one.code);
    expect(glob.stdout).toBe(one.stdout);
    expect(one.stdout).toMatch(/^plan orders-to-aurora \(run [0-9a-f]{8}\), state /);
    // Markdown is the dashboard format: one plan is a one-row table (a CI glob that matches one file).
    const md = await run(['status', 'plans/o*.yaml', '--format', 'markdown']);
    expect(md.code).toBe(0);
    expect(md.stdout.split('\n').filter((l) => l.startsWith('| `'))).toHaveLength(1);
    expect(md.stdout.trimEnd().split('\n').at(-1)).toBe('1 plan: 1 awaiting approval.');
  }, 30_000);

  it('validate expands a quoted glob the same way', async () => {
    const r = await run(['validate', 'plans/*.yaml']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe(
      'plans/billing.yaml: ok (3 steps)\nplans/broken.yaml: ok (1 step)\nplans/fresh.yaml: ok (1 step)\nplans/orders.yaml: ok (2 steps)\n',
    );
  }, 30_000);

  it('usage errors: a glob that matches nothing, and --state with several plans', async () => {
    const none = await run(['status', 'plans/*.yml']);
    expect(none.code).toBe(1);
    expect(none.stderr).toBe(`error: no plan file matches plans/*.yml (looked in ${cwd}). Check the pattern.\n`);
    const state = await run(['status', 'plans/orders.yaml', 'plans/fresh.yaml', '--state', 'x.json']);
    expect(state.code).toBe(1);
    expect(state.stderr).toContain('--state names the state of one plan');
  }, 30_000);
});

describe('plan over several files', () => {
  it("a summary table, then each plan's whole review; JSON has every plan's document; an invalid plan exits 1 and the others are still reviewed", async () => {
    const text = await run(['plan', 'plans/orders.yaml', 'plans/fresh.yaml']);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(
      /^aurora-migrate plan: 2 plans\n\nPLAN +FILE +TO RUN +WHAT APPLY WOULD DO +CUTOVER +STATE\norders-to-aurora +plans\/orders\.yaml +1 of 2 +1 approval gate, 1 check +no +\.aurora-migrate\/orders-to-aurora\.state\.json\nfresh +plans\/fresh\.yaml +1 of 1 +\d+ AWS calls/,
    );
    expect(text.stdout).toContain(
      '======== orders-to-aurora (plans/orders.yaml) ========\n\nPlan orders-to-aurora (plans/orders.yaml): 2 steps',
    );
    expect(text.stdout).toContain('======== fresh (plans/fresh.yaml) ========');

    const md = await run(['plan', 'plans/orders.yaml', 'plans/fresh.yaml', '--format', 'markdown']);
    expect(md.stdout).toContain(
      '<details open><summary><code>orders-to-aurora</code> (plans/orders.yaml): 1 of 2 steps to run</summary>\n\n## aurora-migrate plan `orders-to-aurora`',
    );

    const json = JSON.parse((await run(['plan', 'plans/*.yaml', '--format', 'json'])).stdout);
    expect(json.version).toBe(1);
    expect(json.plans.map((p: { plan: { name: string } }) => p.plan.name)).toEqual([
      'billing-to-aurora',
      'broken-state',
      'fresh',
      'orders-to-aurora',
    ]);

    writeFileSync(join(cwd, 'invalid.yaml'), 'version: 1\nname: Bad Name\nsteps: []\n');
    const bad = await run(['plan', 'plans/fresh.yaml', 'invalid.yaml']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^invalid\.yaml:\d+:\d+: error: /m);
    expect(bad.stdout).toContain('======== fresh (plans/fresh.yaml) ========');
    expect(bad.stdout).toMatch(/\n- +invalid\.yaml +- +invalid plan \(\d+ errors\)/);
  }, 30_000);
});
