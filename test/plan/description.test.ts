// A plan-level `description`: accepted by validate, shown first in `plan` (text, markdown, json) and in
// `status` (text, json), right under the plan's name; a plan without one looks as before.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { memoryIo } from '../support/memory-io.js';

const dir = mkdtempSync(join(tmpdir(), 'am-description-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const PLAN = `version: 1
name: orders-to-aurora
description: |
  Move orders-pg to Aurora with a gated cutover.
  Owner: dba-oncall.
region: us-east-1
steps:
  - id: gate
    type: approval
    description: the DBA says go
    message: Stop writes, then approve.
`;
const planFile = join(dir, 'orders.yaml');
writeFileSync(planFile, PLAN);
const bare = join(dir, 'bare.yaml');
writeFileSync(bare, PLAN.replace(/description: \|\n.*\n.*\n/, ''));

async function run(args: string[]) {
  const io = memoryIo({ cwd: dir, env: { NO_COLOR: '1' } });
  const code = await main(args, io);
  return { code, out: io.out(), err: io.err() };
}

describe('plan-level description', () => {
  it('validate accepts it', async () => {
    expect(await run(['validate', planFile])).toMatchObject({ code: 0, err: `${planFile}: ok (1 step)\n` });
  });

  it('plan text shows it under the plan line, before state and steps', async () => {
    const r = await run(['plan', planFile]);
    expect(r.code).toBe(0);
    expect(r.out.split('\n').slice(0, 4)).toEqual([
      `Plan orders-to-aurora (${planFile}): 1 step, region us-east-1`,
      '  Move orders-pg to Aurora with a gated cutover.',
      '  Owner: dba-oncall.',
      expect.stringMatching(/^State: none yet/),
    ]);
  });

  it('plan markdown puts it right under the heading', async () => {
    const r = await run(['plan', planFile, '--format', 'markdown']);
    expect(r.out.split('\n').slice(0, 4)).toEqual([
      '## aurora-migrate plan `orders-to-aurora`',
      '',
      'Move orders-pg to Aurora with a gated cutover.',
      'Owner: dba-oncall.',
    ]);
  });

  it('plan json carries it in the plan object', async () => {
    const doc = JSON.parse((await run(['plan', planFile, '--format', 'json'])).out);
    expect(doc.plan).toEqual({
      name: 'orders-to-aurora',
      file: planFile,
      description: 'Move orders-pg to Aurora with a gated cutover.\nOwner: dba-oncall.\n',
      region: 'us-east-1',
      steps: 1,
    });
    expect(doc.steps[0].description).toBe('the DBA says go');
  });

  it('status shows it under the first line (text) and as a field (json)', async () => {
    const text = await run(['status', planFile]);
    expect(text.code).toBe(0);
    expect(text.out.split('\n').slice(0, 3)).toEqual([
      expect.stringMatching(/^plan orders-to-aurora: no state file yet/),
      '  Move orders-pg to Aurora with a gated cutover.',
      '  Owner: dba-oncall.',
    ]);
    const doc = JSON.parse((await run(['status', planFile, '--format', 'json'])).out);
    expect(doc.description).toBe('Move orders-pg to Aurora with a gated cutover.\nOwner: dba-oncall.\n');
  });

  it('a plan without one shows no description line anywhere', async () => {
    const text = await run(['plan', bare]);
    expect(text.out.split('\n')[1]).toMatch(/^State: none yet/);
    expect(JSON.parse((await run(['plan', bare, '--format', 'json'])).out).plan).not.toHaveProperty('description');
    expect((await run(['status', bare])).out.split('\n')[1]).toBe('');
  });

  it('a description that is not a string is a diagnostic at its line', async () => {
    const wrong = join(dir, 'wrong.yaml');
    writeFileSync(wrong, PLAN.replace(/description: \|\n.*\n.*\n/, 'description: [a, b]\n'));
    const r = await run(['validate', wrong]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(
      new RegExp(
        `^${wrong.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:3:14: error: description: must be a string, not a list\n$`,
      ),
    );
  });
});
