// RDS operations of the stand-in on parameter groups and on applying them to an instance:
// Describe/Create/Modify DB parameter groups and DB cluster parameter groups, DescribeDB(Cluster)
// Parameters, ModifyDBInstance (DBParameterGroupName) and RebootDBInstance. A static change to a
// group an instance uses (or a new group) leaves the instance's ParameterApplyStatus at
// pending-reboot until RebootDBInstance; with a real server behind the instance, the reboot restarts
// it with the group's settings (rds.logical_replication = 1 → wal_level = logical).
import { RdsFault } from './rds-errors.js';
import type { Cluster, Instance, RdsWorld } from './rds-model.js';
import { instanceShape } from './rds-shapes.js';
import { asList, checkIdentifier, parseRdsArn, required, tagsOf } from './rds-rules.js';
import {
  checkFamily,
  checkParameter,
  clusterFamily,
  defaultGroupName,
  instanceFamily,
  PARAMETERS,
  parameterShape,
  serverSettings,
  type ParameterGroup,
} from './rds-parameters.js';

type Params = Record<string, any>;
type Handler = (w: RdsWorld, p: Params) => Record<string, unknown> | Promise<Record<string, unknown>>;

function groupOrFault(w: RdsWorld, name: unknown, cluster: boolean): ParameterGroup {
  const param = cluster ? 'DBClusterParameterGroupName' : 'DBParameterGroupName';
  const text = required(param, name);
  const arn = parseRdsArn(text);
  const group = w.parameterGroup(arn ? arn.id : text, cluster);
  if (!group)
    throw new RdsFault(
      'DBParameterGroupNotFoundFault',
      `${cluster ? 'DBClusterParameterGroup' : 'DBParameterGroup'} not found: ${text}`,
    );
  return group;
}

function dbGroupShape(g: ParameterGroup): Record<string, unknown> {
  return {
    DBParameterGroupName: g.name,
    DBParameterGroupFamily: g.family,
    Description: g.description,
    DBParameterGroupArn: g.arn,
  };
}

function clusterGroupShape(g: ParameterGroup): Record<string, unknown> {
  return {
    DBClusterParameterGroupName: g.name,
    DBParameterGroupFamily: g.family,
    Description: g.description,
    DBClusterParameterGroupArn: g.arn,
  };
}

function createGroup(w: RdsWorld, p: Params, cluster: boolean): ParameterGroup {
  // Parameter group names follow the identifier rules, up to 255 characters.
  const name = checkIdentifier(
    cluster ? 'DBClusterParameterGroupName' : 'DBParameterGroupName',
    cluster ? p.DBClusterParameterGroupName : p.DBParameterGroupName,
    255,
  );
  const family = checkFamily(p.DBParameterGroupFamily, cluster);
  const description = required('Description', p.Description);
  if ((cluster ? w.clusterParameterGroups : w.parameterGroups).has(name)) {
    throw new RdsFault('DBParameterGroupAlreadyExistsFault', `Parameter group ${name} already exists`);
  }
  return w.addParameterGroup({ name, family, cluster, description, tags: tagsOf(p.Tags) });
}

function modifyGroup(w: RdsWorld, p: Params, cluster: boolean): ParameterGroup {
  const group = groupOrFault(w, cluster ? p.DBClusterParameterGroupName : p.DBParameterGroupName, cluster);
  if (group.isDefault) throw new RdsFault('InvalidParameterValue', 'Cannot modify a default parameter group.');
  const list = asList<Record<string, unknown>>(p.Parameters);
  if (list.length === 0) throw new RdsFault('MissingParameter', 'The request must contain the parameter Parameters');
  if (list.length > 20)
    throw new RdsFault('InvalidParameterValue', 'A maximum of 20 parameters can be modified in a single request.');
  const changes = list.map(checkParameter);
  let needsReboot = false;
  let changed = false;
  for (const c of changes) {
    const before = group.values[c.name]?.value ?? PARAMETERS[c.name]!.value;
    group.values[c.name] = { value: c.value, applyMethod: c.applyMethod };
    if (before !== c.value) {
      changed = true;
      if (c.applyMethod === 'pending-reboot') needsReboot = true;
    }
  }
  if (changed && !cluster) {
    for (const i of w.instances.values()) {
      if (i.clusterId || i.parameterGroup !== group.name) continue;
      i.parameterApplyingUntil = w.now() + w.durations.parameterApply;
      if (needsReboot) i.pendingReboot = true;
    }
  }
  return group;
}

function describeParameters(group: ParameterGroup, source: unknown): Array<Record<string, unknown>> {
  const all = Object.keys(PARAMETERS).map((name) => parameterShape(group, name));
  if (source === undefined) return all;
  if (!['user', 'engine-default', 'system'].includes(String(source)))
    throw new RdsFault(
      'InvalidParameterValue',
      `Invalid value for Source: ${source}. Valid values: user, engine-default, system.`,
    );
  return all.filter((x) => x.Source === source);
}

function instanceOrFault(w: RdsWorld, value: unknown): Instance {
  const text = required('DBInstanceIdentifier', value);
  const arn = parseRdsArn(text);
  const i = w.instances.get(arn && arn.resourceType === 'db' ? arn.id : text.toLowerCase());
  if (!i) throw new RdsFault('DBInstanceNotFound', `DBInstance ${text} not found.`);
  return i;
}

