// The target's side of the freeze. An Aurora replica is a physical copy of the source, catalogs and
// all, and so is a snapshot: the freeze's `ALTER DATABASE … SET default_transaction_read_only = on`
// and the fence's revoked CONNECT (pg_database is a shared catalog) come along to the target, and so
// does the fence's record (aurora_migrate.fence). Once the target is promoted (or restored from the
// frozen snapshot), the tool puts each database's previous setting and CONNECT privileges back there
// and removes the record, so the application can connect and write to Aurora as soon as its DNS
// name points there; the source stays fenced.
import type { DbSession } from '../../db/api.js';
import { toResolvedConnection } from '../../db/connection.js';
import { failureText, Interrupted, StepFailed } from '../../errors.js';
import type { ConnectionSpec } from '../../plan/types.js';
import type { FrozenBefore, StepContext } from '../step.js';
import { OWN_SESSION_WRITABLE_SQL, restoreSql, PREVIOUS_SETTINGS_SQL, settingIn } from './sql.js';
import { deleteFenceRecord, restoreConnect, type Sql } from './fence.js';

type Ctx = Pick<StepContext, 'stepId' | 'db' | 'signal' | 'event' | 'progress' | 'warn'>;

/** The progress line that starts the thaw (bench:cutover times the thaw from it). */
export const THAW_PROGRESS =
  "target: making it usable — the source's read-only setting and CONNECT privileges back there";

async function open(ctx: Ctx, connection: ConnectionSpec): Promise<{ session: DbSession; sql: Sql }> {
  let session: DbSession;
  try {
    session = await ctx.db.connect(toResolvedConnection(connection, 'target connection'), {
      signal: ctx.signal,
      statementTimeoutMs: 30_000,
    });
  } catch (err) {
    if (ctx.signal.aborted) throw new Interrupted('interrupted');
    throw new StepFailed(
      ctx.stepId,
      `cannot reach the target to make it usable: ${(err as Error).message}. Run apply again to finish this step.`,
      { cause: err },
    );
  }
  const sql: Sql = async <R>(text: string, params?: unknown[]) => {
    ctx.event('sql', { sql: text, ...(params ? { params } : {}) });
    return (await session.query<R>(text, params)).rows;
  };
  // This session itself starts read-only when it lands in a frozen database: lift that for it alone.
  await session.query(OWN_SESSION_WRITABLE_SQL);
  return { session, sql };
}

/** Restores `before` on the target's databases where they still carry the freeze; returns those changed. */
export async function thawTarget(ctx: Ctx, connection: ConnectionSpec, before: FrozenBefore): Promise<string[]> {
  const previous = before.settings;
  const databases = Object.keys(previous);
  if (databases.length === 0) return [];
  ctx.progress(`${THAW_PROGRESS} (${databases.join(', ')})`);
  const { session, sql } = await open(ctx, connection);
  const changed = new Set<string>();
  try {
    const rows = await sql<{ datname: string; setconfig: string[] | null }>(PREVIOUS_SETTINGS_SQL, [databases]);
    for (const d of databases) {
      const row = rows.find((r) => r.datname === d);
      if (!row) continue;
      if (settingIn(row.setconfig) !== previous[d]) {
        await sql(restoreSql(d, previous[d]));
        changed.add(d);
      }
      if (before.acl && (await restoreConnect(sql, d, before.acl[d] ?? null)).length) changed.add(d);
    }
  } catch (err) {
    if (ctx.signal.aborted) throw new Interrupted('interrupted');
    throw new StepFailed(
      ctx.stepId,
      `could not restore the previous default_transaction_read_only${before.acl ? ' and CONNECT privileges' : ''} on the target (${(err as Error).message}). ` +
        `The target keeps the source's fence until then; run apply again, or on the target run: ${databases.map((d) => restoreSql(d, previous[d])).join('; ')}${before.acl ? ' and GRANT CONNECT back as before the freeze' : ''}`,
      { cause: err },
    );
  } finally {
    await session.close().catch(() => undefined);
  }
  await removeInheritedRecord(ctx, connection, before, databases);
  if (changed.size) ctx.event('target-writable', { databases: [...changed] });
  ctx.progress(
    `target: ${databases.join(', ')} usable again (the freeze came along with the copy; previous settings${before.acl ? ' and CONNECT privileges' : ''} restored there)`,
  );
  return [...changed];
}

/** The fence's record came along too; on the target it describes nothing: remove it (a warning when it cannot). */
async function removeInheritedRecord(
  ctx: Ctx,
  connection: ConnectionSpec,
  before: FrozenBefore,
  databases: string[],
): Promise<void> {
  if (!before.recordDatabase) return;
  try {
    const { session, sql } = await open(ctx, { ...connection, database: before.recordDatabase });
    try {
      await deleteFenceRecord(sql, databases);
    } finally {
      await session.close().catch(() => undefined);
    }
  } catch (err) {
    if (ctx.signal.aborted) throw new Interrupted('interrupted');
    ctx.warn(
      `the fence's record (aurora_migrate.fence in database ${before.recordDatabase}) came along to the target and could not be removed there: ${failureText(err)}. It describes the source, not the target; delete it there by hand`,
    );
  }
}
