// The logical-replica step the tests run: the world's master users, the harness superuser only for
// the DDL guard's event trigger, short polls.
import type { LogicalWorld } from './world.js';

export const conn = (c: LogicalWorld['sourceMaster']) => ({
  host: c.host,
  port: c.port,
  database: c.database,
  user: c.user,
  ...(c.password ? { password: c.password } : {}),
});

export const stepSpec = (world: LogicalWorld, extra: Record<string, unknown> = {}) => ({
  id: 'replicate',
  type: 'logical-replica',
  source: conn(world.sourceMaster),
  target: conn(world.targetMaster),
  ddlGuardConnection: conn(world.sourceAdmin),
  schemas: ['public'],
  rolePasswords: { app: 'app-target-password' },
  replicaIdentityFull: ['public.audit_log'],
  maxLag: '1MiB',
  stableFor: '2s',
  pollEvery: '1s',
  timeout: '10m',
  ...extra,
});
