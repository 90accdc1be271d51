// Step type "enable-logical-replication": rds.logical_replication = 1 (and the sizing parameters the
// plan gives) in the source's custom DB parameter group, so RDS runs it with wal_level = logical.
// A default group cannot be modified: the plan's group is created from the same family (tagged) and
// the instance switched to it. The parameter is static: the change waits for a reboot, which the
// step makes only with `reboot: true` (a short outage of the source); otherwise it stops with exit 2
// naming the pending reboot. Convergent: observes first, checkpoints before every mutating call,
// and never reboots twice (a reboot sent before a crash shows as "rebooting" or "in-sync").
import { StepFailed } from '../../errors.js';
import type { EnableLogicalReplicationSpec } from '../../plan/types.js';
import { durationMs } from '../../plan/units.js';
import type { DescribeEnv, PlannedAction, StepContext, StepModule } from '../step.js';
import { INSTANCE_FAILED, RESOURCE_POLL_MS, rdsFailure } from '../../rds/aurora-target.js';
import { idOf } from '../../rds/identifiers.js';
import { isAwsError, withOwnershipTags } from '../../rds/resources.js';
import { findParameterGroup, LOGICAL_REPLICATION } from '../../rds/parameter-groups.js';
import {
  describeChanges,
  foreignCustomGroup,
  observeGroup,
  observeSource,
  otherUsers,
  parameterChangeParams,
  pendingChanges,
  sameName,
  wantedParameters,
  type SourceView,
} from './assess.js';
import { enableLogicalPreflight } from './preflight.js';

export const DEFAULT_ENABLE_LOGICAL_TIMEOUT = '1h';

type Phase =
  | 'CreateDBParameterGroup sent'
  | 'ModifyDBInstance sent'
  | 'ModifyDBParameterGroup sent'
  | 'awaiting reboot'
  | 'RebootDBInstance sent'
  | 'in-sync';
interface EnableCheckpoint {
  phase?: Phase;
  /** When this step sent RebootDBInstance (output rebootedAt). */
  rebootedAt?: string;
}

export function createGroupParams(
  spec: EnableLogicalReplicationSpec,
  env: { planName: string; stepId: string },
  family: string,
): Record<string, unknown> {
  return {
    DBParameterGroupName: spec.parameterGroup,
    DBParameterGroupFamily: family,
    Description: `aurora-migrate: logical replication for ${idOf(spec.instance)} (plan ${env.planName}, step ${env.stepId})`,
    Tags: withOwnershipTags(env.planName, env.stepId),
  };
}

export const modifyInstanceParams = (instanceId: string, group: string) => ({
  DBInstanceIdentifier: instanceId,
  DBParameterGroupName: group,
  ApplyImmediately: true,
});

export const enableLogicalReplication: StepModule<EnableLogicalReplicationSpec> = {
  confirmation: (spec) =>
    spec.reboot
      ? `may reboot RDS instance ${spec.instance} (a short outage of production) once its parameter group has rds.logical_replication = 1.`
      : undefined,
  type: 'enable-logical-replication',
  outputs: ['parameterGroup', 'rebootedAt', 'walLevel'],

  describe(spec: EnableLogicalReplicationSpec, env: DescribeEnv): PlannedAction[] {
    const instanceId = idOf(spec.instance);
    const timeoutMs = durationMs(spec.timeout, DEFAULT_ENABLE_LOGICAL_TIMEOUT);
    const family = `<family of ${instanceId}'s current parameter group>`;
    const actions: PlannedAction[] = [
      {
        kind: 'check',
        description:
          `DescribeDBInstances ${instanceId}: its DB parameter group and ParameterApplyStatus; DescribeDBParameters ${spec.parameterGroup}: ` +
          `nothing to do when ${LOGICAL_REPLICATION} = 1 (and the parameters below) and in-sync. A custom group other instances use is refused${spec.shared ? ' (here allowed: shared: true)' : ' unless shared: true'}`,
      },
      {
        kind: 'aws',
        service: 'rds',
        operation: 'CreateDBParameterGroup',
        params: createGroupParams(spec, env, family),
        note: `only when ${instanceId} uses a default parameter group (default.* cannot be modified) and ${spec.parameterGroup} does not exist yet`,
      },
      {
        kind: 'aws',
        service: 'rds',
        operation: 'ModifyDBInstance',
        params: modifyInstanceParams(instanceId, spec.parameterGroup),
        note: `only when ${instanceId} does not use ${spec.parameterGroup} yet; its values apply at the next reboot`,
      },
      {
        kind: 'aws',
        service: 'rds',
        operation: 'ModifyDBParameterGroup',
        params: parameterChangeParams(spec.parameterGroup, wantedParameters(spec)),
        note: 'only the values that differ; static parameters: applied at the next reboot',
      },
      {
        kind: 'wait',
        for: `${instanceId} to be available with ParameterApplyStatus pending-reboot or in-sync`,
        timeoutMs,
        pollEveryMs: RESOURCE_POLL_MS,
      },
    ];
    if (spec.reboot) {
      actions.push(
        {
          kind: 'aws',
          service: 'rds',
          operation: 'RebootDBInstance',
          params: { DBInstanceIdentifier: instanceId },
          note: `only when the change waits for a reboot: a short outage of ${instanceId} (connections are cut; applications reconnect)`,
        },
        {
          kind: 'wait',
          for: `${instanceId} to be available and in-sync (wal_level = logical)`,
          timeoutMs,
          pollEveryMs: RESOURCE_POLL_MS,
        },
      );
    } else {
      actions.push({
        kind: 'check',
        description: `when the change waits for a reboot, the step stops here (exit 2): reboot ${instanceId} in your own window, or set reboot: true, then run apply again`,
      });
    }
    return actions;
  },

  preflight: enableLogicalPreflight,

  run: runEnable,
};

