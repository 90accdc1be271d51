// `aurora-migrate report` on the command line, in-process: what a user sees before there is a run, when
// the state cannot be read (a clear message, exit 4, never a stack trace), with several plans one of
// whose states is unreadable (the page still shows the others, then exit 4), and on usage mistakes.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { memoryIo } from '../support/memory-io.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function folder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'am-report-cli-'));
  dirs.push(dir);
  for (const name of ['tiny', 'other']) {
    writeFileSync(
      join(dir, `${name}.yaml`),
      `version: 1\nname: ${name}\nsteps:\n  - id: gate\n    type: approval\n    message: go?\n`,
    );
  }
  return dir;
}

async function report(dir: string, args: string[]) {
  const io = memoryIo({ cwd: dir });
  const code = await main(['report', ...args], io);
  return { code, out: io.out(), err: io.err() };
}

describe('aurora-migrate report', () => {
  it('before any run: every step pending, "no run yet", exit 0 (html by default)', async () => {
    const dir = folder();
    const html = await report(dir, ['tiny.yaml']);
    expect(html.code, html.err).toBe(0);
    expect(html.out).toMatch(/^<!doctype html>/);
    expect(html.out).toContain('No run yet: there is no state at');
    const md = await report(dir, ['tiny.yaml', '--format', 'markdown']);
    expect(md.out).toContain('# tiny: not started');
    expect(md.out).toContain(
      `No run yet: there is no state at \`${join(dir, '.aurora-migrate', 'tiny.state.json')}\`.`,
    );
  });

  it('an unreadable state: a clear message and exit 4, no page and no stack trace', async () => {
    const dir = folder();
    mkdirSync(join(dir, '.aurora-migrate'));
    writeFileSync(join(dir, '.aurora-migrate', 'tiny.state.json'), '{"version": 1, "plan": "tiny", "runId": ');
    const r = await report(dir, ['tiny.yaml']);
    expect(r.code).toBe(4);
    expect(r.out).toBe('');
    expect(r.err).toMatch(/^error: the state file \S+tiny\.state\.json is not valid JSON \(corrupt or truncated\)\./);
    expect(r.err).not.toMatch(/\n\s+at /);
  });

  it('several plans, one state unreadable: the page has every plan (that one with the reason), then exit 4', async () => {
    const dir = folder();
    mkdirSync(join(dir, '.aurora-migrate'));
    writeFileSync(join(dir, '.aurora-migrate', 'other.state.json'), '{"version": 4, "terraform_version": "1.9.0"}');
    const out = join(dir, 'reports', 'fleet.md');
    const r = await report(dir, ['tiny.yaml', 'other.yaml', '--format', 'markdown', '--output', 'reports/fleet.md']);
    expect(r.code).toBe(4);
    expect(r.out).toBe('');
    expect(r.err).toContain('report (markdown, 2 plans) written to reports/fleet.md');
    expect(r.err).toMatch(/error: other: the state file \S+ is not an aurora-migrate state file \(no plan name\)/);
    const page = readFileSync(out, 'utf8');
    expect(page).toMatch(/\| tiny \| not started \|/);
    expect(page).toMatch(/\| other \| cannot read: the state file \S+ is not an aurora-migrate state file/);
  });

  it('a quoted glob is expanded by the tool: one page with every matching plan', async () => {
    const dir = folder();
    const md = await report(dir, ['*.yaml', '--format', 'markdown']);
    expect(md.code, md.err).toBe(0);
    expect(md.out).toContain('# other: not started');
    expect(md.out).toContain('# tiny: not started');
    const none = await report(dir, ['nothing-*.yaml']);
    expect(none.code).toBe(1);
    expect(none.err).toContain('no plan file matches nothing-*.yaml');
  });

  it('usage mistakes exit 1: another format, or one --state for several plans', async () => {
    const dir = folder();
    const json = await report(dir, ['tiny.yaml', '--format', 'json']);
    expect(json.code).toBe(1);
    expect(json.err).toContain("argument 'json' is invalid. Allowed choices are html, markdown.");
    const state = await report(dir, ['tiny.yaml', 'other.yaml', '--state', 'x.json']);
    expect(state.code).toBe(1);
    expect(state.err).toContain('--state names one state, but 2 plans were given');
  });

  it('--help shows examples and the exit codes', async () => {
    const io = memoryIo();
    expect(await main(['report', '--help'], io)).toBe(0);
    expect(io.out()).toContain('$ aurora-migrate report plans/orders.yaml --output orders-report.html');
    expect(io.out()).toMatch(/--format <format>\s+output format \(choices: "html", "markdown", default:\s+"html"\)/);
    expect(io.out()).toContain('4    another run holds the lock');
  });
});
