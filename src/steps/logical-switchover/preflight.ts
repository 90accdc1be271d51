// Read-only checks of logical-switchover (plan --preflight): the target is usually created by an
// earlier step, so each check runs only when its connection is known now. Target: the subscription
// (when its name is known), the right to setval each sequence and refresh each materialized view
// (ownership through role membership), and for reversePublication wal_level = logical and the right
// to create a slot. Source: every login role that can connect there must be in rolePasswords or
// rolesReady (the run checks again, against the ACL recorded before the fence).
import type { ResolvedConnection } from '../../db/api.js';
import { toResolvedConnection } from '../../db/connection.js';
import { withSession } from '../../db/with-session.js';
import type { ConnectionSpec, LogicalSwitchoverSpec } from '../../plan/types.js';
import { known } from '../preflight-helpers.js';
import type { CheckResult, PreflightContext } from '../step.js';
import { reverseProblem } from './reverse.js';
import { rolesThatConnect } from './roles-check.js';
import { SUBSCRIPTION_SQL } from './run.js';

/** Sequences and materialized views of the target the tool's user may not setval / refresh (not a member of their owner). */
export const OWNERSHIP_GAPS_SQL = `SELECT format('%I.%I', n.nspname, c.relname) AS name, pg_get_userbyid(c.relowner) AS owner, c.relkind::text AS kind
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('S', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'aurora_migrate') AND n.nspname NOT LIKE 'pg\\_%'
   AND NOT pg_has_role(c.relowner, 'USAGE') AND NOT (c.relkind = 'S' AND has_sequence_privilege(c.oid, 'UPDATE'))
 ORDER BY 1`;

const allKnown = (c: ConnectionSpec) =>
  [c.host, c.user, c.database, String(c.port ?? '5432'), c.password ?? 'none'].every(known);

/** A session for read-only checks, its rows only. */
const withReader = <T>(
  ctx: PreflightContext,
  conn: ResolvedConnection,
  fn: (read: <R>(sql: string, params?: unknown[]) => Promise<R[]>) => Promise<T>,
): Promise<T> =>
  withSession(ctx.db, conn, { signal: ctx.signal, statementTimeoutMs: 15_000 }, (session) =>
    fn(async (sql, params) => (await session.query(sql, params)).rows as never),
  );

export async function switchoverPreflight(spec: LogicalSwitchoverSpec, ctx: PreflightContext): Promise<CheckResult[]> {
  const roles = allKnown(spec.source)
    ? await rolesCheck(spec, ctx)
    : [
        {
          status: 'warn' as const,
          check: 'roles that connect to the source',
          detail: 'skipped: the source connection is known only after an earlier step has run',
        },
      ];
  return [...roles, ...(await targetChecks(spec, ctx))];
}

/** Every login role that can connect to the source now must be in rolePasswords or rolesReady (the step checks again against the ACL before the fence). */
async function rolesCheck(spec: LogicalSwitchoverSpec, ctx: PreflightContext): Promise<CheckResult[]> {
  const check = 'roles that connect to the source';
  try {
    const source = toResolvedConnection(spec.source, 'source');
    const target = { user: String(spec.target.user) };
    const needed = await withReader(ctx, source, (read) =>
      rolesThatConnect({ read } as never, source.database, undefined, [source.user, target.user]),
    );
    const known = new Set([...Object.keys(spec.rolePasswords ?? {}), ...(spec.rolesReady ?? [])]);
    const missing = needed.filter((r) => !known.has(r));
    if (missing.length) {
      return [
        {
          status: 'fail',
          check,
          detail: `${missing.join(', ')} can connect to ${source.database} but ${missing.length > 1 ? 'are' : 'is'} in neither rolePasswords nor rolesReady: the switchover would stop (and roll back) because ${missing.length > 1 ? 'they' : 'it'} could not be proven to log in to the target. Add each to rolePasswords (\${env.…}) or rolesReady`,
        },
      ];
    }
    return [
      {
        status: 'pass',
        check,
        detail: needed.length
          ? `${needed.join(', ')}: each in rolePasswords or rolesReady`
          : "no login role besides the tool's own",
      },
    ];
  } catch (err) {
    return [{ status: 'fail', check, detail: `could not check: ${(err as Error).message}` }];
  }
}

async function targetChecks(spec: LogicalSwitchoverSpec, ctx: PreflightContext): Promise<CheckResult[]> {
  if (!allKnown(spec.target))
    return [
      {
        status: 'warn',
        check: 'target checks',
        detail:
          'skipped: the target connection is known only after an earlier step has run (apply checks it when the step starts)',
      },
    ];
  let target: ResolvedConnection;
  try {
    target = toResolvedConnection(spec.target, 'target');
  } catch (err) {
    return [{ status: 'fail', check: 'connections', detail: (err as Error).message }];
  }
  const results: CheckResult[] = [];
  try {
    await withReader(ctx, target, async (read) => {
      if (known(spec.subscription)) {
        const [sub] = await read<{ enabled: boolean }>(SUBSCRIPTION_SQL, [spec.subscription]);
        results.push(
          sub
            ? {
                status: sub.enabled ? 'pass' : 'fail',
                check: 'subscription',
                detail: sub.enabled
                  ? `${spec.subscription} exists and is enabled`
                  : `${spec.subscription} is disabled: the target cannot catch up`,
              }
            : {
                status: 'warn',
                check: 'subscription',
                detail: `${spec.subscription} does not exist yet (the logical-replica step creates it)`,
              },
        );
      }
      const gaps = await read<{ name: string; owner: string; kind: string }>(OWNERSHIP_GAPS_SQL);
      const owners = [...new Set(gaps.map((g) => g.owner))];
      results.push(
        gaps.length
          ? {
              status: 'fail',
              check: 'setval and REFRESH on the target',
              detail: `${target.user} may not setval or refresh ${gaps.map((g) => g.name).join(', ')}; run on the target: ${owners.map((o) => `GRANT ${o} TO ${target.user}`).join('; ')}`,
            }
          : {
              status: 'pass',
              check: 'setval and REFRESH on the target',
              detail: `${target.user} may set every sequence and refresh every materialized view`,
            },
      );
      if (spec.reversePublication) {
        const problem = await reverseProblem({ read, conn: target } as never);
        results.push(
          problem
            ? { status: 'fail', check: 'reverse publication', detail: problem }
            : {
                status: 'pass',
                check: 'reverse publication',
                detail: "the target has wal_level = logical and the tool's user may create the slot",
              },
        );
      }
    });
  } catch (err) {
    results.push({ status: 'fail', check: 'target reachable', detail: (err as Error).message });
  }
  return results;
}
