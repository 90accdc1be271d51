// `aurora-migrate plan`: invalid plans, state statuses, time scale, --state, secrets.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { memoryIo } from '../support/memory-io.js';

const example = fileURLToPath(new URL('../../plans/replica-with-backfill.yaml', import.meta.url));
const invalid = fileURLToPath(new URL('../fixtures/plans/invalid/duplicate-ids.yaml', import.meta.url));

function stateFile(steps: Record<string, { status: string; outputs?: Record<string, unknown> }>) {
  const full: Record<string, unknown> = {};
  for (const [id, s] of Object.entries(steps)) full[id] = { type: 'x', hash: 'h', attempts: 1, warnings: [], ...s };
  return JSON.stringify({
    version: 1,
    plan: 'orders-to-aurora',
    runId: 'r1',
    createdAt: '2026-11-01T00:00:00Z',
    updatedAt: '2026-11-01T00:00:00Z',
    steps: full,
    approvals: [],
  });
}

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempCwd(state?: string, at = '.aurora-migrate/orders-to-aurora.state.json') {
  const cwd = mkdtempSync(join(tmpdir(), 'am-plan-'));
  dirs.push(cwd);
  if (state !== undefined) {
    mkdirSync(join(cwd, at, '..'), { recursive: true });
    writeFileSync(join(cwd, at), state);
  }
  return cwd;
}

async function plan(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}) {
  const io = memoryIo({ cwd: options.cwd ?? tempCwd(), env: { NO_COLOR: '1', ...options.env } });
  const code = await main(['plan', ...args], io);
  return { code, out: io.out(), err: io.err() };
}

describe('plan', () => {
  it('an invalid plan prints its diagnostics and exits 1 (text: stderr; json: one document)', async () => {
    const text = await plan([invalid]);
    expect(text.code).toBe(1);
    expect(text.out).toBe('');
    expect(text.err).toContain(`${invalid}:7:9: error: steps[1].id: duplicate step id "gate"`);
    const json = await plan([invalid, '--format', 'json']);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.out)).toMatchObject({
      version: 1,
      valid: false,
      diagnostics: [{ line: 7, column: 9, path: '/steps/1/id' }, { line: 10 }],
    });
  });

  it('a missing plan file is a diagnostic, exit 1', async () => {
    const r = await plan(['no/such/plan.yaml']);
    expect(r.code).toBe(1);
    expect(r.err).toBe('no/such/plan.yaml:1:1: error: no such file; check the path\n');
  });

  it('shows each step status from the state file and uses known outputs instead of placeholders', async () => {
    const cwd = tempCwd(
      stateFile({
        replica: {
          status: 'succeeded',
          outputs: {
            instanceId: 'orders-aurora-1',
            clusterId: 'orders-aurora',
            readerEndpoint: 'orders-aurora.cluster-ro-x.us-east-1.rds.amazonaws.com',
            port: 5432,
          },
        },
        'catch-up': { status: 'running' },
      }),
    );
    const r = await plan([example, '--format', 'json'], { cwd });
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out);
    expect(doc.steps.map((s: { id: string; status?: string }) => [s.id, s.status])).toEqual([
      ['replica', 'succeeded'],
      ['catch-up', 'running'],
      ['gate', undefined],
      ['freeze', undefined],
      ['promote', undefined],
      ['check', undefined],
      ['switch', undefined],
      ['backfill', undefined],
    ]);
    expect(doc.state).toEqual({ path: '.aurora-migrate/orders-to-aurora.state.json', found: true });
    expect(r.out).not.toContain('<steps.replica.outputs.');
    const text = await plan([example], { cwd });
    expect(text.out).toContain('1. replica (aurora-read-replica) [succeeded]');
    expect(text.out).toContain('2. catch-up (lag-watch) [running]');
  });

  it('without a state file, later steps show earlier outputs as placeholders', async () => {
    const r = await plan([example, '--format', 'json']);
    expect(r.out).toContain('<steps.replica.outputs.');
    expect(JSON.parse(r.out).state.found).toBe(false);
  });

  it('reads --state instead of the default path', async () => {
    const cwd = tempCwd(stateFile({ replica: { status: 'failed' } }), 'elsewhere/s.json');
    const r = await plan([example, '--state', 'elsewhere/s.json', '--format', 'json'], { cwd });
    expect(JSON.parse(r.out).steps[0].status).toBe('failed');
  });

  it('ignores a state file it cannot parse, with a warning, and still exits 0', async () => {
    const cwd = tempCwd('{"version": 1, "steps": {"replica": ');
    const r = await plan([example], { cwd });
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/^warning: the state file was ignored: .*not valid JSON/m);
    expect(r.out).not.toContain('[succeeded]');
  });

  it('shows AURORA_MIGRATE_TIME_SCALE when it is set', async () => {
    const r = await plan([example], { env: { AURORA_MIGRATE_TIME_SCALE: '60' } });
    expect(r.out).toContain('Time scale: AURORA_MIGRATE_TIME_SCALE=60');
    expect(
      JSON.parse((await plan([example, '--format', 'json'], { env: { AURORA_MIGRATE_TIME_SCALE: '60' } })).out)
        .timeScale,
    ).toBe(60);
    expect((await plan([example])).out).not.toContain('Time scale');
  });

  it('lists unset ${env.…} values as unresolved (not an error) and masks set secrets', async () => {
    const unset = await plan([example]);
    expect(unset.code).toBe(0);
    expect(unset.out).toContain('Unresolved values');
    expect(unset.out).toContain('${env.PGPASSWORD}  used by freeze, promote, check, backfill');
    const set = await plan([example, '--format', 'markdown'], {
      env: { PGUSER: 'app', PGPASSWORD: 'correct-horse-battery' },
    });
    expect(set.out).not.toContain('correct-horse-battery');
    expect(set.out).not.toContain('Unresolved values');
    expect(set.out.startsWith('## aurora-migrate plan `orders-to-aurora`')).toBe(true);
  });

  it('--region overrides the plan region in the review', async () => {
    const r = await plan([example, '--region', 'eu-west-1', '--format', 'json']);
    expect(JSON.parse(r.out).plan.region).toBe('eu-west-1');
  });

  it('a plan with only warnings is reviewed (exit 0); the warnings go to stderr, or into the JSON', async () => {
    const cwd = tempCwd();
    writeFileSync(
      join(cwd, 'w.yaml'),
      'version: 1\nname: w\nsteps:\n  - id: watch\n    type: lag-watch\n    replica: r-1\n    guards: [{ metric: CustomThing, on: replica, above: 3 }]\n',
    );
    const text = await plan(['w.yaml'], { cwd });
    expect(text.code).toBe(0);
    expect(text.err).toContain(
      'w.yaml:7:24: warning: steps[0].guards[0].metric: "CustomThing" is not a metric aurora-migrate knows',
    );
    const json = await plan(['w.yaml', '--format', 'json'], { cwd });
    expect(json.err).toBe('');
    expect(JSON.parse(json.out).warnings).toEqual([
      expect.objectContaining({ file: 'w.yaml', line: 7, column: 24, severity: 'warning' }),
    ]);
  });
});
