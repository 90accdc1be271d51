// Step type "drop-replication": removes, by name, the logical replication objects the tool created
// on one server — subscriptions (DROP SUBSCRIPTION also drops its slot on the publisher),
// publications, replication slots, and the DDL guard (event triggers, functions, log). A missing
// object is fine (already gone). A slot that is active is refused before anything is dropped,
// naming who reads it: dropping it would break a replication someone still runs. After a cutover the
// old source is still fenced (its databases read-only by default): the step's own session turns that
// default off for itself, as the freeze's own session does, so the clean-up is not refused there.
import { StepFailed } from '../../errors.js';
import type { DropReplicationSpec } from '../../plan/types.js';
import { toResolvedConnection } from '../../db/connection.js';
import type { PlannedAction, StepContext, StepModule } from '../step.js';
import { DROP_GUARD_SQL } from '../logical-replica/ddl-guard.js';
import { OWN_SESSION_WRITABLE_SQL } from '../freeze-writes/sql.js';
import { preflightDrop } from './preflight.js';
import { withSql, type Sql } from '../logical-replica/session.js';
import { q } from '../logical-replica/spec.js';
import {
  dropSlotSql,
  dropSubscriptionEverywhere,
  findSubscription,
  slotReader,
} from '../logical-replica/subscription.js';

const SLOT_SQL = 'SELECT slot_name AS slot, active, active_pid AS pid FROM pg_replication_slots WHERE slot_name = $1';

export function describeDrop(spec: DropReplicationSpec): PlannedAction[] {
  const where = `on ${spec.connection.host} (database ${spec.connection.database})`;
  return [
    {
      kind: 'sql',
      sql: OWN_SESSION_WRITABLE_SQL,
      note: `${where}: this session only (a fenced server keeps its read-only default for everyone else)`,
    },
    ...(spec.slots ?? []).map(
      (s): PlannedAction => ({
        kind: 'check',
        description: `slot ${s} ${where}: refused while active (naming the reader's pid, user, application_name and client address)`,
      }),
    ),
    ...(spec.subscriptions ?? []).map(
      (s): PlannedAction => ({
        kind: 'sql',
        sql: `DROP SUBSCRIPTION IF EXISTS ${q(s)}`,
        note: `${where}; also drops its slot on the publisher (if the publisher cannot be reached: DISABLE, SET (slot_name = NONE), DROP, and the slot is named for you to drop there)`,
      }),
    ),
    ...(spec.publications ?? []).map(
      (p): PlannedAction => ({ kind: 'sql', sql: `DROP PUBLICATION IF EXISTS ${q(p)}`, note: where }),
    ),
    ...(spec.slots ?? []).map(
      (s): PlannedAction => ({ kind: 'sql', sql: dropSlotSql, params: [s], note: `${where}, when it exists` }),
    ),
    ...(spec.ddlGuard
      ? [{ kind: 'sql', sql: DROP_GUARD_SQL.join(';\n'), note: `${where}: the DDL guard` } as PlannedAction]
      : []),
  ];
}

async function dropSubscription(sql: Sql, ctx: StepContext, name: string): Promise<string | undefined> {
  const found = await findSubscription(sql, name);
  if (!found) return undefined;
  const slot = found.slot ?? name;
  if ((await dropSubscriptionEverywhere(sql, name)) === 'slot-left') {
    ctx.warn(
      `subscription ${name} was dropped, but its publisher could not be reached: drop slot ${slot} there (a drop-replication step on the source with slots: [${slot}]), or it keeps WAL forever`,
    );
  }
  return `subscription ${name}`;
}

export const dropReplication: StepModule<DropReplicationSpec> = {
  type: 'drop-replication',
  outputs: ['dropped'],
  describe: (spec) => describeDrop(spec),
  preflight: preflightDrop,
  async run(spec, ctx) {
    let conn: ReturnType<typeof toResolvedConnection>;
    try {
      conn = toResolvedConnection(spec.connection);
    } catch (err) {
      throw new StepFailed(ctx.stepId, `${(err as Error).message}. Fix the plan, then run apply again.`, {
        cause: err,
      });
    }
    const dropped = await withSql(ctx, conn, 'server', async (sql) => {
      await sql.read(OWN_SESSION_WRITABLE_SQL);
      for (const s of spec.slots ?? []) {
        const [slot] = await sql.read<{ slot: string; active: boolean; pid: number | null }>(SLOT_SQL, [s]);
        if (slot?.active)
          throw new StepFailed(
            ctx.stepId,
            `replication slot ${s} is in use by ${await slotReader(sql, slot.pid)}; nothing was dropped. Stop what reads it (or drop its subscription first), then run apply again.`,
          );
      }
      const done: string[] = [];
      for (const s of spec.subscriptions ?? []) {
        const d = await dropSubscription(sql, ctx, s);
        if (d) done.push(d);
      }
      for (const p of spec.publications ?? []) {
        if ((await sql.read('SELECT 1 FROM pg_publication WHERE pubname = $1', [p])).length === 0) continue;
        await sql.exec(`DROP PUBLICATION ${q(p)}`);
        done.push(`publication ${p}`);
      }
      for (const s of spec.slots ?? []) {
        const [slot] = await sql.read<{ active: boolean; pid: number | null }>(SLOT_SQL, [s]);
        if (!slot) continue;
        if (slot.active)
          throw new StepFailed(
            ctx.stepId,
            `replication slot ${s} became active (${await slotReader(sql, slot.pid)}) while the step ran; it was not dropped. Stop what reads it, then run apply again.`,
          );
        await sql.exec(dropSlotSql, [s]);
        done.push(`slot ${s}`);
      }
      if (spec.ddlGuard) {
        const [{ n }] = await sql.read<{ n: number }>(
          `SELECT (SELECT count(*) FROM pg_event_trigger WHERE evtname LIKE 'aurora\\_migrate\\_ddl\\_guard%') + (SELECT count(*) FROM pg_class WHERE oid = to_regclass('aurora_migrate.ddl_log'))::int AS n`,
        );
        if (Number(n) > 0) {
          for (const s of DROP_GUARD_SQL) await sql.exec(s);
          done.push('DDL guard');
        }
      }
      return done;
    });
    ctx.progress(dropped.length ? `dropped ${dropped.join(', ')}` : 'nothing to drop: already gone');
    return { dropped };
  },
};
