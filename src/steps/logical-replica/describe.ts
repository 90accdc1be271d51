// Dry-run of logical-replica: every external command with its arguments, every SQL statement (the
// subscription's password as ***), the waits, and what is refused before anything is created.
import type { ResolvedConnection } from '../../db/api.js';
import type { ConnectionSpec, LogicalReplicaSpec } from '../../plan/types.js';
import { formatBytes, formatDuration } from '../../plan/units.js';
import { MARKER_SETUP_SQL } from '../promote/caught-up.js';
import type { DescribeEnv, PlannedAction } from '../step.js';
import { parseTableName, quoteIdent } from '../verify-data/names.js';
import { LARGE_OBJECTS_SQL, TABLES_SQL } from './catalog.js';
import { dumpArgs, describeCommand } from './dump.js';
import { CREATE_GUARD_SQL, GUARD_SETUP_SQL } from './ddl-guard.js';
import { guardQueries, cloudWatchGuards } from './guards.js';
import { COPY_PROGRESS_SQL, SUBSCRIPTION_TABLES_SQL } from './progress.js';
import { ROLES_ARGS } from './roles.js';
import { logicalSettings, namesOf, publisherConnection } from './spec.js';
import { SLOTS_SQL, createSubscriptionSql } from './subscription.js';
import { CLOUDWATCH_EVERY_MS } from './waits.js';
import { describeGuard } from '../../rds/guards.js';
import { metricDataParams } from '../../rds/metrics.js';

/** A connection as the review shows it: placeholders kept, the password masked. */
function shown(c: ConnectionSpec): ResolvedConnection {
  return {
    host: String(c.host),
    port: (c.port ?? 5432) as number,
    database: String(c.database),
    user: String(c.user),
    ...(c.password ? { password: '***' } : {}),
    ssl: c.ssl,
  };
}

