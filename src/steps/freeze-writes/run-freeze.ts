// Run and undo of "freeze-writes". Convergent: the previous settings are read once and checkpointed
// before the first ALTER DATABASE, so a resume after a crash never mistakes the tool's own "on" for
// the database's previous setting. Then the setting (idempotent), the drain (terminate the other
// sessions, wait until none holds a write transaction), and the source's WAL position.
import type { DbSession, ResolvedConnection } from '../../db/api.js';
import { toResolvedConnection } from '../../db/connection.js';
import { Interrupted, StepFailed } from '../../errors.js';
import { parseDuration } from '../../plan/units.js';
import type { FreezeWritesSpec } from './spec.js';
import type { StepContext } from '../step.js';
import { PREVIOUS_SETTINGS_SQL, TERMINATE_SQL, WAL_LSN_SQL, WRITERS_SQL, freezeSql, restoreSql, settingIn } from './sql.js';

export const DEFAULT_DRAIN_MS = 30_000;
export const DEFAULT_WINDOW_MS = 5 * 60_000;
/** Drain polling during the window: fast, the application is waiting. */
export const DRAIN_POLL_MS = 250;

/** What the freeze step keeps in its checkpoint. */
export interface FreezeCheckpoint {
  /** Per database: its previous default_transaction_read_only (null: none was set). */
  previous?: Record<string, string | null>;
  /** When the first ALTER DATABASE was (about to be) sent; the window is counted from here. */
  frozenAt?: string;
  windowEndsAt?: string;
  drainedAt?: string;
  sourceLsn?: string;
  /** Set by undo: the previous settings are back. */
  rolledBackAt?: string;
  [key: string]: unknown;
}

type Ctx = Pick<StepContext, 'stepId' | 'db' | 'signal' | 'event' | 'progress' | 'warn' | 'clock' | 'poll' | 'openCutoverWindow'> & Partial<Pick<StepContext, 'timeScale'>> & {
  checkpoint: { get(): Record<string, unknown> | undefined; set(v: Record<string, unknown>): Promise<void> };
};

export function windowMs(spec: FreezeWritesSpec): number {
  return (spec.window ? parseDuration(spec.window) : undefined) ?? DEFAULT_WINDOW_MS;
}

export function drainMs(spec: FreezeWritesSpec): number {
  return (spec.drainTimeout ? parseDuration(spec.drainTimeout) : undefined) ?? DEFAULT_DRAIN_MS;
}

const fail = (ctx: Ctx, message: string, cause?: unknown) => new StepFailed(ctx.stepId, `step "${ctx.stepId}" failed: ${message}`, { cause });

async function withSession<T>(spec: FreezeWritesSpec, ctx: Ctx, fn: (sql: <R>(text: string, params?: unknown[]) => Promise<R[]>) => Promise<T>): Promise<T> {
  let conn: ResolvedConnection;
  try {
    conn = toResolvedConnection(spec.connection);
  } catch (err) {
    throw fail(ctx, `${(err as Error).message}. Fix the plan (or the environment variable it reads), then run apply again.`, err);
  }
  let session: DbSession;
  try {
    session = await ctx.db.connect(conn, { signal: ctx.signal });
  } catch (err) {
    if (ctx.signal.aborted) throw new Interrupted('interrupted');
    throw fail(ctx, (err as Error).message, err);
  }
  const sql = async <R,>(text: string, params?: unknown[]) => {
    ctx.event('sql', { sql: text, ...(params ? { params } : {}) });
    return (await session.query<R>(text, params)).rows;
  };
  try {
    return await fn(sql);
  } catch (err) {
    if (err instanceof StepFailed || err instanceof Interrupted) throw err;
    if (ctx.signal.aborted) throw new Interrupted('interrupted');
    throw fail(ctx, `${(err as Error).message}. Check that ${conn.user} may run ALTER DATABASE on ${spec.databases.join(', ')} and pg_terminate_backend (rds_superuser), then run apply again.`, err);
  } finally {
    await session.close().catch(() => undefined);
  }
}

