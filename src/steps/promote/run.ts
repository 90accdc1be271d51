// Step type "promote": a final lag check, then PromoteReadReplicaDBCluster sent at most once, then the
// wait until the cluster is available and no longer a replica. DescribeDBClusters is the authority;
// the RDS promotion event is confirmed best-effort.
import { StepFailed } from '../../errors.js';
import type { PromoteSpec } from '../../plan/types.js';
import { durationMs } from '../../plan/units.js';
import type { CutoverHandle, DescribeEnv, PlannedAction, StepContext, StepModule } from '../step.js';
import { thawTarget } from '../freeze-writes/thaw.js';
import {
  MARKER_INSERT_SQL,
  MARKER_SEEN_SQL,
  MARKER_SETUP_SQL,
  MARKER_POLL_MS,
  waitForMarker,
  writeMarker,
} from './caught-up.js';
import { RESOURCE_POLL_MS, rdsFailure } from '../../rds/aurora-target.js';
import { isAwsError, findCluster, type DbCluster } from '../../rds/resources.js';
import { fmtSeconds, LAG_METRIC, metricDataParams, MINUTE, seriesById } from '../../rds/metrics.js';
import { promotePreflight } from './preflight.js';

export const DEFAULT_PROMOTE_TIMEOUT = '2h';
/** The final lag check looks at the last few minutes; the newest datapoint must be in them. */
const FINAL_CHECK_WINDOW_MS = 5 * MINUTE;
/** The promotion wait while writes are frozen (docs/design.md "Cutover" says 5 s; 2 s keeps the polling slack under the 5 s goal). */
export const CUTOVER_POLL_MS = 2_000;
const PROMOTED_EVENT = /promoted read replica cluster to (a )?stand-?alone database cluster/i;

export const promoteParams = (spec: PromoteSpec) => ({ DBClusterIdentifier: spec.cluster });

export function finalLagParams(replica: string, nowMs: number): Record<string, unknown> {
  return metricDataParams(
    [{ id: 'lag', metric: LAG_METRIC, instance: replica, stat: 'Maximum' }],
    nowMs - FINAL_CHECK_WINDOW_MS,
    nowMs,
  );
}

type Checkpointed = {
  phase?: string;
  sentAt?: string;
  caughtUpAt?: string;
  marker?: { token: string; markerLsn: string; writtenAt: string };
};

