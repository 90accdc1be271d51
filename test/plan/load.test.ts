// loadPlan's result as other modules use it: frozen data, stable step hashes, warnings that do not block.
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkPlanText, loadPlan } from '../../src/plan/load.js';
import { stepHash } from '../../src/plan/step-hash.js';
import type { StepSpec } from '../../src/plan/types.js';

const example = fileURLToPath(new URL('../../plans/replica-with-backfill.yaml', import.meta.url));

describe('loadPlan', () => {
  it('returns the plan, deep-frozen, with vars defaulted and the file recorded', async () => {
    const r = await loadPlan(example);
    if (!r.ok) throw new Error(JSON.stringify(r.diagnostics));
    expect(r.plan.name).toBe('orders-to-aurora');
    expect(r.plan.file).toBe(example);
    expect(r.plan.steps.map((s) => s.id)).toEqual([
      'replica',
      'catch-up',
      'gate',
      'freeze',
      'promote',
      'check',
      'switch',
      'backfill',
    ]);
    expect(Object.isFrozen(r.plan)).toBe(true);
    expect(Object.isFrozen(r.plan.steps[7])).toBe(true);
    const backfill = r.plan.steps[7] as { tables: Array<{ from: object }> };
    expect(Object.isFrozen(backfill.tables[0].from)).toBe(true);
    expect(() => {
      (r.plan.steps as unknown as unknown[]).push({});
    }).toThrow();
    const noVars = checkPlanText('x.yaml', 'version: 1\nname: x\nsteps: [{id: a, type: approval, message: m}]\n');
    expect(noVars.ok && noVars.plan.vars).toEqual({});
  });

  it('keeps raw ${...} references (resolution happens later)', async () => {
    const r = await loadPlan(example);
    expect(r.ok && (r.plan.steps[0] as { source: string }).source).toBe('${vars.source}');
  });

  it('accepts a plan with only warnings, and returns them', () => {
    const text =
      'version: 1\nname: w\nsteps:\n  - id: w\n    type: lag-watch\n    replica: r-1\n    guards: [{ metric: CustomThing, on: replica, above: 3 }]\n';
    const r = checkPlanText('w.yaml', text);
    expect(r.ok).toBe(true);
    expect(r.diagnostics).toEqual([
      expect.objectContaining({ line: 7, column: 24, severity: 'warning', path: '/steps/0/guards/0/metric' }),
    ]);
  });

  it('never puts a literal secret into a diagnostic', () => {
    const text =
      'version: 1\nname: s\nsteps:\n  - id: e\n    type: s3-export\n    connection: { host: h, database: d, user: u, password: "${oops-SuperSecret1" }\n    query: q\n    to: { bucket: b, path: p, region: us-east-1 }\n';
    const r = checkPlanText('s.yaml', text);
    expect(r.ok).toBe(false);
    expect(JSON.stringify(r.diagnostics)).not.toContain('SuperSecret1');
  });
});

describe('stepHash', () => {
  const a = { id: 'p', type: 'promote', cluster: 'c', maxLag: '0s' } as const;
  it('is a sha256 hex digest that ignores key order', () => {
    expect(stepHash(a)).toMatch(/^[0-9a-f]{64}$/);
    expect(stepHash({ maxLag: '0s', cluster: 'c', type: 'promote', id: 'p' })).toBe(stepHash(a));
  });
  it('changes when any value changes, including nested ones', () => {
    expect(stepHash({ ...a, cluster: 'd' })).not.toBe(stepHash(a));
    const t = (prefix: string): StepSpec => ({
      id: 'i',
      type: 's3-import',
      connection: { host: 'h', database: 'd', user: 'u' },
      tables: [{ table: 't', options: 'o', from: { bucket: 'b', region: 'r', prefix } }],
    });
    expect(stepHash(t('a/'))).not.toBe(stepHash(t('b/')));
  });
  it('is the same for the same step loaded from YAML written differently', () => {
    const block = checkPlanText(
      'a.yaml',
      'version: 1\nname: a\nsteps:\n  - id: p\n    type: promote\n    cluster: c\n',
    );
    const flow = checkPlanText('b.yaml', '{version: 1, name: a, steps: [{cluster: "c", type: promote, id: p}]}');
    if (!block.ok || !flow.ok) throw new Error('fixtures invalid');
    expect(stepHash(block.plan.steps[0])).toBe(stepHash(flow.plan.steps[0]));
  });
});
