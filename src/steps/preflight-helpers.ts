// Helpers shared by the steps' read-only preflight checks.
import type { CheckResult, PreflightContext } from './step.js';
import { isOurs } from '../rds/ownership.js';
import { describeAwsError, findCluster, findInstance, tagsOf } from '../rds/resources.js';
import { instanceIdOf, type TargetSpec } from '../rds/aurora-target.js';

/** A value that is known at preflight time (not a `<steps.x.outputs.y>` / `<env.X unset>` placeholder). */
export function known(value: unknown): value is string {
  return typeof value === 'string' && value !== '' && !/<[^>]*>/.test(value);
}

/** The 'warn' for a check that cannot run before an earlier step has produced its value. */
export function skipped(check: string, field: string, value: unknown): CheckResult {
  return {
    status: 'warn',
    check,
    detail: `skipped: "${field}" is ${String(value)}, known only after an earlier step has run`,
  };
}

/** Runs one check; an AWS error (access denied, throttling beyond retries…) becomes a failed check. */
export async function guarded(check: string, fn: () => Promise<CheckResult | CheckResult[]>): Promise<CheckResult[]> {
  try {
    const r = await fn();
    return Array.isArray(r) ? r : [r];
  } catch (err) {
    return [{ status: 'fail', check, detail: `could not check: ${describeAwsError(err)}` }];
  }
}

/** A resource the step will create must not exist as someone else's. */
export async function ownershipResult(
  what: string,
  found: Parameters<typeof tagsOf>[1],
  ctx: PreflightContext,
  rename: string,
): Promise<CheckResult> {
  const check = `${what} is free or ours`;
  if (!found) return { status: 'pass', check, detail: `${what} does not exist yet; the step will create it` };
  if (isOurs(await tagsOf(ctx.aws, found, { signal: ctx.signal }), ctx.planName, ctx.stepId))
    return { status: 'pass', check, detail: `${what} exists and was created by this step before; it will be adopted` };
  return {
    status: 'fail',
    check,
    detail: `${what} already exists and is not tagged as this plan's step "${ctx.stepId}"; choose another ${rename} or remove it`,
  };
}

export const nowOf = (ctx: PreflightContext) => ctx.clock?.now() ?? Date.now();

/** The new cluster's and its first instance's names are free, or taken by this step before. */
export async function targetNamesResults(spec: TargetSpec, ctx: PreflightContext): Promise<CheckResult[]> {
  if (!known(spec.cluster)) return [skipped('cluster name is free or ours', 'cluster', spec.cluster)];
  const opts = { signal: ctx.signal };
  const instanceId = instanceIdOf(spec);
  return [
    ...(await guarded(`DB cluster ${spec.cluster} is free or ours`, async () =>
      ownershipResult(
        `DB cluster ${spec.cluster}`,
        await findCluster(ctx.aws, spec.cluster, opts),
        ctx,
        'cluster name',
      ),
    )),
    ...(await guarded(`DB instance ${instanceId} is free or ours`, async () =>
      ownershipResult(`DB instance ${instanceId}`, await findInstance(ctx.aws, instanceId, opts), ctx, 'instance.id'),
    )),
  ];
}