export const promote: StepModule<PromoteSpec> = {
  type: 'promote',
  outputs: ['clusterArn', 'endpoint', 'readerEndpoint', 'port', 'promotedAt', 'caughtUpAt', 'promotionSentAt'],

  describe(spec: PromoteSpec, env: DescribeEnv): PlannedAction[] {
    const timeoutMs = durationMs(spec.timeout, DEFAULT_PROMOTE_TIMEOUT);
    const maxLag = fmtSeconds(durationMs(spec.maxLag, '0s') / 1000);
    const lagCheck: PlannedAction = spec.replica
      ? {
          kind: 'aws',
          service: 'cloudwatch',
          operation: 'GetMetricData',
          params: { ...finalLagParams(spec.replica, 0), StartTime: '<now - 5m>', EndTime: '<now>' },
          note: `final lag check${env.cutover ? ' (an extra guard after the marker)' : ''}: refuse unless the newest datapoint is present and at or under ${maxLag}`,
        }
      : {
          kind: 'check',
          description:
            'final lag check skipped: the step has no "replica" (set replica: <Aurora instance id> to check RDSToAuroraPostgreSQLReplicaLag first)',
        };
    return [
      {
        kind: 'check',
        description: `DescribeDBClusters ${spec.cluster}: send the promotion only if it is still an available replica (never twice)`,
      },
      ...caughtUpActions(spec, env),
      lagCheck,
      {
        kind: 'aws',
        service: 'rds',
        operation: 'PromoteReadReplicaDBCluster',
        params: promoteParams(spec),
        ...(env.cutover
          ? { note: 'the point of no return of the cutover window: from here the plan only goes forward' }
          : {}),
      },
      {
        kind: 'wait',
        for: `cluster ${spec.cluster} to be available and no longer a replica`,
        timeoutMs,
        pollEveryMs: env.cutover ? CUTOVER_POLL_MS : RESOURCE_POLL_MS,
      },
      ...(env.cutover && spec.replicaConnection
        ? [
            {
              kind: 'sql',
              sql: 'ALTER DATABASE <each frozen database> SET default_transaction_read_only = <its previous value> (or RESET)',
              note: 'on the promoted writer endpoint: the freeze came along with the physical copy; the target becomes writable, the source stays frozen',
            } as PlannedAction,
          ]
        : []),
    ];
  },

  preflight: promotePreflight,

  async run(spec: PromoteSpec, ctx: StepContext): Promise<Record<string, unknown>> {
    const timeoutMs = durationMs(spec.timeout, DEFAULT_PROMOTE_TIMEOUT);
    const cp = (ctx.checkpoint.get() ?? {}) as Checkpointed;
    const cluster = await mustFindCluster(ctx, spec.cluster);
    const status = cluster.Status ?? 'unknown';
    let sentAt = cp.sentAt;
    let caughtUpAt = cp.caughtUpAt;
    if (!cluster.ReplicationSourceIdentifier) {
      if (!sentAt)
        ctx.warn(
          `cluster ${spec.cluster} is not a read replica (no ReplicationSourceIdentifier): it was already promoted or never was a replica; nothing sent`,
        );
    } else if (status === 'promoting') {
      ctx.event('promotion-in-progress', { cluster: spec.cluster });
    } else if (status === 'available') {
      if (ctx.cutover) {
        const proof = await caughtUpProof(spec, ctx, ctx.cutover);
        caughtUpAt = proof.caughtUpAt;
      } else if (spec.replicaConnection) {
        ctx.warn(
          'caught-up proof skipped: no freeze-writes step ran before this promote, so writes may still be arriving on the source; the CloudWatch lag check is the only guard',
        );
      }
      await finalLagCheck(spec, ctx);
      // The point of no return: after this, a failure goes forward, never back.
      await ctx.cutover?.crossPointOfNoReturn('PromoteReadReplicaDBCluster sent');
      sentAt = new Date(ctx.clock.now()).toISOString();
      await ctx.checkpoint.set({ ...ctx.checkpoint.get(), phase: 'PromoteReadReplicaDBCluster sent', sentAt });
      try {
        await ctx.aws.send('rds', 'PromoteReadReplicaDBCluster', promoteParams(spec));
      } catch (err) {
        if (!isAwsError(err, 'InvalidDBClusterStateFault'))
          throw rdsFailure(ctx, `PromoteReadReplicaDBCluster ${spec.cluster}`, err);
        const now = await mustFindCluster(ctx, spec.cluster);
        if (now.Status !== 'promoting' && now.ReplicationSourceIdentifier)
          throw rdsFailure(ctx, `PromoteReadReplicaDBCluster ${spec.cluster} (cluster status "${now.Status}")`, err);
      }
    } else {
      throw new StepFailed(
        ctx.stepId,
        `cluster ${spec.cluster} is in state "${status}" (expected "available" before promotion). Wait for it to become available, then run aurora-migrate apply again.`,
      );
    }
    const done = await ctx.poll({
      what: `cluster ${spec.cluster} to be available and no longer a replica`,
      // Inside a cutover the application's writes are down: look often (a few DescribeDBClusters more).
      everyMs: ctx.cutover ? CUTOVER_POLL_MS : RESOURCE_POLL_MS,
      timeoutMs,
      check: async () => {
        const c = await mustFindCluster(ctx, spec.cluster);
        if (c.Status === 'available' && !c.ReplicationSourceIdentifier) return { done: true, value: c };
        return {
          done: false,
          detail: `cluster ${spec.cluster}: ${c.Status ?? 'unknown'}${c.ReplicationSourceIdentifier ? ', still replicating' : ''}`,
        };
      },
    });
    if (ctx.cutover && spec.replicaConnection && done.Endpoint) {
      // The replica is a physical copy: the freeze's read-only default is on the target too.
      await thawTarget(
        ctx,
        { ...spec.replicaConnection, host: done.Endpoint, port: done.Port ?? spec.replicaConnection.port },
        ctx.cutover.frozenBefore(),
      );
    }
    const eventAt = await promotionEvent(ctx, spec.cluster, sentAt);
    const promotedAt = eventAt ?? sentAt ?? new Date(ctx.clock.now()).toISOString();
    await ctx.checkpoint.set({ ...ctx.checkpoint.get(), phase: 'promoted', promotedAt });
    // The window's timings in the event log too (the run report reads them from there).
    ctx.event('promoted', {
      cluster: spec.cluster,
      promotedAt,
      ...(caughtUpAt ? { caughtUpAt } : {}),
      ...(sentAt ? { promotionSentAt: sentAt } : {}),
    });
    return {
      clusterArn: done.DBClusterArn,
      endpoint: done.Endpoint,
      readerEndpoint: done.ReaderEndpoint,
      port: done.Port,
      promotedAt,
      ...(caughtUpAt ? { caughtUpAt } : {}),
      ...(sentAt ? { promotionSentAt: sentAt } : {}),
    };
  },
};

/** The caught-up proof in the dry-run: the marker SQL and the wait, or why it is missing. */
function caughtUpActions(spec: PromoteSpec, env: DescribeEnv): PlannedAction[] {
  if (!env.cutover) {
    return [
      {
        kind: 'check',
        description:
          'caught-up proof missing: no freeze-writes step before this promote, so writes may still arrive on the source while it is promoted (only the CloudWatch lag check guards it). Put freeze-writes before promote and give replicaConnection.',
      },
    ];
  }
  if (!spec.replicaConnection) {
    return [
      {
        kind: 'check',
        description: `refuses to promote: a freeze-writes step ("${env.cutover.freezeStepId}") runs before, but this step has no replicaConnection for the caught-up proof`,
      },
    ];
  }
  const db = spec.replicaConnection.database;
  return [
    {
      kind: 'sql',
      sql: ['BEGIN READ WRITE', ...MARKER_SETUP_SQL, MARKER_INSERT_SQL, 'COMMIT'].join(';\n'),
      params: ['<run id>', '<random token>'],
      note: `on the frozen source (the "${env.cutover.freezeStepId}" connection, database ${db}): the marker`,
    },
    {
      kind: 'wait',
      for: `the marker on the replica ${spec.replicaConnection.host}:${spec.replicaConnection.port ?? 5432}/${db} (${MARKER_SEEN_SQL}): then every write committed before it is on the replica`,
      timeoutMs: env.cutover.windowMs ?? 5 * 60_000,
      pollEveryMs: MARKER_POLL_MS,
      note: "until the cutover window's deadline; not seen by then → roll back",
    },
  ];
}

