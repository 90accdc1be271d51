// The rehearsal plan must stay the example plan: rehearsal/world/demo-plan.yaml may differ from
// plans/replica-with-backfill.yaml only in where the source is (SOURCE_HOST / SOURCE_PORT instead of
// vars.sourceHost: every rehearsal server listens on its own loopback address and port). The crash
// campaign's manual-cutover plan and the logical demo's plan must stay valid, and the logical one
// keeps the opt-in line its demo leaves out of the first draft that preflight refuses.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { loadPlan } from '../../../src/plan/load.js';
import { REPO_ROOT } from '../../../rehearsal/world/cli-runner.js';
import { DEMO_PLAN, MANUAL_CUTOVER_PLAN } from '../../../rehearsal/world/rehearsal-world.js';
import { LOGICAL_DEMO_PLAN } from '../../../rehearsal/world/logical-world.js';

const EXAMPLE_PLAN = path.join(REPO_ROOT, 'plans', 'replica-with-backfill.yaml');

type Conn = Record<string, unknown>;
type PlanDoc = {
  vars?: Record<string, string>;
  steps: Array<{ id: string; connection?: Conn; source?: Conn | string }>;
};

/** The two connections to the source: the freeze's and verify-data's source side. */
function sourceConnections(doc: PlanDoc): Conn[] {
  const freeze = doc.steps.find((s) => s.id === 'freeze')?.connection;
  const check = doc.steps.find((s) => s.id === 'check')?.source;
  if (!freeze || !check || typeof check === 'string') throw new Error('no freeze connection / check source');
  return [freeze, check];
}

describe('the rehearsal plan', () => {
  it('is the example plan except for the source address and port', () => {
    const demo = parse(readFileSync(DEMO_PLAN, 'utf8')) as PlanDoc;
    const example = parse(readFileSync(EXAMPLE_PLAN, 'utf8')) as PlanDoc;
    for (const conn of sourceConnections(demo))
      expect({ host: conn.host, port: conn.port }).toEqual({ host: '${env.SOURCE_HOST}', port: '${env.SOURCE_PORT}' });
    for (const conn of sourceConnections(example)) expect(conn.host).toBe('${vars.sourceHost}');
    for (const conn of [...sourceConnections(demo), ...sourceConnections(example)]) {
      delete conn.host;
      delete conn.port;
    }
    delete example.vars!.sourceHost;
    expect(demo).toEqual(example);
  });

  it('the logical demo plan opts audit_log in to REPLICA IDENTITY FULL on a line of its own', () => {
    expect(readFileSync(LOGICAL_DEMO_PLAN, 'utf8')).toMatch(/^ {4}replicaIdentityFull: \[public\.audit_log\]/m);
  });

  for (const file of [DEMO_PLAN, MANUAL_CUTOVER_PLAN, LOGICAL_DEMO_PLAN]) {
    it(`${path.basename(file)} is valid`, async () => {
      const loaded = await loadPlan(file);
      expect(loaded.diagnostics.map((d) => `${d.line}:${d.column}: ${d.message}`)).toEqual([]);
      expect(loaded.ok).toBe(true);
    });
  }
});
