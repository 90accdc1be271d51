// Helpers shared by the steps' read-only preflight checks.
import type { CheckResult, PreflightContext } from './step.js';
import { isOurs } from '../rds/ownership.js';
import { describeAwsError, tagsOf } from '../rds/resources.js';

/** A value that is known at preflight time (not a `<steps.x.outputs.y>` / `<env.X unset>` placeholder). */
export function known(value: unknown): value is string {
  return typeof value === 'string' && value !== '' && !/<[^>]*>/.test(value);
}

/** The 'warn' for a check that cannot run before an earlier step has produced its value. */
export function skipped(check: string, field: string, value: unknown): CheckResult {
  return { status: 'warn', check, detail: `skipped: "${field}" is ${String(value)}, known only after an earlier step has run` };
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
export async function ownershipResult(what: string, found: Parameters<typeof tagsOf>[1], ctx: PreflightContext, rename: string): Promise<CheckResult> {
  const check = `${what} is free or ours`;
  if (!found) return { status: 'pass', check, detail: `${what} does not exist yet; the step will create it` };
  if (isOurs(await tagsOf(ctx.aws, found, { signal: ctx.signal }), ctx.planName, ctx.stepId)) return { status: 'pass', check, detail: `${what} exists and was created by this step before; it will be adopted` };
  return { status: 'fail', check, detail: `${what} already exists and is not tagged as this plan's step "${ctx.stepId}"; choose another ${rename} or remove it` };
}

export const nowOf = (ctx: PreflightContext) => ctx.clock?.now() ?? Date.now();
