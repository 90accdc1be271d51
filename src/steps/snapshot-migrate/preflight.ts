// Read-only checks for snapshot-migrate: the source instance or the snapshot exists and is PostgreSQL,
// the Aurora version is compatible, a cross-region encrypted snapshot has a target KMS key, and the
// cluster/instance names are free (or ours).
import type { SnapshotMigrateSpec } from '../../plan/types.js';
import type { CheckResult, PreflightContext } from '../step.js';
import { isArn, parseArn } from '../../rds/identifiers.js';
import { findInstance, findSnapshot } from '../../rds/resources.js';
import { guarded, known, skipped, targetNamesResults } from '../preflight-helpers.js';
import { versionResult } from '../aurora-read-replica/preflight.js';
import { present } from '../../invariant.js';

export async function snapshotMigratePreflight(
  spec: SnapshotMigrateSpec,
  ctx: PreflightContext,
): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  const opts = { signal: ctx.signal };
  if (spec.source !== undefined) {
    if (!known(spec.source)) results.push(skipped('source is an RDS PostgreSQL instance', 'source', spec.source));
    else
      results.push(
        ...(await guarded('source is an RDS PostgreSQL instance', async () => {
          const src = await findInstance(ctx.aws, present(spec.source, 'the source of the step'), opts);
          if (!src)
            return {
              status: 'fail',
              check: 'source exists',
              detail: `DB instance ${spec.source} was not found in this account/region`,
            };
          if (src.Engine !== 'postgres')
            return {
              status: 'fail',
              check: 'source is PostgreSQL',
              detail: `DB instance ${spec.source} runs "${src.Engine}", not "postgres"`,
            };
          return [
            {
              status: 'pass',
              check: 'source is an RDS PostgreSQL instance',
              detail: `${spec.source}: postgres ${src.EngineVersion}`,
            },
            versionResult(src, spec.engineVersion),
          ];
        })),
      );
  } else if (!known(spec.snapshot)) {
    results.push(skipped('snapshot exists', 'snapshot', spec.snapshot));
  } else {
    const snapshot = spec.snapshot;
    const arn = isArn(snapshot) ? parseArn(snapshot) : undefined;
    const otherRegion = arn && ctx.region && arn.region !== ctx.region ? arn.region : undefined;
    results.push(
      ...(await guarded('snapshot exists and is PostgreSQL', async () => {
        const snap = await findSnapshot(ctx.aws, snapshot, { ...opts, region: otherRegion });
        if (!snap)
          return {
            status: 'fail',
            check: 'snapshot exists',
            detail: `DB snapshot ${snapshot} was not found${otherRegion ? ` in ${otherRegion}` : ''}`,
          };
        const out: CheckResult[] = [];
        if (snap.Engine && snap.Engine !== 'postgres')
          out.push({
            status: 'fail',
            check: 'snapshot is PostgreSQL',
            detail: `DB snapshot ${snapshot} is of engine "${snap.Engine}"`,
          });
        else
          out.push({
            status: snap.Status === 'available' ? 'pass' : 'warn',
            check: 'snapshot exists and is PostgreSQL',
            detail: `${snapshot}: postgres ${snap.EngineVersion}, ${snap.Status}`,
          });
        out.push(versionResult(snap, spec.engineVersion));
        if (otherRegion) {
          out.push(
            snap.Encrypted && !spec.kmsKeyId
              ? {
                  status: 'fail',
                  check: 'cross-region copy has a KMS key',
                  detail: `snapshot is encrypted and in ${otherRegion}; set kmsKeyId to a key of ${ctx.region}`,
                }
              : {
                  status: 'pass',
                  check: 'cross-region copy',
                  detail: `snapshot will be copied from ${otherRegion} into ${ctx.region}`,
                },
          );
        }
        return out;
      })),
    );
  }
  results.push(...(await targetNamesResults(spec, ctx)));
  return results;
}
