// Read-only checks for promote: the cluster exists and is still a read replica; the final lag check
// has a replica to read.
import type { PromoteSpec } from '../../plan/types.js';
import type { CheckResult, PreflightContext } from '../step.js';
import { findCluster } from '../../rds/resources.js';
import { guarded, known, skipped } from '../preflight-helpers.js';

export async function promotePreflight(spec: PromoteSpec, ctx: PreflightContext): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  if (!spec.replica) results.push({ status: 'warn', check: 'final lag check', detail: 'the step has no "replica": the final lag check before promotion will be skipped' });
  if (!known(spec.cluster)) return [...results, skipped('cluster is a read replica', 'cluster', spec.cluster)];
  results.push(...(await guarded('cluster is a read replica', async () => {
    const c = await findCluster(ctx.aws, spec.cluster, { signal: ctx.signal });
    if (!c) return { status: 'warn', check: 'cluster exists', detail: `DB cluster ${spec.cluster} does not exist yet (an earlier step may create it)` };
    if (!c.ReplicationSourceIdentifier) return { status: 'warn', check: 'cluster is a read replica', detail: `DB cluster ${spec.cluster} is not a read replica (already promoted?); promote will send nothing` };
    return { status: 'pass', check: 'cluster is a read replica', detail: `DB cluster ${spec.cluster} replicates from ${c.ReplicationSourceIdentifier} (${c.Status})` };
  })));
  return results;
}
