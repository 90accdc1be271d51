// The house's layers are rules of dependency-cruiser (.dependency-cruiser.cjs), run by `npm test`
// (`npm run lint:deps`) over src/. This test checks that the rules bite: on a small tree shaped like
// src/ with a layer broken, a cycle, and src importing the rehearsal, each is reported by name; and
// that src/ itself passes.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../rehearsal/world/cli-runner.js';

const BIN = join(REPO_ROOT, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function cruise(cwd: string) {
  const r = spawnSync(process.execPath, [BIN, 'src', '--config', '.dependency-cruiser.cjs', '--output-type', 'err'], {
    cwd,
    encoding: 'utf8',
  });
  return { code: r.status, out: r.stdout + r.stderr };
}

function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'am-layers-'));
  dirs.push(dir);
  copyFileSync(join(REPO_ROOT, '.dependency-cruiser.cjs'), join(dir, '.dependency-cruiser.cjs'));
  writeFileSync(
    join(dir, 'tsconfig.json'),
    '{ "compilerOptions": { "module": "NodeNext", "moduleResolution": "NodeNext" } }\n',
  );
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(join(dir, file, '..'), { recursive: true });
    writeFileSync(join(dir, file), text);
  }
  return dir;
}

describe('layers (dependency-cruiser rules)', () => {
  it('src/ keeps them: no cycle, every arrow one way', () => {
    const r = cruise(REPO_ROOT);
    expect(r.out).toMatch(/no dependency violations found \(\d+ modules/);
    expect(r.code).toBe(0);
  }, 60_000);

  it('the rules bite: a layer broken, a cycle, the rehearsal imported from src', () => {
    const dir = tree({
      'src/plan/units.ts': "import { run } from '../engine/engine.js';\nexport const u = run;\n",
      'src/engine/engine.ts': "import { a } from './a.js';\nexport const run = a;\n",
      'src/engine/a.ts': "import { run } from './engine.js';\nexport const a = () => run;\n",
      'src/steps/x.ts': "import '../../rehearsal/world/thing.js';\n",
      'rehearsal/world/thing.ts': 'export {};\n',
    });
    const r = cruise(dir);
    expect(r.code).not.toBe(0);
    expect(r.out).toContain('error layer-plan: src/plan/units.ts → src/engine/engine.ts');
    expect(r.out).toMatch(/error no-circular: src\/engine\/(engine|a)\.ts/);
    expect(r.out).toContain('error src-not-rehearsal-or-tests: src/steps/x.ts → rehearsal/world/thing.ts');
  }, 60_000);
});