export async function runFreeze(spec: FreezeWritesSpec, ctx: Ctx): Promise<Record<string, unknown>> {
  const databases = [...new Set(spec.databases)];
  return withSession(spec, ctx, async (sql) => {
    let cp = { ...((ctx.checkpoint.get() ?? {}) as FreezeCheckpoint) };
    if (cp.rolledBackAt) cp = {}; // a rolled-back freeze runs again from the start
    if (!cp.previous) {
      const rows = await sql<{ datname: string; setconfig: string[] | null }>(PREVIOUS_SETTINGS_SQL, [databases]);
      const missing = databases.filter((d) => !rows.some((r) => r.datname === d));
      if (missing.length) throw fail(ctx, `no database named ${missing.map((d) => `"${d}"`).join(', ')} on the source. Fix "databases" in the plan (names as in pg_database, case matters), then run apply again.`);
      const previous: Record<string, string | null> = {};
      for (const d of databases) previous[d] = settingIn(rows.find((r) => r.datname === d)!.setconfig);
      const frozenAt = new Date(ctx.clock.now());
      cp = { previous, frozenAt: frozenAt.toISOString(), windowEndsAt: new Date(frozenAt.getTime() + windowMs(spec) / (ctx.timeScale ?? 1)).toISOString() };
      await ctx.checkpoint.set(cp); // before the first ALTER: the previous settings are never lost
    }
    // The window opens before the first change to the source, so a rollback covers every one.
    await ctx.openCutoverWindow?.({ frozenAt: cp.frozenAt!, deadline: cp.windowEndsAt! });
    for (const d of databases) await sql(freezeSql(d));
    ctx.event('cutover-window-opened', { frozenAt: cp.frozenAt, windowEndsAt: cp.windowEndsAt, databases });

    const terminated = await sql<{ pid: number; usename: string }>(TERMINATE_SQL, [databases, false]);
    ctx.progress(`writes frozen on ${databases.join(', ')}; ${terminated.length} session(s) terminated, draining`);
    if (terminated.length) ctx.event('sessions-terminated', { count: terminated.length });
    await ctx.poll({
      what: `write transactions on ${databases.join(', ')} to end`,
      everyMs: DRAIN_POLL_MS,
      timeoutMs: drainMs(spec),
      check: async () => {
        const writers = await sql<{ pid: number; datname: string; usename: string }>(WRITERS_SQL, [databases]);
        if (writers.length === 0) return { done: true, value: undefined };
        // A session that opened a READ WRITE transaction after the freeze: it goes too.
        await sql(TERMINATE_SQL, [databases, true]);
        return { done: false, detail: `${writers.length} write transaction(s) still open (pid ${writers.map((w) => w.pid).join(', ')})` };
      },
    });
    const [{ lsn }] = await sql<{ lsn: string }>(WAL_LSN_SQL);
    cp = { ...cp, drainedAt: new Date(ctx.clock.now()).toISOString(), sourceLsn: lsn };
    await ctx.checkpoint.set(cp);
    ctx.progress(`writes frozen and drained on ${databases.join(', ')} at WAL ${lsn}`);
    return outputsOf(cp);
  });
}

export function outputsOf(cp: FreezeCheckpoint): Record<string, unknown> {
  return {
    frozenAt: cp.frozenAt,
    windowEndsAt: cp.windowEndsAt,
    sourceLsn: cp.sourceLsn,
    previousSettings: cp.previous,
  };
}

/**
 * Undoes the freeze: each database's previous setting back (RESET when there was none). Safe to
 * repeat; a no-op when the freeze never got as far as remembering the settings.
 */
export async function undoFreeze(spec: FreezeWritesSpec, ctx: Ctx): Promise<{ restored: string[] }> {
  const cp = (ctx.checkpoint.get() ?? {}) as FreezeCheckpoint;
  if (!cp.previous) return { restored: [] };
  const previous = cp.previous;
  await withSession(spec, ctx, async (sql) => {
    for (const [d, value] of Object.entries(previous)) await sql(restoreSql(d, value));
  });
  await ctx.checkpoint.set({ ...cp, rolledBackAt: new Date(ctx.clock.now()).toISOString() });
  ctx.event('freeze-undone', { databases: Object.keys(previous) });
  return { restored: Object.keys(previous) };
}
