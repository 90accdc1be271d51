// Every plan in plans/ validates and renders in every format; structure only (ids, statuses, no
// secrets, unresolved env listed), not other developers' describe output.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { memoryIo } from '../support/memory-io.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const plans = readdirSync(join(root, 'plans'))
  .filter((f) => f.endsWith('.yaml'))
  .sort();
const SECRET = 'pa55-Secret-value-9';
const dirs: string[] = [];
const tempCwd = () => {
  const dir = mkdtempSync(join(tmpdir(), 'am-ex-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('plans/', () => {
  it('holds the three example routes', () => {
    expect(plans).toEqual(
      expect.arrayContaining(['replica-with-backfill.yaml', 'snapshot-migrate.yaml', 'exports.yaml']),
    );
  });

  for (const file of plans) {
    const rel = `plans/${file}`;
    const raw = readFileSync(join(root, rel), 'utf8');
    const ids = (parse(raw) as { steps: Array<{ id: string }> }).steps.map((s) => s.id);
    const envRefs = [...new Set([...raw.matchAll(/\$\{env\.([A-Za-z_][A-Za-z0-9_]*)\}/g)].map((m) => m[1]))];

    describe(file, () => {
      it('points editors at the schema on its first line', () => {
        expect(raw.split('\n')[0]).toBe('# yaml-language-server: $schema=../schemas/plan.schema.json');
      });

      it('validates', async () => {
        const io = memoryIo({ cwd: root });
        expect(await main(['validate', rel], io)).toBe(0);
        expect(io.err()).toBe(`${rel}: ok (${ids.length} step${ids.length === 1 ? '' : 's'})\n`);
      });

      it('plan --format json: every step in order, pending, env values unset listed, exit 0', async () => {
        const io = memoryIo({ cwd: tempCwd(), env: { NO_COLOR: '1' } });
        expect(await main(['plan', join(root, rel), '--format', 'json'], io)).toBe(0);
        const doc = JSON.parse(io.out());
        expect(doc.version).toBe(1);
        expect(doc.steps.map((s: { id: string }) => s.id)).toEqual(ids);
        expect(
          doc.steps.every((s: { status?: string; error?: string }) => s.status === undefined && s.error === undefined),
        ).toBe(true);
        expect(doc.unresolved.map((u: { ref: string }) => u.ref).sort()).toEqual(
          envRefs.map((n) => '${env.' + n + '}').sort(),
        );
      });

      it('plan in text and markdown never shows a secret from the environment', async () => {
        const env: Record<string, string> = { NO_COLOR: '1' };
        for (const name of envRefs) env[name] = SECRET;
        for (const format of ['text', 'markdown', 'json']) {
          const io = memoryIo({ cwd: tempCwd(), env });
          expect(await main(['plan', join(root, rel), '--format', format], io)).toBe(0);
          expect(io.out() + io.err()).not.toContain(SECRET);
          for (const id of ids) expect(io.out()).toContain(id);
          if (format !== 'json') expect(io.out()).not.toContain('Unresolved');
        }
      });
    });
  }
});
