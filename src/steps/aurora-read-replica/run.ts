// Step type "aurora-read-replica": an Aurora PostgreSQL replica cluster of an RDS PostgreSQL instance
// (CreateDBCluster with ReplicationSourceIdentifier = the source's ARN), its first instance, and the
// wait until both are available. Convergent: observes, adopts what it created, checkpoints before
// every mutating call.
import { StepFailed } from '../../errors.js';
import type { AuroraReadReplicaSpec } from '../../plan/types.js';
import { durationMs } from '../../plan/units.js';
import type { DescribeEnv, PlannedAction, StepContext, StepModule } from '../step.js';
import {
  clusterCommonParams,
  createInstanceParams,
  ensureCluster,
  ensureInstance,
  instanceIdOf,
  targetOutputs,
  waitTargetAvailable,
} from '../../rds/aurora-target.js';
import { isArn } from '../../rds/identifiers.js';
import { findInstance } from '../../rds/resources.js';
import { checkSource, type SourceFacts } from '../../rds/compatibility.js';
import { readReplicaPreflight } from './preflight.js';

export const DEFAULT_REPLICA_TIMEOUT = '12h';

export function createReplicaClusterParams(
  spec: AuroraReadReplicaSpec,
  env: { planName: string; stepId: string },
  source: SourceFacts,
): Record<string, unknown> {
  const encrypted = source.encrypted ? { StorageEncrypted: true, KmsKeyId: spec.kmsKeyId ?? source.kmsKeyId } : {};
  return {
    DBClusterIdentifier: spec.cluster,
    Engine: 'aurora-postgresql',
    EngineVersion: spec.engineVersion ?? source.engineVersion,
    ReplicationSourceIdentifier: source.arn,
    ...encrypted,
    ...clusterCommonParams(spec, env),
  };
}

function placeholderSource(spec: AuroraReadReplicaSpec): SourceFacts {
  return {
    arn: isArn(spec.source) ? spec.source : `<ARN of DB instance ${spec.source}>`,
    engineVersion: `<engine version of ${spec.source}>`,
    encrypted: false,
  };
}

export const auroraReadReplica: StepModule<AuroraReadReplicaSpec> = {
  type: 'aurora-read-replica',
  outputs: ['clusterId', 'clusterArn', 'instanceId', 'endpoint', 'readerEndpoint', 'port'],

  describe(spec: AuroraReadReplicaSpec, env: DescribeEnv): PlannedAction[] {
    const timeoutMs = durationMs(spec.timeout, DEFAULT_REPLICA_TIMEOUT);
    const clusterParams = createReplicaClusterParams(spec, env, placeholderSource(spec));
    return [
      {
        kind: 'check',
        description: `DescribeDBInstances ${spec.source}: PostgreSQL, compatible engine version, no Aurora read replica yet; adopt cluster ${spec.cluster} and instance ${instanceIdOf(spec)} if this step created them before`,
      },
      {
        kind: 'aws',
        service: 'rds',
        operation: 'CreateDBCluster',
        params: clusterParams,
        note: 'StorageEncrypted and KmsKeyId (kmsKeyId, else the source key) are added when the source is encrypted',
      },
      { kind: 'aws', service: 'rds', operation: 'CreateDBInstance', params: createInstanceParams(spec, env) },
      {
        kind: 'wait',
        for: `cluster ${spec.cluster} and instance ${instanceIdOf(spec)} to be available`,
        timeoutMs,
        pollEveryMs: 30_000,
      },
    ];
  },

  preflight: readReplicaPreflight,

  async run(spec: AuroraReadReplicaSpec, ctx: StepContext): Promise<Record<string, unknown>> {
    const timeoutMs = durationMs(spec.timeout, DEFAULT_REPLICA_TIMEOUT);
    ctx.progress(`checking source ${spec.source}`);
    const source = await findInstance(ctx.aws, spec.source);
    const facts = checkSource(spec, source, ctx.stepId);
    if (spec.kmsKeyId && !facts.encrypted) {
      ctx.warn(
        `kmsKeyId is ignored: source ${spec.source} is not encrypted, and an Aurora read replica of an unencrypted instance is unencrypted`,
      );
    }
    const params = createReplicaClusterParams(spec, ctx, facts);
    await ensureCluster(ctx, spec.cluster, {
      operation: 'CreateDBCluster',
      params,
      // Only when the cluster does not exist yet: RDS allows one Aurora read replica per source.
      beforeCreate: () => {
        const others = source?.ReadReplicaDBClusterIdentifiers ?? [];
        if (others.length > 0) {
          throw new StepFailed(
            ctx.stepId,
            `source ${spec.source} already has an Aurora read replica (${others.join(', ')}); RDS allows only one. ` +
              `If that cluster is the one you want, point later steps at it; otherwise delete or promote it, then run aurora-migrate apply again.`,
          );
        }
      },
    });
    await ensureInstance(ctx, spec, timeoutMs);
    const { cluster } = await waitTargetAvailable(ctx, spec, timeoutMs);
    await ctx.checkpoint.set({ ...ctx.checkpoint.get(), phase: 'available' });
    return targetOutputs(cluster, instanceIdOf(spec));
  },
};
