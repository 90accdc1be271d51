// Step type "lift-fence" (docs/cutover.md "Lifting a fence"): restores what a freeze-writes fence
// recorded on a server (aurora_migrate.fence in the connection's database) for the listed databases
// — each one's read-only setting and CONNECT privileges as they were before the fence — then removes
// the record. Nothing to do when there is no record. The logical route's fallback plan runs it on
// the old source; after a forward cutover it gives the old source back to its applications.
import { describeConnection, toResolvedConnection } from '../../db/connection.js';
import { withSession } from '../../db/with-session.js';
import { Interrupted, StepFailed } from '../../errors.js';
import type { LiftFenceSpec } from '../../plan/types.js';
import type { CheckResult, PlannedAction, PreflightContext, StepContext, StepModule } from '../step.js';
import {
  FENCE_RECORD_DELETE_SQL,
  FENCE_RECORD_READ_SQL,
  FENCE_TABLE_PRESENT_SQL,
  liftFence,
  type Sql,
} from '../freeze-writes/fence.js';
import { OWN_SESSION_WRITABLE_SQL } from '../freeze-writes/sql.js';
import { connectionUnknown, withReadOnlySession } from '../freeze-writes/preflight.js';

const OUTPUTS = ['lifted', 'liftedAt'] as const;

/** Who recorded the fences there now, for the preflight and the message when nothing is recorded. */
const RECORDS_SQL =
  'SELECT datname, plan, step, run_id, fenced_at::text AS fenced_at FROM aurora_migrate.fence WHERE datname = ANY($1::text[]) ORDER BY 1';

function describeLift(spec: LiftFenceSpec): PlannedAction[] {
  const dbs = [...new Set(spec.databases)];
  return [
    {
      kind: 'sql',
      sql: FENCE_TABLE_PRESENT_SQL,
      note: `in database ${spec.connection.database}: is there a fence record at all (none: nothing to do)`,
    },
    {
      kind: 'sql',
      sql: FENCE_RECORD_READ_SQL,
      params: [dbs],
      note: 'what each fence recorded: the previous ACL and read-only setting',
    },
    {
      kind: 'sql',
      sql: 'ALTER DATABASE <each recorded database> SET default_transaction_read_only = <recorded value> (or RESET); GRANT/REVOKE CONNECT ON DATABASE … until its CONNECT grantees equal the recorded ones',
      note: 'only what differs from the record',
    },
    {
      kind: 'sql',
      sql: FENCE_RECORD_DELETE_SQL,
      params: [dbs],
      note: 'the record goes: the databases are no longer fenced',
    },
  ];
}

async function preflightLift(spec: LiftFenceSpec, ctx: PreflightContext): Promise<CheckResult[]> {
  const why = connectionUnknown(spec.connection, 'connection');
  if (why) return [{ status: 'warn', check: 'server connection is reachable', detail: `skipped: ${why}` }];
  const dbs = [...new Set(spec.databases)];
  return withReadOnlySession(ctx, spec.connection, 'connection', 'server connection', async (query) => {
    const [{ present }] = await query<{ present: boolean }>(FENCE_TABLE_PRESENT_SQL);
    const records = present
      ? await query<{ datname: string; plan: string; step: string; fenced_at: string }>(RECORDS_SQL, [dbs])
      : [];
    const missing = dbs.filter((d) => !records.some((r) => r.datname === d));
    const results: CheckResult[] = records.map((r) => ({
      status: 'pass',
      check: `fence on "${r.datname}"`,
      detail: `recorded by step "${r.step}" of plan ${r.plan} at ${r.fenced_at}: it will be lifted`,
    }));
    if (missing.length) {
      results.push({
        status: 'warn',
        check: 'fence records',
        detail: `no fence recorded for ${missing.map((d) => `"${d}"`).join(', ')} in database ${spec.connection.database}: nothing to lift there (a fence is recorded in the database of the freeze's connection)`,
      });
    }
    return results;
  });
}

async function runLift(spec: LiftFenceSpec, ctx: StepContext): Promise<Record<string, unknown>> {
  const dbs = [...new Set(spec.databases)];
  const conn = (() => {
    try {
      return toResolvedConnection(spec.connection);
    } catch (err) {
      throw new StepFailed(ctx.stepId, `${(err as Error).message}. Fix the plan, then run apply again.`, {
        cause: err,
      });
    }
  })();
  const connectFailed = (err: unknown) =>
    ctx.signal.aborted
      ? new Interrupted('interrupted')
      : new StepFailed(ctx.stepId, `cannot reach ${describeConnection(conn)}: ${(err as Error).message}`, {
          cause: err,
        });
  return withSession(ctx.db, conn, { signal: ctx.signal, connectFailed }, async (session) => {
    const sql: Sql = async <R>(text: string, params?: unknown[]) => {
      ctx.event('sql', { sql: text, ...(params ? { params } : {}) });
      return (await session.query<R>(text, params)).rows;
    };
    try {
      await session.query(OWN_SESSION_WRITABLE_SQL);
      const lifted = await liftFence(sql, dbs);
      const rest = dbs.filter((d) => !lifted.includes(d));
      if (rest.length)
        ctx.warn(
          `no fence recorded for ${rest.map((d) => `"${d}"`).join(', ')} in database ${conn.database}: nothing lifted there`,
        );
      if (lifted.length) ctx.event('fence-lifted', { databases: lifted });
      ctx.progress(
        lifted.length
          ? `fence lifted on ${lifted.join(', ')}: the recorded CONNECT privileges and read-only setting are back`
          : 'nothing to lift',
      );
      return { lifted, liftedAt: new Date(ctx.clock.now()).toISOString() };
    } catch (err) {
      if (ctx.signal.aborted) throw new Interrupted('interrupted');
      throw new StepFailed(ctx.stepId, `could not lift the fence on ${dbs.join(', ')}: ${(err as Error).message}`, {
        remedy: `${conn.user} must own those databases (as it did to fence them). What was put back stays put back and the record stays until everything is: run apply again.`,
        cause: err,
      });
    }
  });
}

export const liftFenceStep: StepModule<LiftFenceSpec> = {
  type: 'lift-fence',
  outputs: OUTPUTS,
  describe: (spec) => describeLift(spec),
  preflight: preflightLift,
  run: runLift,
};