/** The step's checkpoint: read it, save a patch onto it. */
interface Checkpoint {
  get(): EnableCheckpoint;
  save(next: EnableCheckpoint): Promise<void>;
}

async function runEnable(spec: EnableLogicalReplicationSpec, ctx: StepContext): Promise<Record<string, unknown>> {
  const timeoutMs = durationMs(spec.timeout, DEFAULT_ENABLE_LOGICAL_TIMEOUT);
  const cp: Checkpoint = {
    get: () => (ctx.checkpoint.get() as EnableCheckpoint | undefined) ?? {},
    save: (next) => ctx.checkpoint.set({ ...cp.get(), ...next } as Record<string, unknown>),
  };

  ctx.progress(`checking ${spec.instance}`);
  let view = await observe(spec, ctx);
  const instanceId = view.instance.DBInstanceIdentifier;
  // A reboot under way (ours before a crash, or someone else's) ends first; then the world is judged.
  if (view.status === 'rebooting') view = await waitSettled(spec, ctx, timeoutMs, 'to finish rebooting');

  if (foreignCustomGroup(view.currentGroup, spec.parameterGroup)) return alreadyOnElsewhere(spec, ctx, view);
  if (!sameName(view.currentGroup, spec.parameterGroup)) await useGroup(spec, ctx, cp, view, timeoutMs);
  await setParameters(spec, ctx, cp, instanceId);

  view = await waitSettled(spec, ctx, timeoutMs, 'to settle');
  if (view.applyStatus === 'pending-reboot') await reboot(spec, ctx, cp, instanceId);

  view = await waitInSync(spec, ctx, instanceId, timeoutMs);
  const still = await pendingChanges(ctx.aws, view.currentGroup, spec);
  if (still.length > 0)
    throw new StepFailed(
      ctx.stepId,
      `parameter group ${view.currentGroup} still differs from the plan after the change (${describeChanges(still)}). Run aurora-migrate apply again.`,
    );
  await cp.save({ phase: 'in-sync' });
  const { rebootedAt } = cp.get();
  return { parameterGroup: view.currentGroup, walLevel: 'logical', ...(rebootedAt ? { rebootedAt } : {}) };
}

/** The instance uses a custom group of its own: fine when logical replication is already on there, refused otherwise. */
async function alreadyOnElsewhere(
  spec: EnableLogicalReplicationSpec,
  ctx: StepContext,
  view: SourceView,
): Promise<Record<string, unknown>> {
  const instanceId = view.instance.DBInstanceIdentifier;
  const missing = await pendingChanges(ctx.aws, view.currentGroup, spec);
  if (missing.length === 0 && view.applyStatus === 'in-sync') {
    ctx.warn(
      `${instanceId} uses parameter group ${view.currentGroup}, not ${spec.parameterGroup}; ${LOGICAL_REPLICATION} = 1 is already applied there, so nothing was changed`,
    );
    return { parameterGroup: view.currentGroup, walLevel: 'logical' };
  }
  throw new StepFailed(
    ctx.stepId,
    `${instanceId} uses its own custom parameter group ${view.currentGroup}, not ${spec.parameterGroup}; switching groups would drop its other settings. ` +
      `Set "parameterGroup: ${view.currentGroup}" in the plan to change that group (with "shared: true" if other instances use it), then run aurora-migrate apply again.`,
  );
}

