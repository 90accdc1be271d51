// Whatever is handed to validate instead of a plan: diagnostics and exit 1, never a stack trace, fast.
import { mkdtempSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { memoryIo } from '../support/memory-io.js';

let dir: string;
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});
beforeAll(async () => {
  await main(['validate', '/nonexistent/warm-up.yaml'], memoryIo()); // module loading is not what is timed
  dir = mkdtempSync(join(tmpdir(), 'am-hostile-'));
  const write = (name: string, data: string | Buffer) => writeFileSync(join(dir, name), data);
  write('empty.yaml', '');
  write('comments.yaml', '# only a comment\n\n');
  write('prose.yaml', 'This is not a plan, it is a sentence.\n');
  write('binary.yaml', Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x00, 0x00, 0xff, 0xfe]));
  write('latin1.yaml', Buffer.from('name: caf\xe9\n', 'latin1'));
  write('huge.yaml', 'name: ' + 'x'.repeat(10 * 1024 * 1024) + '\n');
  write('deep-flow.yaml', 'version: 1\nname: deep\nsteps: ' + '['.repeat(1000) + ']'.repeat(1000) + '\n');
  write(
    'deep-block.yaml',
    'version: 1\nname: deep\nvars:\n' +
      Array.from({ length: 1000 }, (_, i) => ' '.repeat(i + 2) + `k${i}:`).join('\n') +
      ' x\nsteps: []\n',
  );
  write(
    'alias-bomb.yaml',
    'a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\n',
  );
  write('scalar.yaml', '42\n');
  write(
    'wrong-everywhere.yaml',
    'version: []\nname: {}\nregion: 5\nvars: [1]\nsteps:\n  - 1\n  - [a]\n  - id: {}\n    type: []\n  - { id: 3, type: promote, cluster: [], replica: {}, maxLag: 7, timeout: false }\n  - { id: x, type: s3-import, connection: 1, tables: [1, {from: 2, table: [], options: {}}] }\n',
  );
  // Within 1 MiB, but thousands of values: the checks would take minutes (time that grows with the
  // square of the problems, or of a mapping's keys) if they did not stop at MAX_PLAN_VALUES.
  write('long-list.yaml', `version: 1\nname: long\nsteps:\n${'  - a\n'.repeat(30_000)}`);
  write(
    'wide-mapping.yaml',
    `version: 1\nname: wide\nvars:\n${Array.from({ length: 30_000 }, (_, i) => `  v${i}: x\n`).join('')}  v7: again\nsteps: []\n`,
  );
  mkdirSync(join(dir, 'a-directory.yaml'));
});

async function validate(file: string) {
  const io = memoryIo({ cwd: dir });
  const started = performance.now();
  const code = await main(['validate', file], io);
  return { code, err: io.err(), out: io.out(), ms: performance.now() - started };
}

const GCC = /^[^\n]+:\d+:\d+: (error|warning): [^\n]+$/;

describe('hostile input to validate', () => {
  const cases: Array<[string, RegExp]> = [
    ['missing.yaml', /missing\.yaml:1:1: error: no such file; check the path/],
    ['a-directory.yaml', /a-directory\.yaml:1:1: error: is a directory, not a plan file/],
    ['empty.yaml', /empty\.yaml:1:1: error: the plan file is empty/],
    ['comments.yaml', /comments\.yaml:1:1: error: the plan file is empty/],
    ['prose.yaml', /prose\.yaml:1:1: error: must be a mapping \(key: value pairs\), not a string/],
    ['binary.yaml', /binary\.yaml:1:1: error: is a binary file, not a YAML plan/],
    ['latin1.yaml', /latin1\.yaml:1:1: error: is not valid UTF-8 text/],
    ['huge.yaml', /huge\.yaml:1:1: error: the file is 10\.0 MiB; a plan file is at most 1 MiB/],
    ['deep-flow.yaml', /deep-flow\.yaml:3:71: error: the YAML is nested more than 64 levels deep/],
    ['deep-block.yaml', /deep-block\.yaml:67:66: error: the YAML is nested more than 64 levels deep/],
    ['alias-bomb.yaml', /alias-bomb\.yaml:1:1: error: YAML cannot be expanded: .*too many aliases/],
    ['scalar.yaml', /scalar\.yaml:1:1: error: must be a mapping \(key: value pairs\), not a whole number/],
    [
      'long-list.yaml',
      /long-list\.yaml:4:3: error: the plan holds 30004 values, more than the 10000 a plan may have \(the largest list or mapping, here, has 30000 entries\)/,
    ],
    [
      'wide-mapping.yaml',
      /wide-mapping\.yaml:4:3: error: the plan holds 30005 values[\s\S]*wide-mapping\.yaml:30004:3: error: duplicate key "v7"/,
    ],
  ];
  for (const [file, expected] of cases) {
    it(`${file}: diagnostics, exit 1, no stack trace`, async () => {
      const r = await validate(file);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(expected);
      for (const line of r.err.trimEnd().split('\n')) expect(line).toMatch(GCC);
      expect(r.err).not.toMatch(/\n\s+at |internal error/);
      expect(r.ms).toBeLessThan(2000);
    });
  }

  it('wrong types everywhere: one diagnostic per wrong value, each on its own line and column', async () => {
    const r = await validate('wrong-everywhere.yaml');
    expect(r.code).toBe(1);
    const lines = r.err.trimEnd().split('\n');
    for (const line of lines) expect(line).toMatch(GCC);
    expect(lines.length).toBeGreaterThanOrEqual(15);
    expect(r.err).toContain('wrong-everywhere.yaml:1:10: error: version: must be 1 (got a list)');
    expect(r.err).toContain(
      'wrong-everywhere.yaml:6:5: error: steps[0]: must be a mapping (key: value pairs), not a whole number',
    );
    expect(r.err).toContain('steps[3].maxLag: must be a string, not a whole number');
    expect(r.err).toContain('steps[4].tables[1].options: must be a string, not a mapping');
  });
});
