// Read-only checks for enable-logical-replication: the source is an RDS PostgreSQL instance, the
// plan's parameter group can be used (created from the family, ours, or someone else's of the right
// family; not another custom group the instance already uses), the group is not shared with other
// instances unless `shared: true`, and what will happen: nothing, a change, a reboot, or a stop with
// exit 2 for a pending reboot.
import type { EnableLogicalReplicationSpec } from '../../plan/types.js';
import type { CheckResult, PreflightContext } from '../step.js';
import { findParameterGroup, LOGICAL_REPLICATION } from '../../rds/parameter-groups.js';
import { guarded, known, skipped } from '../preflight-helpers.js';
import {
  describeChanges,
  foreignCustomGroup,
  observeGroup,
  observeSource,
  otherUsers,
  pendingChanges,
  sameName,
} from './assess.js';

export async function enableLogicalPreflight(
  spec: EnableLogicalReplicationSpec,
  ctx: PreflightContext,
): Promise<CheckResult[]> {
  if (!known(spec.instance)) return [skipped('source instance and its parameter group', 'instance', spec.instance)];
  const group = spec.parameterGroup;
  return guarded('source instance and its parameter group', async () => {
    const results: CheckResult[] = [];
    const o = await observeSource(ctx.aws, spec.instance, ctx.signal);
    if (!o.found)
      return {
        status: 'fail',
        check: 'source exists',
        detail: `DB instance ${spec.instance} was not found in this account/region`,
      };
    if (o.instance.Engine !== 'postgres')
      return {
        status: 'fail',
        check: 'source is PostgreSQL',
        detail: `DB instance ${spec.instance} runs "${o.instance.Engine}", not "postgres"`,
      };
    const id = o.instance.DBInstanceIdentifier;
    results.push({
      status: 'pass',
      check: 'source is an RDS PostgreSQL instance',
      detail: `${id}: postgres ${o.instance.EngineVersion}, ${o.status}; parameter group ${o.currentGroup} (${o.applyStatus})`,
    });

    let groupToChange = group;
    if (foreignCustomGroup(o.currentGroup, group)) {
      const missing = await pendingChanges(ctx.aws, o.currentGroup, spec, ctx.signal);
      if (missing.length === 0 && o.applyStatus === 'in-sync') {
        results.push({
          status: 'warn',
          check: 'parameter group',
          detail: `${id} uses ${o.currentGroup}, not ${group}; ${LOGICAL_REPLICATION} = 1 is already applied there: nothing to do`,
        });
        return results;
      }
      results.push({
        status: 'fail',
        check: 'parameter group',
        detail: `${id} uses its own custom parameter group ${o.currentGroup}; set parameterGroup: ${o.currentGroup} to change it (switching groups would drop its settings)`,
      });
      return results;
    }
    if (!sameName(o.currentGroup, group)) {
      const target = await observeGroup(ctx.aws, group, ctx, ctx.signal);
      if (!target.info) {
        results.push({
          status: 'pass',
          check: 'parameter group',
          detail: `${id} uses default group ${o.currentGroup}; ${group} will be created from its family and associated (applies at the next reboot)`,
        });
        groupToChange = '';
      } else {
        const family = (await findParameterGroup(ctx.aws, o.currentGroup, { signal: ctx.signal }))?.family;
        if (family && target.info.family !== family) {
          results.push({
            status: 'fail',
            check: 'parameter group',
            detail: `${group} is of family ${target.info.family}; ${id} needs ${family}`,
          });
          return results;
        }
        results.push({
          status: 'pass',
          check: 'parameter group',
          detail: `${group} exists${target.ours ? ' (created by this step before)' : ''}; ${id} will be switched to it (applies at the next reboot)`,
        });
      }
    } else {
      results.push({ status: 'pass', check: 'parameter group', detail: `${id} uses ${group}` });
    }

    const changes = groupToChange ? await pendingChanges(ctx.aws, groupToChange, spec, ctx.signal) : [];
    if (groupToChange && changes.length > 0) {
      const others = await otherUsers(ctx.aws, groupToChange, id, ctx.signal);
      if (others.length > 0) {
        results.push(
          spec.shared
            ? {
                status: 'warn',
                check: 'parameter group not shared',
                detail: `${groupToChange} is also used by ${others.join(', ')}: they get the change at their next reboot (shared: true)`,
              }
            : {
                status: 'fail',
                check: 'parameter group not shared',
                detail: `${groupToChange} is also used by ${others.join(', ')}; name a group only ${id} uses, or set shared: true`,
              },
        );
      }
    }
    const needsReboot =
      !groupToChange || changes.length > 0 || !sameName(o.currentGroup, group) || o.applyStatus === 'pending-reboot';
    if (!needsReboot && o.applyStatus === 'in-sync') {
      results.push({
        status: 'pass',
        check: 'logical replication',
        detail: `${LOGICAL_REPLICATION} = 1 is applied on ${id}: nothing to do`,
      });
    } else {
      const switching = !sameName(o.currentGroup, group);
      const what =
        (switching ? `switches ${id} to ${group}` : '') +
        (switching && !groupToChange ? ` with ${LOGICAL_REPLICATION} = 1` : '') +
        (changes.length > 0 ? `${switching ? ', ' : ''}changes ${describeChanges(changes)}` : '') +
        (!switching && changes.length === 0 ? 'finds the change made, waiting for a reboot' : '');
      results.push(
        spec.reboot
          ? {
              status: 'warn',
              check: 'reboot',
              detail: `the step ${what} and reboots ${id}: a short outage of the source (connections are cut)`,
            }
          : {
              status: 'warn',
              check: 'reboot',
              detail: `the step ${what}, then stops with exit 2 until ${id} is rebooted: reboot it in your own window (or set reboot: true), then run apply again`,
            },
      );
    }
    return results;
  });
}