/** The instance uses a default group: the plan's group is created (or adopted), then associated. */
async function useGroup(
  spec: EnableLogicalReplicationSpec,
  ctx: StepContext,
  cp: Checkpoint,
  view: SourceView,
  timeoutMs: number,
): Promise<void> {
  const instanceId = view.instance.DBInstanceIdentifier;
  const group = spec.parameterGroup;
  const family = await familyOf(ctx, view.currentGroup);
  const target = await observeGroup(ctx.aws, group, ctx);
  if (!target.info) {
    await cp.save({ phase: 'CreateDBParameterGroup sent' });
    try {
      await ctx.aws.send('rds', 'CreateDBParameterGroup', createGroupParams(spec, ctx, family));
    } catch (err) {
      if (!isAwsError(err, 'DBParameterGroupAlreadyExistsFault', 'DBParameterGroupAlreadyExists'))
        throw rdsFailure(ctx, `CreateDBParameterGroup ${group}`, err);
    }
  } else {
    if (target.info.family !== family) {
      throw new StepFailed(
        ctx.stepId,
        `parameter group ${group} is of family ${target.info.family}, but ${instanceId} needs ${family}. Choose another "parameterGroup" name, then run aurora-migrate apply again.`,
      );
    }
    if (target.ours) ctx.event('adopted', { resource: 'DBParameterGroup', id: group });
  }
  const settled = await waitSettled(spec, ctx, timeoutMs, 'to accept a new parameter group');
  if (!sameName(settled.currentGroup, group)) {
    await cp.save({ phase: 'ModifyDBInstance sent' });
    try {
      await ctx.aws.send('rds', 'ModifyDBInstance', modifyInstanceParams(instanceId, group));
    } catch (err) {
      throw rdsFailure(ctx, `ModifyDBInstance ${instanceId} (DBParameterGroupName ${group})`, err);
    }
  }
}

/** Sends the parameters that differ from the plan (after checking the group is not shared by surprise). */
async function setParameters(
  spec: EnableLogicalReplicationSpec,
  ctx: StepContext,
  cp: Checkpoint,
  instanceId: string,
): Promise<void> {
  const group = spec.parameterGroup;
  const changes = await pendingChanges(ctx.aws, group, spec);
  if (changes.length === 0) return;
  await checkNotShared(spec, ctx, instanceId);
  await cp.save({ phase: 'ModifyDBParameterGroup sent' });
  ctx.event('parameters', { group, changes: describeChanges(changes) });
  try {
    await ctx.aws.send('rds', 'ModifyDBParameterGroup', parameterChangeParams(group, changes));
  } catch (err) {
    throw rdsFailure(ctx, `ModifyDBParameterGroup ${group}`, err);
  }
}

/** The parameters wait for a reboot: sent when the step may reboot, refused with the command otherwise. */
async function reboot(
  spec: EnableLogicalReplicationSpec,
  ctx: StepContext,
  cp: Checkpoint,
  instanceId: string,
): Promise<void> {
  if (!spec.reboot) {
    await cp.save({ phase: 'awaiting reboot' });
    throw new StepFailed(
      ctx.stepId,
      `${LOGICAL_REPLICATION} = 1 is set in parameter group ${spec.parameterGroup}, but it takes effect only when ${instanceId} is rebooted (ParameterApplyStatus: pending-reboot), ` +
        `and this step may not reboot it. Reboot ${instanceId} in your own maintenance window (a short outage: aws rds reboot-db-instance --db-instance-identifier ${instanceId}), ` +
        `or set "reboot: true" on this step, then run aurora-migrate apply again.`,
    );
  }
  const rebootedAt = new Date(ctx.clock.now()).toISOString();
  await cp.save({ phase: 'RebootDBInstance sent', rebootedAt });
  try {
    await ctx.aws.send('rds', 'RebootDBInstance', { DBInstanceIdentifier: instanceId });
  } catch (err) {
    throw rdsFailure(ctx, `RebootDBInstance ${instanceId}`, err);
  }
}

