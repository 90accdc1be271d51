// The house's layers point one way (issue 11). Reads every import (type-only ones too) of every file
// under src/ and checks which folder may import which.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));

function filesUnder(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** [importer, imported] pairs, both relative to the repository root (imported without extension). */
function edges(): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const file of filesUnder('src')) {
    const text = readFileSync(join(root, file), 'utf8');
    for (const m of text.matchAll(/(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g)) {
      const target = relative(root, resolve(root, dirname(file), m[1])).replace(/\.(js|ts)$/, '');
      out.push([file, target]);
    }
  }
  return out;
}

const all = edges();
const from = (importer: RegExp, imported: RegExp) => all.filter(([a, b]) => importer.test(a) && imported.test(b)).map(([a, b]) => `${a} -> ${b}`);

describe('layers', () => {
  it('the scan sees imports (so a forbidden one would show)', () => {
    expect(from(/^src\/cli\//, /^src\/engine\//).length).toBeGreaterThan(0);
    expect(from(/^src\/steps\//, /^src\/rds\//).length).toBeGreaterThan(0);
  });

  it('only src/cli imports src/cli', () => {
    expect(from(/^src\/(?!cli\/)/, /^src\/cli\//)).toEqual([]);
  });

  it('the RDS layer imports neither steps nor preflight (nor engine, cli, render)', () => {
    expect(from(/^src\/rds\//, /^src\/(steps|preflight|engine|cli|render)\//)).toEqual([]);
  });

  it('steps do not import preflight (preflight runs the steps, one way)', () => {
    expect(from(/^src\/steps\//, /^src\/preflight\//)).toEqual([]);
  });

  it('src never imports rehearsal/ or test/', () => {
    expect(from(/^src\//, /^(rehearsal|test|bench|scripts)(\/|$)/)).toEqual([]);
  });

  it('no import circle between src/aws/errors.ts and src/aws/remedies.ts', () => {
    expect(from(/^src\/aws\/remedies\.ts$/, /^src\/aws\/errors$/)).toEqual([]);
  });
});