export function describeLogicalReplica(spec: LogicalReplicaSpec, env: DescribeEnv): PlannedAction[] {
  const s = logicalSettings(spec);
  const names = namesOf(env.planName, env.stepId);
  const source = shown(spec.source);
  const target = shown(spec.target);
  const selection = spec.schemas?.length
    ? spec.schemas.map((x) => `--schema=${quoteIdent(x)}`)
    : (spec.tables ?? []).map((t) => `--table=${safeTable(t)}`);
  const psql = describeCommand('psql', target, ['-X', '-q', '-v', 'ON_ERROR_STOP=0', '-d', target.database, '-f', '-']);
  const full = spec.replicaIdentityFull;
  const guards = cloudWatchGuards(spec, env.stepId);
  const copy = s.schemaMode === 'copy';
  const actions: PlannedAction[] = [
    {
      kind: 'sql',
      sql: TABLES_SQL,
      params: ['<schemas>', '<table schemas>', '<table names>'],
      note: 'on the source: the tables to publish, their owners and replica identity',
    },
    {
      kind: 'check',
      description:
        'refused before anything is created: a table without a primary key or replica identity (UPDATE/DELETE would fail on production once published) unless replicaIdentityFull opts it in; large objects unless largeObjects: skip',
    },
    { kind: 'sql', sql: LARGE_OBJECTS_SQL, note: 'on the source' },
    {
      kind: 'sql',
      sql: MARKER_SETUP_SQL.join(';\n'),
      note: "on the source and on the target: the marker table (the switchover's proof)",
    },
    {
      kind: 'sql',
      sql: [...GUARD_SETUP_SQL, ...CREATE_GUARD_SQL].join(';\n'),
      note: `on the source${spec.ddlGuardConnection ? ` (as ${spec.ddlGuardConnection.user}, ddlGuardConnection)` : ''}: the DDL guard, logging DDL into aurora_migrate.ddl_log`,
    },
  ];
  if (copy) {
    actions.push(
      {
        kind: 'sql',
        sql: `CREATE DATABASE "${target.database}"`,
        note: 'on the target, only when the database is missing',
      },
      {
        kind: 'check',
        description: `command: ${describeCommand('pg_dumpall', source, [...ROLES_ARGS, '-l', source.database])}`,
      },
      {
        kind: 'sql',
        sql: 'CREATE ROLE "<role>" WITH <LOGIN|NOLOGIN> …; GRANT "<role>" TO "<member>"; ALTER ROLE "<role>" SET …',
        note: "on the target, for each source role it lacks (not rds*, pg_* or superusers); the tool's user then joins each role that owns a replicated table",
      },
      ...Object.keys(spec.rolePasswords ?? {}).map(
        (r): PlannedAction => ({
          kind: 'sql',
          sql: `ALTER ROLE "${r}" PASSWORD ***`,
          note: 'on the target (from rolePasswords; never logged)',
        }),
      ),
      ...(spec.schemas?.length
        ? []
        : [
            {
              kind: 'check',
              description: `command: ${describeCommand('pg_dump', source, dumpArgs(source, 'pre-data', ["--schema=<each listed table's schema>"]))}, the schemas' own definitions and privileges only`,
            } as PlannedAction,
          ]),
      {
        kind: 'check',
        description: `command: ${describeCommand('pg_dump', source, dumpArgs(source, 'pre-data', selection))} | ${psql}`,
      },
      {
        kind: 'check',
        description: `command: ${describeCommand('pg_dump', source, dumpArgs(source, 'post-data', selection))} (beside the pre-data copy; kept for after the copy), its primary keys and replica-identity indexes only | ${psql}`,
      },
    );
  } else {
    actions.push({
      kind: 'check',
      description: "schema: existing — the target must have every published table with the source's columns",
    });
  }
  if (full)
    actions.push({
      kind: 'sql',
      sql:
        full === true
          ? 'ALTER TABLE <each table without a key> REPLICA IDENTITY FULL'
          : full.map((t) => `ALTER TABLE ${safeTable(t)} REPLICA IDENTITY FULL`).join(';\n'),
      note: 'on the source (PRODUCTION), lock_timeout 2s, retried: each UPDATE/DELETE then logs the whole old row',
    });
  actions.push(
    {
      kind: 'sql',
      sql: `CREATE PUBLICATION "${names.publication}" FOR TABLE <the tables>, "aurora_migrate"."cutover_marker" WITH (publish_via_partition_root = true)`,
      note: 'on the source, lock_timeout 2s, retried; adopted when it exists (unlogged and foreign tables left out)',
    },
    {
      kind: 'sql',
      sql: createSubscriptionSql(names, safePublisher(spec, source), true),
      note: 'on the target; adopted when it exists (a slot of that name nobody reads is dropped first)',
    },
    {
      kind: 'wait',
      for: `every table of ${names.subscription} ready (pg_subscription_rel state r), with rows copied per table`,
      timeoutMs: s.timeoutMs,
      pollEveryMs: s.pollEveryMs,
      note: `${SUBSCRIPTION_TABLES_SQL}\n${COPY_PROGRESS_SQL}`,
    },
  );
  if (copy)
    actions.push({
      kind: 'check',
      description: `the post-data dump taken before the copy (dumped again only when a later run resumes here), all but the keys | ${psql} (indexes, foreign keys, materialized view data)`,
    });
  actions.push({
    kind: 'wait',
    for: `slot ${names.slot} lag at or under ${formatBytes(s.maxLagBytes)} for ${formatDuration(s.stableForMs)}`,
    timeoutMs: s.timeoutMs,
    pollEveryMs: s.pollEveryMs,
    note: SLOTS_SQL,
  });
  const guardText = [
    ...guards.map(describeGuard),
    ...(s.maxSlotLagBytes !== undefined
      ? [`slot ${names.slot} keeping more than ${formatBytes(s.maxSlotLagBytes)} of WAL`]
      : []),
    'DDL on the source (aurora_migrate.ddl_log)',
  ];
  actions.push({
    kind: 'check',
    description: `guards every poll: ${guardText.join('; ')}; on a trip ${s.onGuardTrip === 'drop-slot' ? `(onGuardTrip: drop-slot) DROP SUBSCRIPTION "${names.subscription}" on the target, which drops slot ${names.slot} on the source (DDL: stops, keeping both)` : '(onGuardTrip: fail) stop, keeping the subscription and its slot'}`,
  });
  if (guards.length)
    actions.push({
      kind: 'aws',
      service: 'cloudwatch',
      operation: 'GetMetricData',
      params: { ...metricDataParams(guardQueries(guards), 0, 0), StartTime: '<now - 10m>', EndTime: '<now>' },
      note: `every ${formatDuration(Math.max(s.pollEveryMs, CLOUDWATCH_EVERY_MS))} (1-minute metrics), with the SQL guards every ${formatDuration(s.pollEveryMs)}`,
    });
  return actions;
}

function safeTable(t: string): string {
  try {
    const n = parseTableName(t);
    return `${quoteIdent(n.schema)}.${quoteIdent(n.table)}`;
  } catch {
    return t;
  }
}

function safePublisher(spec: LogicalReplicaSpec, source: ResolvedConnection): ResolvedConnection {
  const p = publisherConnection({ ...spec, publisherEndpoint: undefined }, source);
  if (!spec.publisherEndpoint) return p;
  return {
    ...p,
    host: String(spec.publisherEndpoint.host),
    port: (spec.publisherEndpoint.port ?? source.port) as number,
  };
}
