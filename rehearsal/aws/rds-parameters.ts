// DB parameter groups and DB cluster parameter groups of the RDS stand-in: the parameters it knows
// (a few that the logical route needs, with RDS's defaults, types and apply types), the groups
// (default.<family> ones exist for every family and cannot be modified; custom ones are created),
// and what a group means for a server: its effective values and the settings a real PostgreSQL
// server behind an instance or cluster runs with (rds.logical_replication = 1 → wal_level=logical).
import { RdsFault } from './rds-errors.js';
import type { Tag } from './rds-model.js';

export interface ParameterDef {
  /** RDS's default (Source engine-default). */
  value: string;
  dataType: 'boolean' | 'integer';
  /** RDS's AllowedValues text: "0,1" or "min-max". */
  allowed: string;
  applyType: 'static' | 'dynamic';
  description: string;
}

/** The parameters the stand-in models, the same for postgresNN and aurora-postgresqlNN families. */
export const PARAMETERS: Readonly<Record<string, ParameterDef>> = {
  'rds.logical_replication': {
    value: '0',
    dataType: 'boolean',
    allowed: '0,1',
    applyType: 'static',
    description: 'Enables logical decoding.',
  },
  max_replication_slots: {
    value: '20',
    dataType: 'integer',
    allowed: '5-8388607',
    applyType: 'static',
    description: 'Sets the maximum number of replication slots that the server can support.',
  },
  max_wal_senders: {
    value: '20',
    dataType: 'integer',
    allowed: '5-8388607',
    applyType: 'static',
    description: 'Sets the maximum number of simultaneously running WAL sender processes.',
  },
  max_logical_replication_workers: {
    value: '4',
    dataType: 'integer',
    allowed: '0-262143',
    applyType: 'static',
    description: 'Maximum number of logical replication worker processes.',
  },
  max_worker_processes: {
    value: '8',
    dataType: 'integer',
    allowed: '0-262143',
    applyType: 'static',
    description: 'Maximum number of concurrent worker processes.',
  },
  log_min_duration_statement: {
    value: '-1',
    dataType: 'integer',
    allowed: '-1-2147483647',
    applyType: 'dynamic',
    description: 'Sets the minimum execution time above which statements will be logged.',
  },
};

export interface ParameterGroup {
  name: string;
  arn: string;
  family: string;
  description: string;
  /** A DB cluster parameter group (aurora-postgresqlNN) rather than a DB parameter group. */
  cluster: boolean;
  /** default.<family>: exists for every family, cannot be modified. */
  isDefault: boolean;
  /** Values set by the user (Source user), with their ApplyMethod. */
  values: Record<string, { value: string; applyMethod: 'immediate' | 'pending-reboot' }>;
  tags: Tag[];
}

const DB_FAMILY = /^postgres(1[0-8])$/;
const CLUSTER_FAMILY = /^aurora-postgresql(1[0-8])$/;

export function majorOf(version: string): number {
  return Number(version.split('.')[0]);
}

export const instanceFamily = (engineVersion: string) => `postgres${majorOf(engineVersion)}`;
export const clusterFamily = (engineVersion: string) => `aurora-postgresql${majorOf(engineVersion)}`;
export const defaultGroupName = (family: string) => `default.${family}`;

export function checkFamily(family: unknown, cluster: boolean): string {
  if (typeof family !== 'string' || family === '')
    throw new RdsFault('MissingParameter', 'The request must contain the parameter DBParameterGroupFamily');
  if (!(cluster ? CLUSTER_FAMILY : DB_FAMILY).test(family)) {
    const kind = cluster ? 'DB cluster parameter group' : 'DB parameter group';
    const form = cluster ? 'aurora-postgresqlNN' : 'postgresNN';
    throw new RdsFault(
      'InvalidParameterValue',
      `DBParameterGroupFamily ${family} is not a valid family for a ${kind} (the stand-in models ${form}, NN = 10–18).`,
    );
  }
  return family;
}

/** A parameter's value in a group: the user's, else the engine default. */
export function effectiveValue(group: ParameterGroup, name: string): string {
  return group.values[name]?.value ?? PARAMETERS[name]!.value;
}

/** Checks one Parameters.member of ModifyDB(Cluster)ParameterGroup; returns it normalised. */
export function checkParameter(p: Record<string, unknown>): {
  name: string;
  value: string;
  applyMethod: 'immediate' | 'pending-reboot';
} {
  const name = String(p.ParameterName ?? '');
  const def = PARAMETERS[name];
  if (!def) throw new RdsFault('InvalidParameterValue', `Could not find parameter with name: ${name}`);
  const value = p.ParameterValue === undefined ? undefined : String(p.ParameterValue);
  if (value === undefined) throw new RdsFault('InvalidParameterValue', `A value is required for parameter ${name}.`);
  const applyMethod = p.ApplyMethod === undefined ? undefined : String(p.ApplyMethod);
  if (applyMethod !== 'immediate' && applyMethod !== 'pending-reboot') {
    throw new RdsFault(
      'InvalidParameterValue',
      `The ApplyMethod of parameter ${name} must be immediate or pending-reboot.`,
    );
  }
  if (applyMethod === 'immediate' && def.applyType === 'static') {
    throw new RdsFault('InvalidParameterCombination', `cannot use immediate apply method for static parameter ${name}`);
  }
  if (!allowedValue(def, value))
    throw new RdsFault(
      'InvalidParameterValue',
      `Value: ${value} is outside of range: ${def.allowed} for parameter: ${name}`,
    );
  return { name, value, applyMethod };
}

function allowedValue(def: ParameterDef, value: string): boolean {
  if (def.dataType === 'boolean') return def.allowed.split(',').includes(value);
  if (!/^-?\d+$/.test(value)) return false;
  const m = /^(-?\d+)-(-?\d+)$/.exec(def.allowed);
  return !m || (Number(value) >= Number(m[1]) && Number(value) <= Number(m[2]));
}

/** One entry of DescribeDB(Cluster)Parameters. */
export function parameterShape(group: ParameterGroup, name: string): Record<string, unknown> {
  const def = PARAMETERS[name]!;
  const user = group.values[name];
  return {
    ParameterName: name,
    ParameterValue: user?.value ?? def.value,
    Description: def.description,
    Source: user ? 'user' : 'engine-default',
    ApplyType: def.applyType,
    DataType: def.dataType,
    AllowedValues: def.allowed,
    IsModifiable: true,
    ApplyMethod: user?.applyMethod ?? 'pending-reboot',
  };
}

/** The settings a real server runs with under this group (what a reboot applies). */
export function serverSettings(group: ParameterGroup): Record<string, string> {
  return {
    wal_level: effectiveValue(group, 'rds.logical_replication') === '1' ? 'logical' : 'replica',
    max_replication_slots: effectiveValue(group, 'max_replication_slots'),
    max_wal_senders: effectiveValue(group, 'max_wal_senders'),
    max_logical_replication_workers: effectiveValue(group, 'max_logical_replication_workers'),
    max_worker_processes: effectiveValue(group, 'max_worker_processes'),
  };
}
