// Walks test/fixtures/plans: every invalid plan prints exactly its pinned diagnostics (gcc lines,
// in line order) and exits 1; every valid plan prints "ok" and exits 0.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { memoryIo } from '../support/memory-io.js';

const root = fileURLToPath(new URL('../fixtures/plans/', import.meta.url));
const yamlIn = (dir: string) =>
  readdirSync(root + dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort();

describe('invalid plan fixtures', () => {
  const files = yamlIn('invalid');
  it('cover at least 25 kinds of problem', () => {
    expect(files.length).toBeGreaterThanOrEqual(25);
  });
  for (const file of files) {
    it(file, async () => {
      const expected = readFileSync(root + 'invalid/' + file.replace(/\.yaml$/, '.expected.txt'), 'utf8');
      const io = memoryIo({ cwd: root + 'invalid' });
      const code = await main(['validate', file], io);
      expect(io.err()).toBe(expected);
      expect(io.out()).toBe('');
      expect(code).toBe(expected.includes(': error: ') ? 1 : 0);
    });
  }
});

describe('valid plan fixtures', () => {
  for (const file of yamlIn('valid')) {
    it(file, async () => {
      const io = memoryIo({ cwd: root + 'valid' });
      expect(await main(['validate', file], io)).toBe(0);
      expect(io.err()).toMatch(new RegExp(`^${file.replace('.', '\\.')}: ok \\(\\d+ steps?\\)\\n$`));
    });
  }
});

describe('validate --format json', () => {
  it('prints one document with every diagnostic of every file and a per-file list', async () => {
    const io = memoryIo({ cwd: root });
    expect(await main(['validate', 'valid/minimal.yaml', 'invalid/duplicate-ids.yaml', '--format', 'json'], io)).toBe(
      1,
    );
    expect(io.err()).toBe('');
    const doc = JSON.parse(io.out());
    expect(doc).toEqual({
      version: 1,
      valid: false,
      diagnostics: [
        {
          file: 'invalid/duplicate-ids.yaml',
          line: 7,
          column: 9,
          severity: 'error',
          message: 'steps[1].id: duplicate step id "gate" (steps[0] already uses it); step ids must be unique',
          path: '/steps/1/id',
        },
        {
          file: 'invalid/duplicate-ids.yaml',
          line: 10,
          column: 9,
          severity: 'error',
          message: 'steps[2].id: duplicate step id "gate" (steps[0] already uses it); step ids must be unique',
          path: '/steps/2/id',
        },
      ],
      files: [
        { file: 'valid/minimal.yaml', valid: true, steps: 1, errors: 0 },
        { file: 'invalid/duplicate-ids.yaml', valid: false, errors: 2 },
      ],
    });
  });

  it('says valid:true with no diagnostics when every file is fine', async () => {
    const io = memoryIo({ cwd: root });
    expect(await main(['validate', 'valid/minimal.yaml', '--format', 'json'], io)).toBe(0);
    expect(JSON.parse(io.out())).toMatchObject({ version: 1, valid: true, diagnostics: [] });
  });

  it('gives schema problems their JSON pointer', async () => {
    const io = memoryIo({ cwd: root });
    await main(['validate', 'invalid/s3-import-rules.yaml', '--format', 'json'], io);
    const paths = JSON.parse(io.out()).diagnostics.map((d: { path: string }) => d.path);
    expect(paths).toContain('/steps/0/concurrency');
    expect(paths).toContain('/steps/0/tables/1/from');
  });
});
