// Settings of a logical-replica step with their defaults, and the deterministic names of what it
// creates: one publication, one subscription and one slot per plan and step, so a resume finds them
// by name and never makes a second of the same purpose.
import { createHash } from 'node:crypto';
import type { LogicalReplicaSpec } from '../../plan/types.js';
import { durationMs, parseSize } from '../../plan/units.js';
import { toResolvedConnection } from '../../db/connection.js';
import type { ResolvedConnection } from '../../db/api.js';

export const DEFAULT_MAX_LAG = 16 * 1024 * 1024;

export interface LogicalSettings {
  maxLagBytes: number;
  maxSlotLagBytes?: number;
  stableForMs: number;
  pollEveryMs: number;
  timeoutMs: number;
  onGuardTrip: 'drop-slot' | 'fail';
  schemaMode: 'copy' | 'existing';
}

export function logicalSettings(spec: LogicalReplicaSpec): LogicalSettings {
  return {
    maxLagBytes: (spec.maxLag ? parseSize(spec.maxLag) : undefined) ?? DEFAULT_MAX_LAG,
    maxSlotLagBytes: spec.maxSlotLag ? parseSize(spec.maxSlotLag) : undefined,
    stableForMs: durationMs(spec.stableFor, '1m'),
    pollEveryMs: durationMs(spec.pollEvery, '5s'),
    timeoutMs: durationMs(spec.timeout, '3d'),
    onGuardTrip: spec.onGuardTrip ?? 'drop-slot',
    schemaMode: spec.schema ?? 'copy',
  };
}

/** `aurora_migrate_<plan>_<step>` as a PostgreSQL name: lower case, [a-z0-9_], at most 63 bytes (a hash keeps long ones unique). */
export function replicationName(planName: string, stepId: string): string {
  const raw = `aurora_migrate_${planName}_${stepId}`.toLowerCase().replace(/[^a-z0-9_]/g, '_');
  if (raw.length <= 63) return raw;
  const hash = createHash('sha256').update(raw).digest('hex').slice(0, 8);
  return `${raw.slice(0, 54)}_${hash}`;
}

export interface ReplicationNames {
  publication: string;
  subscription: string;
  slot: string;
}

export const namesOf = (planName: string, stepId: string): ReplicationNames => {
  const name = replicationName(planName, stepId);
  return { publication: name, subscription: name, slot: name };
};

/** The source connection the subscription uses: publisherEndpoint's host/port over the source's. */
export function publisherConnection(spec: LogicalReplicaSpec, source: ResolvedConnection): ResolvedConnection {
  if (!spec.publisherEndpoint) return source;
  const port = spec.publisherEndpoint.port;
  return {
    ...source,
    host: spec.publisherEndpoint.host,
    port: port === undefined || port === '' ? source.port : Number(port),
  };
}

/** A libpq connection-string value, quoted only when it must be (empty, spaces, quotes, backslashes). */
const conninfoValue = (v: string) =>
  v !== '' && !/[\s'\\]/.test(v) ? v : `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/** The subscription's CONNECTION string; `mask` shows the password as *** (event log, dry-run). */
export function conninfo(conn: ResolvedConnection, mask: boolean): string {
  const parts = [
    `host=${conninfoValue(conn.host)}`,
    `port=${conn.port}`,
    `dbname=${conninfoValue(conn.database)}`,
    `user=${conninfoValue(conn.user)}`,
  ];
  if (conn.password) parts.push(`password=${mask ? '***' : conninfoValue(conn.password)}`);
  if (conn.ssl === 'require') parts.push('sslmode=require');
  else if (conn.ssl === true || conn.ssl === 'verify-full') parts.push('sslmode=verify-full');
  parts.push('application_name=aurora-migrate-subscription');
  return parts.join(' ');
}

/** Both connections, with messages that name the field. */
export function connectionsOf(spec: LogicalReplicaSpec): {
  source: ResolvedConnection;
  target: ResolvedConnection;
  guard?: ResolvedConnection;
} {
  return {
    source: toResolvedConnection(spec.source, 'source'),
    target: toResolvedConnection(spec.target, 'target'),
    ...(spec.ddlGuardConnection
      ? { guard: toResolvedConnection({ ...spec.ddlGuardConnection }, 'ddlGuardConnection') }
      : {}),
  };
}

/** "name" with inner quotes doubled. */
export const q = (name: string) => `"${name.replace(/"/g, '""')}"`;
/** A SQL string literal. */
export const lit = (v: string) => `'${v.replace(/'/g, "''")}'`;
