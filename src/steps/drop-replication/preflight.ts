// drop-replication's read-only checks (plan --preflight): for each named object, whether it is
// there (and so will be dropped) or already gone; a slot that someone reads now, which the run
// would refuse, fails here first, naming the reader; and whether the tool's user may drop what is
// there (the owner of a subscription or publication, or a member of it; REPLICATION, or on RDS
// rds_replication, for a slot). Names not known yet (an earlier step's output) are said so.
import type { DropReplicationSpec } from '../../plan/types.js';
import { connectionUnknown, unknownValue, withReadOnlySession } from '../freeze-writes/preflight.js';
import { slotReader } from '../logical-replica/subscription.js';
import type { CheckResult, PreflightContext } from '../step.js';

type Query = <R>(sql: string, params?: unknown[]) => Promise<R[]>;

const SUBSCRIPTION_SQL =
  'SELECT s.subname AS name, s.subslotname AS slot, pg_has_role(current_user, s.subowner, $2) AS may ' +
  'FROM pg_subscription s WHERE s.subname = $1';
const PUBLICATION_SQL =
  'SELECT p.pubname AS name, pg_has_role(current_user, p.pubowner, $2) AS may FROM pg_publication p WHERE p.pubname = $1';
const SLOT_SQL = 'SELECT slot_name AS name, active, active_pid AS pid FROM pg_replication_slots WHERE slot_name = $1';
/** A slot may be dropped by a superuser, a REPLICATION role, or on RDS a member of rds_replication. */
const MAY_DROP_SLOTS_SQL =
  'SELECT r.rolsuper OR r.rolreplication OR ' +
  "COALESCE((SELECT pg_has_role(current_user, oid, 'MEMBER') FROM pg_roles WHERE rolname = 'rds_replication'), false) AS may " +
  'FROM pg_roles r WHERE r.rolname = current_user';
const GUARD_SQL =
  "SELECT (SELECT count(*) FROM pg_event_trigger WHERE evtname LIKE 'aurora\\_migrate\\_ddl\\_guard%')::int AS triggers";

export async function preflightDrop(spec: DropReplicationSpec, ctx: PreflightContext): Promise<CheckResult[]> {
  const why = connectionUnknown(spec.connection, 'connection');
  if (why) return [{ status: 'warn', check: 'server connection is reachable', detail: `skipped: ${why}` }];
  return withReadOnlySession(ctx, spec.connection, 'connection', 'server connection', async (query) => [
    ...(await eachNamed(spec.subscriptions, 'subscription', (name) => subscriptionCheck(query, name))),
    ...(await eachNamed(spec.publications, 'publication', (name) => publicationCheck(query, name))),
    ...(await eachNamed(spec.slots, 'slot', (name) => slotCheck(query, name))),
    ...(spec.ddlGuard ? await guardCheck(query) : []),
  ]);
}

/** One check per name; a name from a later step's output cannot be looked up yet. */
async function eachNamed(
  names: readonly string[] | undefined,
  kind: string,
  check: (name: string) => Promise<CheckResult>,
): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const name of names ?? []) {
    const unknown = unknownValue(name);
    results.push(
      unknown
        ? {
            status: 'warn',
            check: `${kind} to drop`,
            detail: `skipped: the name is ${unknown}; looked up at apply time`,
          }
        : await check(name),
    );
  }
  return results;
}

const notOwned = (check: string): CheckResult => ({
  status: 'fail',
  check,
  detail: `the tool's user does not own it: grant it the owning role (GRANT <owner> TO <user>), or drop it as its owner`,
});

async function subscriptionCheck(query: Query, name: string): Promise<CheckResult> {
  const check = `subscription ${name}`;
  const [found] = await query<{ slot: string | null; may: boolean }>(SUBSCRIPTION_SQL, [name, 'MEMBER']);
  if (!found) return { status: 'pass', check, detail: 'not there (already dropped, or not made yet): nothing to drop' };
  if (!found.may) return notOwned(check);
  return {
    status: 'pass',
    check,
    detail: `there: it will be dropped${found.slot ? `, and with it slot ${found.slot} on its publisher` : ''}`,
  };
}

async function publicationCheck(query: Query, name: string): Promise<CheckResult> {
  const check = `publication ${name}`;
  const [found] = await query<{ may: boolean }>(PUBLICATION_SQL, [name, 'MEMBER']);
  if (!found) return { status: 'pass', check, detail: 'not there (already dropped, or not made yet): nothing to drop' };
  if (!found.may) return notOwned(check);
  return { status: 'pass', check, detail: 'there: it will be dropped' };
}

async function slotCheck(query: Query, name: string): Promise<CheckResult> {
  const check = `slot ${name}`;
  const [found] = await query<{ active: boolean; pid: number | null }>(SLOT_SQL, [name]);
  if (!found) return { status: 'pass', check, detail: 'not there (already dropped, or not made yet): nothing to drop' };
  if (found.active)
    return {
      status: 'fail',
      check,
      detail: `in use by ${await slotReader({ read: query }, found.pid)}: the run would refuse to drop it. Stop what reads it (or drop its subscription first)`,
    };
  const [role] = await query<{ may: boolean }>(MAY_DROP_SLOTS_SQL);
  if (!role?.may)
    return {
      status: 'fail',
      check,
      detail: `the tool's user may not drop replication slots: GRANT rds_replication TO <user> on RDS and Aurora (REPLICATION on stock PostgreSQL)`,
    };
  return { status: 'pass', check, detail: 'there, not in use: it will be dropped (the WAL it holds is released)' };
}

async function guardCheck(query: Query): Promise<CheckResult[]> {
  const [{ triggers }] = await query<{ triggers: number }>(GUARD_SQL);
  return [
    {
      status: 'pass',
      check: 'DDL guard',
      detail:
        triggers > 0
          ? `${triggers} event trigger(s) there: they and the DDL log will be dropped`
          : 'not there: nothing to drop',
    },
  ];
}
