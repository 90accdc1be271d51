// Dry-run of logical-switchover: every statement, in order, on which side; passwords as ***.
import type { LogicalSwitchoverSpec } from '../../plan/types.js';
import { MARKER_INSERT_SQL, MARKER_SEEN_SQL, MARKER_SETUP_SQL } from '../promote/caught-up.js';
import type { DescribeEnv, PlannedAction } from '../step.js';
import { OWN_SESSION_WRITABLE_SQL } from '../freeze-writes/sql.js';
import { COMMIT_LSN_SQL, SLOT_CONFIRMED_SQL, SWITCHOVER_POLL_MS } from './caught-up.js';
import {
  CREATE_SLOT_SQL,
  DROP_SLOT_SQL,
  KEYLESS_PUBLISHED_SQL,
  SLOT_PRIVILEGE_SQL,
  SUBSCRIBED_TABLES_SQL,
  WAL_LEVEL_SQL,
} from './reverse.js';
import { SOURCE_LOGIN_ROLES_SQL, TARGET_ROLES_SQL } from './roles-check.js';
import { MATVIEWS_SQL, PUBLISHED_SCHEMAS_SQL, SUBSCRIPTION_SQL, reverseName } from './run.js';
import { SEQUENCES_SQL, SETVAL_SQL, TARGET_SEQUENCES_SQL, readSequenceSql } from './sequences.js';

export function describeSwitchover(spec: LogicalSwitchoverSpec, env: DescribeEnv): PlannedAction[] {
  const sub = `"${spec.subscription.replace(/"/g, '""')}"`;
  const reverse = reverseName(env.planName, env.stepId);
  const margin = spec.sequenceMargin ?? 0;
  const windowMs = env.cutover?.windowMs ?? 5 * 60_000;
  const actions: PlannedAction[] = [
    {
      kind: 'sql',
      sql: SUBSCRIPTION_SQL,
      params: [spec.subscription],
      note: 'on the target: the subscription, its slot and publications (it must be enabled)',
    },
    ...(spec.reversePublication
      ? [
          {
            kind: 'sql',
            sql: `${WAL_LEVEL_SQL};\n${SLOT_PRIVILEGE_SQL}`,
            note: 'on the target, before anything: wal_level = logical and the right to create a slot, else stop (rolled back)',
          } as PlannedAction,
        ]
      : []),
    {
      kind: 'sql',
      sql: PUBLISHED_SCHEMAS_SQL,
      params: ["<the subscription's publications>"],
      note: 'on the source: the replicated schemas',
    },
    {
      kind: 'sql',
      sql: ['BEGIN READ WRITE', ...MARKER_SETUP_SQL, MARKER_INSERT_SQL, 'COMMIT', COMMIT_LSN_SQL].join(';\n'),
      params: ['<run id>', '<random token>'],
      note: `on the frozen source (${spec.source.database}): the cutover marker`,
    },
    {
      kind: 'wait',
      for: "the marker on the target AND the subscription's slot confirmed at or past the marker's commit; at the window's deadline: roll back",
      timeoutMs: windowMs,
      pollEveryMs: SWITCHOVER_POLL_MS,
      note: `${MARKER_SEEN_SQL} (target)\n${SLOT_CONFIRMED_SQL} (source)`,
    },
    {
      kind: 'sql',
      sql: `${SEQUENCES_SQL};\n${readSequenceSql('<each sequence>')}`,
      note: 'on the source: every sequence of the replicated schemas, read from the sequence itself (is_called too)',
    },
    {
      kind: 'sql',
      sql: OWN_SESSION_WRITABLE_SQL,
      note: "on the target, first in each of the tool's sessions that change it: where a fence left default_transaction_read_only = on (the old source, in a fallback) setval, REFRESH, ALTER SUBSCRIPTION and ALTER ROLE would be refused; the fence stays for applications",
    },
    {
      kind: 'sql',
      sql: `${TARGET_SEQUENCES_SQL};\n${SETVAL_SQL}`,
      params: [
        '<sequence>',
        `<source last_value ${margin ? `± ${margin} in the sequence's direction` : ''}>`.replace(' >', '>'),
        '<is_called>',
      ],
      note: 'on the target, for each sequence; one that is missing or would pass its bounds fails the step before any is set',
    },
    {
      kind: 'sql',
      sql: `${MATVIEWS_SQL};\nREFRESH MATERIALIZED VIEW <each>`,
      note: 'on the target: materialized views are not replicated',
    },
    { kind: 'sql', sql: `ALTER SUBSCRIPTION ${sub} DISABLE`, note: 'on the target (when enabled)' },
    {
      kind: 'sql',
      sql: SOURCE_LOGIN_ROLES_SQL,
      params: [spec.source.database, '<the ACL the freeze recorded>', true],
      note: "on the source: the login roles that could connect before the fence (the tool's users, superusers and rds*/pg_* roles left out)",
    },
    ...Object.keys(spec.rolePasswords ?? {}).map(
      (r): PlannedAction => ({
        kind: 'sql',
        sql: `ALTER ROLE "${r}" PASSWORD ***`,
        note: 'on the target (rolePasswords; a SCRAM verifier, never logged)',
      }),
    ),
    {
      kind: 'sql',
      sql: TARGET_ROLES_SQL,
      params: ['<those roles>'],
      note: `on the target: each must exist with LOGIN and be in rolePasswords or rolesReady${spec.rolesReady?.length ? ` (${spec.rolesReady.join(', ')})` : ''}; else stop, naming them (rolled back)`,
    },
  ];
  if (spec.reversePublication) {
    actions.push(
      {
        kind: 'sql',
        sql: `${SUBSCRIBED_TABLES_SQL};\nCREATE PUBLICATION "${reverse}" FOR TABLE <those tables> WITH (publish_via_partition_root = true)`,
        params: ['<subscription oid>'],
        note: 'on the target, unless it exists: the reverse publication',
      },
      {
        kind: 'sql',
        sql: `${KEYLESS_PUBLISHED_SQL};\nALTER TABLE <each> REPLICA IDENTITY FULL`,
        params: [reverse],
        note: 'on the target: each published table without a primary key or replica identity (e.g. one the source has with replicaIdentityFull) gets REPLICA IDENTITY FULL there, else UPDATE and DELETE on it would fail on the target after the switch',
      },
      {
        kind: 'sql',
        sql: CREATE_SLOT_SQL,
        params: [reverse],
        note: 'on the target, unless it exists: the reverse slot (keeps every write made on the target after the switch for the old source; its WAL stays on the target until reverse-replication reads it)',
      },
    );
  }
  actions.push({
    kind: 'check',
    description: `not irreversible: a rollback before the point of no return runs ${spec.reversePublication ? `${DROP_SLOT_SQL} ('${reverse}'); DROP PUBLICATION "${reverse}"; ` : ''}ALTER SUBSCRIPTION ${sub} ENABLE on the target, then the freeze's undo. Copied sequences and refreshed views stay as set`,
  });
  return actions;
}
