// From a step's `connection` (already resolved: ${env.…} replaced) to what the connector needs.
// Validation the schema cannot do (a port given as a string from ${env.PGPORT}) fails with a message
// naming the field.
import type { ConnectionSpec } from '../plan/types.js';
import type { ResolvedConnection } from './api.js';

export function toResolvedConnection(spec: ConnectionSpec, where = 'connection'): ResolvedConnection {
  let port = 5432;
  if (spec.port !== undefined && spec.port !== '') {
    port = typeof spec.port === 'number' ? spec.port : Number(String(spec.port).trim());
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      throw new Error(`${where}.port: ${JSON.stringify(spec.port)} is not a port number (1-65535)`);
    }
  }
  if (!spec.host) throw new Error(`${where}.host is empty`);
  if (!spec.database) throw new Error(`${where}.database is empty`);
  if (!spec.user) throw new Error(`${where}.user is empty`);
  return {
    host: spec.host,
    port,
    database: spec.database,
    user: spec.user,
    password: spec.password === '' ? undefined : spec.password,
    ssl: spec.ssl ?? false,
  };
}

/** "orders@host:5432" for messages (never the password). */
export function describeConnection(conn: Pick<ResolvedConnection, 'host' | 'port' | 'database' | 'user'>): string {
  return `database "${conn.database}" at ${conn.host}:${conn.port} as ${conn.user}`;
}
