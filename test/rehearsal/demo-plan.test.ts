// The rehearsal plan must stay the example plan: rehearsal/world/demo-plan.yaml may differ from
// plans/replica-with-backfill.yaml only in the backfill connection's port (the promote step's
// output: every rehearsal server has its own loopback address and port; on AWS it is 5432).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { loadPlan } from '../../src/plan/load.js';
import { REPO_ROOT } from '../../rehearsal/world/cli-runner.js';
import { DEMO_PLAN } from '../../rehearsal/world/rehearsal-world.js';

const EXAMPLE_PLAN = path.join(REPO_ROOT, 'plans', 'replica-with-backfill.yaml');

type PlanDoc = { steps: Array<{ id: string; connection?: Record<string, unknown> }> };

function connectionOf(doc: PlanDoc): Record<string, unknown> {
  const step = doc.steps.find((s) => s.id === 'backfill');
  if (!step?.connection) throw new Error('no backfill step with a connection');
  return step.connection;
}

describe('the rehearsal plan', () => {
  it('is the example plan except for the backfill connection port', () => {
    const demo = parse(readFileSync(DEMO_PLAN, 'utf8')) as PlanDoc;
    const example = parse(readFileSync(EXAMPLE_PLAN, 'utf8')) as PlanDoc;
    const demoConn = connectionOf(demo);
    const exampleConn = connectionOf(example);
    expect(exampleConn.host).toBe('${steps.promote.outputs.endpoint}');
    expect({ host: demoConn.host, port: demoConn.port }).toEqual({ host: '${steps.promote.outputs.endpoint}', port: '${steps.promote.outputs.port}' });
    for (const conn of [demoConn, exampleConn]) delete conn.port;
    expect(demo).toEqual(example);
  });

  it('is valid', async () => {
    const loaded = await loadPlan(DEMO_PLAN);
    expect(loaded.diagnostics.map((d) => `${d.line}:${d.column}: ${d.message}`)).toEqual([]);
    expect(loaded.ok).toBe(true);
  });
});
