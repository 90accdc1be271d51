// plan --preflight: every step's read-only checks against the account, in plan order. Values that
// depend on earlier steps' outputs are placeholders here; the steps skip those checks with a 'warn'.
import { Interrupted } from '../errors.js';
import type { AwsApi } from '../aws/api.js';
import type { DbConnector } from '../db/api.js';
import type { Plan, StepSpec } from '../plan/types.js';
import { resolveDeep } from '../plan/values.js';
import { cutoverSteps, windowConnectionUsers } from '../plan/cutover-steps.js';
import { steps as registry } from '../steps/index.js';
import type { AnyStepModule, CheckResult, Clock } from '../steps/step.js';
import { describeAwsError } from '../rds/resources.js';

export interface PreflightReport {
  steps: Array<{ stepId: string; type: string; checks: CheckResult[] }>;
  /** True when any check failed (plan --preflight then exits 2). */
  failed: boolean;
}

export interface PreflightDeps {
  aws: AwsApi;
  db: DbConnector;
  signal: AbortSignal;
  region?: string;
  /** Values for ${env.X} (default: none known, so such values are skipped with a warning). */
  env?: Readonly<Record<string, string | undefined>>;
  clock?: Clock;
  /** Step registry (tests, and apply with its own step types, pass theirs). */
  registry?: Readonly<Record<string, AnyStepModule>>;
  /** Only these steps' checks (default: every step's). */
  only?(stepId: string): boolean;
  /** Outputs of steps that already ran (a resume): their values are known, not placeholders. */
  outputs?: Readonly<Record<string, Readonly<Record<string, unknown>> | undefined>>;
}

export async function runPreflight(plan: Plan, deps: PreflightDeps): Promise<PreflightReport> {
  const modules = deps.registry ?? registry;
  const clock = deps.clock ?? { now: () => Date.now() };
  const region = deps.region ?? plan.region;
  const report: PreflightReport = { steps: [], failed: false };
  const scope = { vars: plan.vars ?? {}, env: deps.env ?? {}, outputs: deps.outputs ?? {} };
  const freezeId = cutoverSteps(plan)?.freeze;
  // The fence keeps CONNECT for these users (those known now; placeholders are left out).
  const windowUsers = [
    ...new Set(
      windowConnectionUsers(plan)
        .map((u) => resolveDeep(u.user, scope, 'preflight'))
        .filter((r) => r.unresolved.length === 0)
        .map((r) => String(r.value)),
    ),
  ];
  for (const raw of plan.steps) {
    if (deps.signal.aborted) throw new Interrupted('interrupted');
    if (deps.only && !deps.only(raw.id)) continue;
    const spec = resolveDeep<StepSpec>(raw, scope, 'preflight').value;
    const module = modules[spec.type];
    let checks: CheckResult[] = [];
    if (module?.preflight) {
      try {
        checks = await module.preflight(spec, {
          planName: plan.name,
          stepId: spec.id,
          region,
          aws: deps.aws,
          db: deps.db,
          signal: deps.signal,
          clock,
          earlierSteps: plan.steps.slice(0, plan.steps.indexOf(raw)).map((x) => ({ id: x.id, type: x.type })),
          ...(spec.id === freezeId ? { windowUsers } : {}),
        });
      } catch (err) {
        if (err instanceof Interrupted || deps.signal.aborted) throw err;
        checks = [{ status: 'fail', check: 'preflight', detail: `checks could not run: ${describeAwsError(err)}` }];
      }
    }
    if (checks.some((c) => c.status === 'fail')) report.failed = true;
    report.steps.push({ stepId: spec.id, type: spec.type, checks });
  }
  return report;
}
