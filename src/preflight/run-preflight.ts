// PLACEHOLDER (issue 5 implements it): read-only checks of every step against the account.
import { NotImplemented } from '../errors.js';
import type { AwsApi } from '../aws/api.js';
import type { DbConnector } from '../db/api.js';
import type { Plan } from '../plan/types.js';
import type { CheckResult } from '../steps/step.js';

export interface PreflightReport {
  steps: Array<{ stepId: string; type: string; checks: CheckResult[] }>;
  /** True when any check failed (plan --preflight then exits 2). */
  failed: boolean;
}

export async function runPreflight(_plan: Plan, _deps: { aws: AwsApi; db: DbConnector; signal: AbortSignal; region?: string }): Promise<PreflightReport> {
  throw new NotImplemented('plan --preflight is not implemented yet: it arrives with the AWS steps');
}
