// Step type "freeze-writes": takes the application's writes away from the source databases for the
// cutover (docs/cutover.md "The fence"). By default a fence: CONNECT is
// taken from every role but the kept ones and read back, the databases' default becomes read-only,
// the other sessions are terminated, open write transactions drained; the step opens the cutover
// window. `undo` puts the previous privileges and settings back (the engine calls it on a
// rollback); `lastCheck` runs right before the point of no return.
import type { DescribeEnv, PlannedAction, StepModule } from '../step.js';
import type { FreezeWritesSpec } from './spec.js';
import { TERMINATE_SQL, WAL_LSN_SQL, WRITERS_SQL, databaseNameProblem, freezeSql, restoreSql } from './sql.js';
import {
  DEFAULT_SLOT_MAX_LAG,
  DEFAULT_SLOT_WAIT,
  DRAIN_POLL_MS,
  SLOT_LAG_SQL,
  drainMs,
  fenceMode,
  heldAfter,
  lastCheck,
  runFreeze,
  undoFreeze,
  windowMs,
} from './run-freeze.js';
import { durationMs } from '../../plan/units.js';
import {
  CAN_CONNECT_SQL,
  DATABASES_BEFORE_SQL,
  FENCE_RECORD_SETUP_SQL,
  FENCE_RECORD_UPSERT_SQL,
  RDS_SYSTEM_ROLES,
  grantConnectSql,
  revokeConnectSql,
} from './fence.js';
import { freezeWritesPreflight } from './preflight.js';

export type { FreezeWritesSpec } from './spec.js';
export { undoFreeze } from './run-freeze.js';

export const FREEZE_OUTPUTS = [
  'frozenAt',
  'windowEndsAt',
  'sourceLsn',
  'previousSettings',
  'fence',
  'keptRoles',
  'revokedFrom',
] as const;

/** What a read-only fence does not stop, for the dry-run and the docs. */
export const READ_ONLY_GAPS =
  'fence: read-only does NOT stop a session that runs BEGIN READ WRITE, SET default_transaction_read_only = off, SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE, ' +
  "or connects with PGOPTIONS='-c default_transaction_read_only=off': applications reconnect at once after being terminated, and such writes would not be on the target";

/** The kept roles as the dry-run can know them: the window's connection users (display form), RDS's roles, allowRoles. */
export function keptRolesForReview(spec: FreezeWritesSpec, env: Pick<DescribeEnv, 'windowUsers'>): string[] {
  return [
    ...new Set([spec.connection.user, ...(env.windowUsers ?? []), ...RDS_SYSTEM_ROLES, ...(spec.allowRoles ?? [])]),
  ];
}

export function describeFreeze(spec: FreezeWritesSpec, env: Pick<DescribeEnv, 'windowUsers'> = {}): PlannedAction[] {
  const dbs = [...new Set(spec.databases)];
  const safe = dbs.filter((d) => !databaseNameProblem(d));
  const mode = fenceMode(spec);
  const kept = keptRolesForReview(spec, env);
  const fence: PlannedAction[] =
    mode === 'connections'
      ? [
          ...safe.flatMap((d): PlannedAction[] => [
            {
              kind: 'sql',
              sql: kept
                .map((r) => safeSql(() => grantConnectSql(d, r), `GRANT CONNECT ON DATABASE ${d} TO ${r}`))
                .join(';\n'),
              note: `kept roles keep CONNECT (${RDS_SYSTEM_ROLES.join(', ')} only where they exist)`,
            },
            {
              kind: 'sql',
              sql: revokeConnectSql(d, 'PUBLIC'),
              note: 'and the same from every other role holding CONNECT on it, except the database owner',
            },
          ]),
          {
            kind: 'sql',
            sql: CAN_CONNECT_SQL,
            params: [dbs, kept],
            note: 'read back: if PUBLIC or any login role that is not kept (and not a superuser) can still connect, undo and fail',
          },
        ]
      : [{ kind: 'check', description: READ_ONLY_GAPS }];
  const wait: PlannedAction[] = spec.waitForSlot
    ? [
        {
          kind: 'wait',
          for: `replication slot ${spec.waitForSlot.slot} to be at most ${spec.waitForSlot.maxLag ?? DEFAULT_SLOT_MAX_LAG} behind, before anything changes (no window open yet)`,
          timeoutMs: durationMs(spec.timeout, DEFAULT_SLOT_WAIT),
          pollEveryMs: 1_000,
          note: SLOT_LAG_SQL,
        },
      ]
    : [];
  return [
    ...wait,
    {
      kind: 'sql',
      sql: DATABASES_BEFORE_SQL,
      params: [dbs],
      note: "remember each database's owner, ACL and read-only setting (kept in the state for the rollback)",
    },
    {
      kind: 'sql',
      sql: [...FENCE_RECORD_SETUP_SQL, FENCE_RECORD_UPSERT_SQL].join(';\n'),
      note: `record them on the server too (aurora_migrate.fence in database ${spec.connection.database}), so a later plan can lift the fence`,
    },
    ...fence,
    ...safe.map((d): PlannedAction => ({ kind: 'sql', sql: freezeSql(d), note: 'new sessions start read-only' })),
    {
      kind: 'sql',
      sql: TERMINATE_SQL,
      params: [dbs, false, mode === 'connections' ? kept : null],
      note:
        mode === 'connections'
          ? "terminate the other sessions on these databases (never rdsadmin's, never our own); fenced roles cannot reconnect"
          : "terminate the other sessions on these databases (never rdsadmin's, never our own)",
    },
    {
      kind: 'wait',
      for: 'no session on these databases with an open write transaction (backend_xid)',
      timeoutMs: drainMs(spec),
      pollEveryMs: DRAIN_POLL_MS,
      note: WRITERS_SQL,
    },
    { kind: 'sql', sql: WAL_LSN_SQL, note: 'the source WAL position at the freeze' },
    {
      kind: 'check',
      description:
        `cutover window opens: deadline ${Math.round(windowMs(spec) / 1000)}s after the freeze; before the point of no return a failure, an interrupt or the deadline undoes the freeze: ` +
        `${safe.map((d) => restoreSql(d, null)).join('; ')} (or the previous value)${mode === 'connections' ? ', CONNECT privileges as recorded, the record removed' : ''}`,
    },
  ];
}

function safeSql(build: () => string, fallback: string): string {
  try {
    return build();
  } catch {
    return fallback;
  }
}

export const freezeWrites: StepModule<FreezeWritesSpec> = {
  type: 'freeze-writes',
  outputs: FREEZE_OUTPUTS,
  opensCutoverWindow: true,
  confirmation: (spec) =>
    `starts the cutover window now: writes to ${spec.databases.join(', ')} stop` +
    (fenceMode(spec) === 'connections' ? ' and the applications lose CONNECT there (reads stop too)' : '') +
    `, until the switch or a rollback (window ${spec.window ?? '5m'}).`,
  describe: (spec, env) => describeFreeze(spec, env),
  preflight: freezeWritesPreflight,
  run: (spec, ctx) => runFreeze(spec, ctx),
  undo: (spec, ctx) => undoFreeze(spec, ctx),
  lastCheck: (spec, ctx) => lastCheck(spec, ctx),
  heldAfter: (spec, checkpoint) => heldAfter(spec, checkpoint),
};