/** Waits until the instance is available with its parameters in-sync (a reboot still pending fails). */
async function waitInSync(
  spec: EnableLogicalReplicationSpec,
  ctx: StepContext,
  instanceId: string,
  timeoutMs: number,
): Promise<SourceView> {
  return ctx.poll({
    what: `${instanceId} to be available with its parameters in-sync`,
    everyMs: RESOURCE_POLL_MS,
    timeoutMs,
    check: async () => {
      const v = await observe(spec, ctx);
      if (v.status === 'available' && v.applyStatus === 'in-sync') return { done: true, value: v };
      if (v.status === 'available' && v.applyStatus === 'pending-reboot') {
        throw new StepFailed(
          ctx.stepId,
          `${instanceId} is available again but its parameters are still pending a reboot (was the reboot cancelled, or the group changed meanwhile?). Run aurora-migrate apply again.`,
        );
      }
      return { done: false, detail: `${instanceId}: ${v.status}, parameters ${v.applyStatus}` };
    },
  });
}

async function observe(spec: EnableLogicalReplicationSpec, ctx: StepContext): Promise<SourceView> {
  const o = await observeSource(ctx.aws, spec.instance, ctx.signal);
  if (o.found && INSTANCE_FAILED.has(o.status)) {
    const hint =
      o.status === 'incompatible-parameters'
        ? ` (a value in parameter group ${o.currentGroup} keeps it from starting: fix or reset it, reboot)`
        : '';
    throw new StepFailed(
      ctx.stepId,
      `DB instance ${spec.instance} is in state "${o.status}"${hint}; waiting will not change that. Bring it back to "available", then run aurora-migrate apply again.`,
    );
  }
  if (!o.found) {
    throw new StepFailed(
      ctx.stepId,
      `DB instance ${spec.instance} was not found in this account and region. Check "instance" and "region" in the plan, then run aurora-migrate apply again.`,
    );
  }
  if (o.instance.Engine !== 'postgres') {
    throw new StepFailed(
      ctx.stepId,
      `DB instance ${spec.instance} runs engine "${o.instance.Engine}", not "postgres"; rds.logical_replication is a parameter of RDS for PostgreSQL.`,
    );
  }
  return o;
}

/** Waits until the instance is available and no parameter change is still "applying". */
function waitSettled(
  spec: EnableLogicalReplicationSpec,
  ctx: StepContext,
  timeoutMs: number,
  why: string,
): Promise<SourceView> {
  return ctx.poll({
    what: `${spec.instance} ${why}`,
    everyMs: RESOURCE_POLL_MS,
    timeoutMs,
    check: async () => {
      const v = await observe(spec, ctx);
      if (v.status === 'available' && v.applyStatus !== 'applying') return { done: true, value: v };
      return { done: false, detail: `${spec.instance}: ${v.status}, parameters ${v.applyStatus}` };
    },
  });
}

async function familyOf(ctx: StepContext, group: string): Promise<string> {
  const family = (await findParameterGroup(ctx.aws, group))?.family;
  if (!family) throw new StepFailed(ctx.stepId, `DescribeDBParameterGroups ${group} gave no family; try again later.`);
  return family;
}

/** A group other instances use changes them too (at their next reboot): only with shared: true. */
async function checkNotShared(spec: EnableLogicalReplicationSpec, ctx: StepContext, instanceId: string): Promise<void> {
  const others = await otherUsers(ctx.aws, spec.parameterGroup, instanceId);
  if (others.length === 0) return;
  if (spec.shared) {
    ctx.warn(
      `parameter group ${spec.parameterGroup} is also used by ${others.join(', ')}; they get wal_level = logical at their next reboot (shared: true)`,
    );
    return;
  }
  throw new StepFailed(
    ctx.stepId,
    `parameter group ${spec.parameterGroup} is also used by ${others.join(', ')}; changing it would change them too at their next reboot. ` +
      `Name a parameter group only ${instanceId} uses in "parameterGroup", or set "shared: true" if that is intended, then run aurora-migrate apply again.`,
  );
}
