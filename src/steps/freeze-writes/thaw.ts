// The target's side of the freeze. An Aurora replica is a physical copy of the source, catalogs and
// all, and so is a snapshot: the `ALTER DATABASE … SET default_transaction_read_only = on` of the
// freeze comes along to the target. Once the target is promoted (or restored from the frozen
// snapshot), the tool puts each database's previous setting back there, so the application can
// write to Aurora as soon as its DNS name points there; the source stays frozen.
import type { DbSession } from '../../db/api.js';
import { toResolvedConnection } from '../../db/connection.js';
import { Interrupted, StepFailed } from '../../errors.js';
import type { ConnectionSpec } from '../../plan/types.js';
import type { StepContext } from '../step.js';
import { restoreSql, PREVIOUS_SETTINGS_SQL, settingIn } from './sql.js';

type Ctx = Pick<StepContext, 'stepId' | 'db' | 'signal' | 'event' | 'progress'>;

/** Restores `previous` on the target's databases where they still carry the freeze; returns those changed. */
export async function thawTarget(ctx: Ctx, connection: ConnectionSpec, previous: Readonly<Record<string, string | null>>): Promise<string[]> {
  const databases = Object.keys(previous);
  if (databases.length === 0) return [];
  let session: DbSession;
  try {
    session = await ctx.db.connect(toResolvedConnection(connection, 'target connection'), { signal: ctx.signal, statementTimeoutMs: 30_000 });
  } catch (err) {
    if (ctx.signal.aborted) throw new Interrupted('interrupted');
    throw new StepFailed(ctx.stepId, `step "${ctx.stepId}" failed: cannot reach the target to make it writable: ${(err as Error).message}. The promotion is done; run apply again to finish this step.`, { cause: err });
  }
  try {
    // This session itself starts read-only when it lands in a frozen database: lift that for it alone.
    await session.query('SET default_transaction_read_only = off');
    const rows = (await session.query<{ datname: string; setconfig: string[] | null }>(PREVIOUS_SETTINGS_SQL, [databases])).rows;
    const changed: string[] = [];
    for (const d of databases) {
      const row = rows.find((r) => r.datname === d);
      if (!row) continue;
      const now = settingIn(row.setconfig);
      if (now === previous[d]) continue;
      const sql = restoreSql(d, previous[d]);
      ctx.event('sql', { sql });
      await session.query(sql);
      changed.push(d);
    }
    if (changed.length) ctx.event('target-writable', { databases: changed });
    ctx.progress(`target: ${databases.join(', ')} writable again (the freeze's read-only default came along with the copy; previous settings restored there)`);
    return changed;
  } catch (err) {
    if (ctx.signal.aborted) throw new Interrupted('interrupted');
    throw new StepFailed(ctx.stepId, `step "${ctx.stepId}" failed: could not restore the previous default_transaction_read_only on the target (${(err as Error).message}). The target keeps the source's read-only default until then; run apply again, or on the target run: ${databases.map((d) => restoreSql(d, previous[d])).join('; ')}`, { cause: err });
  } finally {
    await session.close().catch(() => undefined);
  }
}
