// Test-only step types. They count their side effects in a ledger file (one line per effect), and
// are convergent the way real steps must be: observe the world (the ledger) first, adopt what is
// already there, then act and checkpoint. Never imported by src/: the production CLI cannot reach them.
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import type { AnyStepModule, StepModule } from '../../src/steps/step.js';
import { steps as productionSteps } from '../../src/steps/index.js';
import type { Plan } from '../../src/plan/types.js';
import type { LoadResult } from '../../src/plan/load.js';
import { StepFailed } from '../../src/errors.js';

export interface EffectSpec {
  id: string;
  type: 'test-effect';
  /** How many effects (units of work) the step does. */
  units: number;
  /** Ledger file: one line `<runId> <stepId> <unit>` per effect. */
  ledger: string;
  /** Sleep between units (real-AWS ms, through ctx.sleep). */
  sleepMs?: number;
  /** Sleep between an effect and its checkpoint: widens the window a crash must survive. */
  gapMs?: number;
  /** Echoed as an output (to test ${steps.x.outputs.y}). */
  echo?: string;
  password?: string;
  /** Fails the step (after its effects) while this file exists. */
  failWhileExists?: string;
}

export function ledgerLines(ledger: string): string[] {
  if (!existsSync(ledger)) return [];
  return readFileSync(ledger, 'utf8').split('\n').filter(Boolean);
}

export const testEffect: StepModule<any> = {
  type: 'test-effect' as never,
  outputs: ['units', 'echo', 'secretEcho'],
  describe: (spec: EffectSpec) => [{ kind: 'check', description: `${spec.units} effects` }],
  async run(spec: EffectSpec, ctx) {
    const cp = (ctx.checkpoint.get() as { done?: number } | undefined) ?? {};
    const seen = new Set(ledgerLines(spec.ledger));
    for (let i = cp.done ?? 0; i < spec.units; i++) {
      const key = `${ctx.runId} ${ctx.stepId} ${i}`;
      if (!seen.has(key)) {
        ctx.event('sql', { sql: `insert into effects values (${i})`, password: spec.password });
        appendFileSync(spec.ledger, key + '\n');
        if (spec.gapMs) await ctx.sleep(spec.gapMs);
      }
      await ctx.checkpoint.set({ done: i + 1 });
      ctx.progress(`unit ${i + 1}/${spec.units} done`);
      if (spec.sleepMs) await ctx.sleep(spec.sleepMs);
    }
    if (spec.password) ctx.warn(`connected with password ${spec.password}`);
    if (spec.failWhileExists && existsSync(spec.failWhileExists)) {
      throw new StepFailed(ctx.stepId, `the table is locked (test: ${spec.failWhileExists} exists)`, {
        remedy: 'Remove it, then run apply again.',
      });
    }
    return {
      units: spec.units,
      ...(spec.echo !== undefined ? { echo: spec.echo } : {}),
      ...(spec.password ? { secretEcho: `pw=${spec.password}` } : {}),
    };
  },
};

/** Creates a "cluster" convergently (Describe first, adopt, else Create) and waits with ctx.poll. */
export const testAws: StepModule<any> = {
  type: 'test-aws' as never,
  outputs: ['clusterId'],
  describe: () => [],
  async run(spec: { cluster: string; polls?: number }, ctx) {
    const found = await ctx.aws.send<{ DBClusters?: unknown[] }>('rds', 'DescribeDBClusters', {
      DBClusterIdentifier: spec.cluster,
    });
    if (!found.DBClusters?.length) {
      await ctx.aws.send('rds', 'CreateDBCluster', { DBClusterIdentifier: spec.cluster, Engine: 'aurora-postgresql' });
    }
    await ctx.checkpoint.set({ created: true });
    let n = 0;
    await ctx.poll({
      what: `cluster ${spec.cluster} to be available`,
      everyMs: 30_000,
      timeoutMs: 3_600_000,
      check: async () => {
        const r = await ctx.aws.send('rds', 'DescribeDBClusters', { DBClusterIdentifier: spec.cluster });
        n++;
        return n > (spec.polls ?? 0)
          ? { done: true, value: r }
          : { done: false, detail: `cluster ${spec.cluster}: creating` };
      },
    });
    return { clusterId: spec.cluster };
  },
};

export function testRegistry(extra: Record<string, AnyStepModule> = {}): Record<string, AnyStepModule> {
  return { ...productionSteps, 'test-effect': testEffect, 'test-aws': testAws, ...extra };
}

/** A Plan object without the loader (test step types are not in the schema). */
export function makePlan(
  name: string,
  steps: Array<Record<string, unknown>>,
  extra: { vars?: Record<string, string>; file?: string } = {},
): Plan {
  return Object.freeze({
    version: 1,
    name,
    vars: extra.vars ?? {},
    steps: steps as unknown as Plan['steps'],
    file: extra.file ?? `plans/${name}.yaml`,
  }) as Plan;
}

/** Lenient loader for plans with test step types: parses YAML, no schema. */
export async function lenientLoadPlan(file: string): Promise<LoadResult> {
  const data = parse(await readFile(file, 'utf8'));
  return { ok: true, plan: Object.freeze({ ...data, vars: data.vars ?? {}, file }) as Plan, diagnostics: [] };
}