/** The DB cluster parameter group CreateDBCluster (or a restore) uses: the named one, or the family's default. */
export function clusterParameterGroupFor(w: RdsWorld, name: unknown, engineVersion: string): ParameterGroup {
  const family = clusterFamily(engineVersion);
  // CreateDBCluster names a missing group DBClusterParameterGroupNotFoundFault (the Describe/Modify
  // operations say DBParameterGroupNotFoundFault for both kinds).
  const group =
    name === undefined ? w.parameterGroup(defaultGroupName(family), true) : w.parameterGroup(String(name), true);
  if (!group && name !== undefined)
    throw new RdsFault('DBClusterParameterGroupNotFoundFault', `DBClusterParameterGroup not found: ${name}`);
  if (!group) throw new RdsFault('InvalidParameterValue', `Cannot find version ${engineVersion} for aurora-postgresql`);
  if (group.family !== family) {
    throw new RdsFault(
      'InvalidParameterCombination',
      `The Parameter Group ${group.name} with DBParameterGroupFamily ${group.family} cannot be used for this instance. Please use a Parameter Group with DBParameterGroupFamily ${family}`,
    );
  }
  return group;
}

export function clusterSettings(w: RdsWorld, c: Cluster): Record<string, string> {
  const group = w.parameterGroup(c.parameterGroup, true);
  return group ? serverSettings(group) : {};
}

export const parameterGroupHandlers: Record<string, Handler> = {
  DescribeDBParameterGroups(w, p) {
    if (p.DBParameterGroupName !== undefined)
      return { DBParameterGroups: [dbGroupShape(groupOrFault(w, p.DBParameterGroupName, false))] };
    return { DBParameterGroups: [...w.parameterGroups.values()].map(dbGroupShape) };
  },

  DescribeDBParameters(w, p) {
    return { Parameters: describeParameters(groupOrFault(w, p.DBParameterGroupName, false), p.Source) };
  },

  CreateDBParameterGroup(w, p) {
    return { DBParameterGroup: dbGroupShape(createGroup(w, p, false)) };
  },

  ModifyDBParameterGroup(w, p) {
    return { DBParameterGroupName: modifyGroup(w, p, false).name };
  },

  DescribeDBClusterParameterGroups(w, p) {
    if (p.DBClusterParameterGroupName !== undefined)
      return { DBClusterParameterGroups: [clusterGroupShape(groupOrFault(w, p.DBClusterParameterGroupName, true))] };
    return { DBClusterParameterGroups: [...w.clusterParameterGroups.values()].map(clusterGroupShape) };
  },

  DescribeDBClusterParameters(w, p) {
    return { Parameters: describeParameters(groupOrFault(w, p.DBClusterParameterGroupName, true), p.Source) };
  },

  CreateDBClusterParameterGroup(w, p) {
    return { DBClusterParameterGroup: clusterGroupShape(createGroup(w, p, true)) };
  },

  ModifyDBClusterParameterGroup(w, p) {
    return { DBClusterParameterGroupName: modifyGroup(w, p, true).name };
  },

  ModifyDBInstance(w, p) {
    const inst = instanceOrFault(w, p.DBInstanceIdentifier);
    const other = Object.keys(p).filter(
      (k) => !['DBInstanceIdentifier', 'DBParameterGroupName', 'ApplyImmediately'].includes(k),
    );
    if (other.length > 0)
      throw new RdsFault(
        'InvalidParameterValue',
        `The stand-in's ModifyDBInstance models DBParameterGroupName only (got ${other.join(', ')}).`,
      );
    if (p.DBParameterGroupName === undefined) return { DBInstance: instanceShape(w, inst) };
    if (inst.clusterId)
      throw new RdsFault(
        'InvalidParameterCombination',
        `The instance ${inst.id} is part of Aurora cluster ${inst.clusterId}; the stand-in models DB parameter groups of RDS instances only.`,
      );
    const status = w.instanceStatus(inst);
    if (status !== 'available')
      throw new RdsFault(
        'InvalidDBInstanceState',
        `Database instance is not in available state (${inst.id} is ${status}).`,
      );
    const group = groupOrFault(w, p.DBParameterGroupName, false);
    const family = instanceFamily(inst.engineVersion);
    if (group.family !== family) {
      throw new RdsFault(
        'InvalidParameterCombination',
        `The parameter group ${group.name} with DBParameterGroupFamily ${group.family} can't be used for this instance. Use a parameter group with DBParameterGroupFamily ${family}.`,
      );
    }
    if (group.name !== inst.parameterGroup) {
      // The group is associated at once; its values take effect at the next reboot.
      inst.parameterGroup = group.name;
      inst.modifyUntil = w.now() + w.durations.instanceModify;
      inst.parameterApplyingUntil = inst.modifyUntil;
      inst.pendingReboot = true;
    }
    return { DBInstance: instanceShape(w, inst) };
  },

  RebootDBInstance(w, p) {
    const inst = instanceOrFault(w, p.DBInstanceIdentifier);
    if (String(p.ForceFailover ?? 'false') === 'true')
      throw new RdsFault(
        'InvalidParameterCombination',
        `Reboot with failover is not supported for single-AZ instance ${inst.id}.`,
      );
    const status = w.instanceStatus(inst);
    if (status !== 'available')
      throw new RdsFault('InvalidDBInstanceState', `Instance ${inst.id} is not currently in the available state.`);
    inst.rebootUntil = w.now() + w.durations.reboot;
    inst.pendingReboot = false;
    inst.parameterApplyingUntil = undefined;
    w.addEvent({
      sourceId: inst.id,
      sourceType: 'db-instance',
      sourceArn: inst.arn,
      message: 'DB instance restarted',
      categories: ['availability'],
    });
    const group = inst.clusterId ? undefined : w.parameterGroup(inst.parameterGroup, false);
    if (group) w.backing?.instanceRebooted(inst, serverSettings(group));
    return { DBInstance: instanceShape(w, inst) };
  },
};