/** Marker on the source, seen on the replica, checkpointed: then every committed write is on the replica. */
async function caughtUpProof(
  spec: PromoteSpec,
  ctx: StepContext,
  cutover: CutoverHandle,
): Promise<{ caughtUpAt: string }> {
  if (!spec.replicaConnection) {
    throw new StepFailed(
      ctx.stepId,
      'a freeze-writes step ran before it, but the step has no "replicaConnection", so the replica cannot be proven to hold every committed write',
      {
        outcome: `refused to promote cluster ${spec.cluster}:`,
        remedy:
          "Promotion was not sent. Add replicaConnection (the replica's reader endpoint and port), then run apply again.",
      },
    );
  }
  const marker = await writeMarker(ctx, cutover.sourceConnection(), spec.replicaConnection.database);
  await ctx.checkpoint.set({ ...ctx.checkpoint.get(), phase: 'cutover marker written', marker });
  ctx.progress(`cutover marker written on the source at WAL ${marker.markerLsn}; waiting for the replica to replay it`);
  const { caughtUpAt, waitedMs } = await waitForMarker(ctx, spec.replicaConnection, marker, cutover);
  await ctx.checkpoint.set({ ...ctx.checkpoint.get(), phase: 'replica caught up', caughtUpAt });
  ctx.progress(`replica caught up: the marker was visible after ${(waitedMs / 1000).toFixed(1)}s`);
  return { caughtUpAt };
}

async function mustFindCluster(ctx: StepContext, id: string): Promise<DbCluster> {
  const c = await findCluster(ctx.aws, id);
  if (!c)
    throw new StepFailed(
      ctx.stepId,
      `DB cluster ${id} was not found. Check "cluster" in the plan (and the region), then run aurora-migrate apply again.`,
    );
  return c;
}

async function finalLagCheck(spec: PromoteSpec, ctx: StepContext): Promise<void> {
  const maxLagSeconds = durationMs(spec.maxLag, '0s') / 1000;
  if (!spec.replica) {
    ctx.warn(
      `final lag check skipped: step has no "replica", so RDSToAuroraPostgreSQLReplicaLag was not checked before promoting ${spec.cluster}`,
    );
    return;
  }
  const out = await ctx.aws.send('cloudwatch', 'GetMetricData', finalLagParams(spec.replica, ctx.clock.now()));
  const newest = seriesById(out).get('lag')?.[0];
  const refuse = (why: string) =>
    new StepFailed(ctx.stepId, why, {
      outcome: `refused to promote cluster ${spec.cluster}:`,
      remedy:
        'Promotion was not sent. Make sure application writes to the source are stopped and the replica has caught up (a lag-watch step before this one), then run aurora-migrate apply again.',
    });
  if (!newest)
    throw refuse(`replica lag of ${spec.replica} is unknown (no ${LAG_METRIC} datapoint in the last 5 minutes)`);
  if (newest.v > maxLagSeconds)
    throw refuse(`replica lag of ${spec.replica} is ${fmtSeconds(newest.v)}, over maxLag ${fmtSeconds(maxLagSeconds)}`);
  ctx.event('final-lag-check', { replica: spec.replica, lagSeconds: newest.v, at: new Date(newest.t).toISOString() });
}

/** The promotion event's time when RDS reports it (best-effort: any failure here is ignored). */
async function promotionEvent(
  ctx: StepContext,
  cluster: string,
  sentAt: string | undefined,
): Promise<string | undefined> {
  try {
    const since = sentAt ? Date.parse(sentAt) - 5 * MINUTE : ctx.clock.now() - 24 * 60 * MINUTE;
    const out = await ctx.aws.send<{ Events?: Array<{ Message?: string; Date?: unknown }> }>('rds', 'DescribeEvents', {
      SourceIdentifier: cluster,
      SourceType: 'db-cluster',
      StartTime: new Date(since),
    });
    const ev = out.Events?.find((e) => e.Message && PROMOTED_EVENT.test(e.Message));
    if (!ev) return undefined;
    ctx.event('promotion-confirmed', { cluster, message: ev.Message });
    const d = ev.Date instanceof Date ? ev.Date : ev.Date ? new Date(String(ev.Date)) : undefined;
    return d && !Number.isNaN(d.getTime()) ? d.toISOString() : undefined;
  } catch {
    return undefined;
  }
}
