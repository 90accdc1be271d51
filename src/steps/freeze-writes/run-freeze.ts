// Run, undo and last check of "freeze-writes". Convergent: what the freeze changes (each database's
// ACL and read-only setting, its owner, the kept roles) is read once and checkpointed before the
// first change, so a resume after a crash never mistakes the tool's own fence for the database's
// previous state, and an undo after a kill half-way puts back exactly what was there. Then: the
// record on the server, the fence (CONNECT, read back), the read-only default, the terminations,
// the drain (until no session holds a write transaction), and the source's WAL position.
import type { ResolvedConnection } from '../../db/api.js';
import { toResolvedConnection } from '../../db/connection.js';
import { withSession } from '../../db/with-session.js';
import { Interrupted, StepFailed } from '../../errors.js';
import { durationMs, formatBytes, parseDuration, parseSize } from '../../plan/units.js';
import type { FreezeWritesSpec } from './spec.js';
import type { StepContext } from '../step.js';
import {
  OWN_SESSION_WRITABLE_SQL,
  PREVIOUS_SETTINGS_SQL,
  SESSIONS_ON_FROZEN_SQL,
  TERMINATE_SQL,
  WAL_LSN_SQL,
  WRITERS_SQL,
  freezeSql,
  restoreSql,
  settingIn,
} from './sql.js';
import {
  DATABASES_BEFORE_SQL,
  EXISTING_ROLES_SQL,
  RDS_SYSTEM_ROLES,
  applyFence,
  deleteFenceRecord,
  describeStillConnects,
  fenceRecords,
  readBack,
  restoreConnect,
  writeFenceRecord,
  type Sql,
} from './fence.js';
import { present } from '../../invariant.js';

export const DEFAULT_DRAIN_MS = 30_000;
export const DEFAULT_WINDOW_MS = 5 * 60_000;
/** Drain polling during the window: fast, the application is waiting. */
export const DRAIN_POLL_MS = 250;
/** application_name of the tool's own sessions (src/db/pg-connector.ts; its cancel sessions add " (cancel)"). */
export const TOOL_APPLICATION_NAME = 'aurora-migrate';
export const isToolSession = (applicationName: string | null) =>
  applicationName === TOOL_APPLICATION_NAME || applicationName === `${TOOL_APPLICATION_NAME} (cancel)`;

export type FenceMode = 'connections' | 'read-only';

/** What a read-only fence does not stop, in one line. */
export const READ_ONLY_GAPS_SHORT =
  'cooperative only: an application that runs BEGIN READ WRITE or SET default_transaction_read_only = off still writes during the window, and those writes are not on the target. Use fence: connections (the default)';

/** What the freeze step keeps in its checkpoint. */
export interface FreezeCheckpoint {
  /** Per database: its previous default_transaction_read_only (null: none was set). */
  previous?: Record<string, string | null>;
  /** Per database: its ACL before the fence (null: the owner's defaults). */
  previousAcl?: Record<string, string[] | null>;
  /** Per database: its owner (who keeps CONNECT whatever the fence does). */
  owners?: Record<string, string>;
  fence?: FenceMode;
  /** Roles that keep CONNECT (fence: connections). */
  keptRoles?: string[];
  /** Where the record on the server is (aurora_migrate.fence in this database). */
  recordDatabase?: string;
  /** Per database: the grantees the fence revoked CONNECT from. */
  revoked?: Record<string, string[]>;
  /** When the first change was (about to be) made; the window is counted from here. */
  frozenAt?: string;
  windowEndsAt?: string;
  drainedAt?: string;
  sourceLsn?: string;
  /** Set by undo: the previous settings are back. */
  rolledBackAt?: string;
  [key: string]: unknown;
}

type Ctx = Pick<
  StepContext,
  | 'stepId'
  | 'planName'
  | 'runId'
  | 'db'
  | 'signal'
  | 'event'
  | 'progress'
  | 'warn'
  | 'clock'
  | 'poll'
  | 'openCutoverWindow'
  | 'windowUsers'
> &
  Partial<Pick<StepContext, 'timeScale'>> & {
    checkpoint: { get(): Record<string, unknown> | undefined; set(v: Record<string, unknown>): Promise<void> };
  };

export const fenceMode = (spec: Pick<FreezeWritesSpec, 'fence'>): FenceMode => spec.fence ?? 'connections';

export function windowMs(spec: FreezeWritesSpec): number {
  return (spec.window ? parseDuration(spec.window) : undefined) ?? DEFAULT_WINDOW_MS;
}

export function drainMs(spec: FreezeWritesSpec): number {
  return (spec.drainTimeout ? parseDuration(spec.drainTimeout) : undefined) ?? DEFAULT_DRAIN_MS;
}

/** One session on the freeze's connection, writable for itself, every statement recorded. */
async function withFreezeSession<T>(
  spec: FreezeWritesSpec,
  ctx: Ctx,
  fn: (sql: Sql, conn: ResolvedConnection) => Promise<T>,
): Promise<T> {
  let conn: ResolvedConnection;
  try {
    conn = toResolvedConnection(spec.connection);
  } catch (err) {
    throw new StepFailed(
      ctx.stepId,
      `${(err as Error).message}. Fix the plan (or the environment variable it reads), then run apply again.`,
      { cause: err },
    );
  }
  const connectFailed = (err: unknown) =>
    ctx.signal.aborted
      ? new Interrupted('interrupted')
      : new StepFailed(ctx.stepId, (err as Error).message, { cause: err });
  return withSession(ctx.db, conn, { signal: ctx.signal, connectFailed }, async (session) => {
    const sql: Sql = async <R>(text: string, params?: unknown[]) => {
      ctx.event('sql', { sql: text, ...(params ? { params } : {}) });
      return (await session.query<R>(text, params)).rows;
    };
    try {
      // The connection's database may be one this freeze made read-only (a resume): not for this session.
      await session.query(OWN_SESSION_WRITABLE_SQL);
      return await fn(sql, conn);
    } catch (err) {
      if (err instanceof StepFailed || err instanceof Interrupted) throw err;
      if (ctx.signal.aborted) throw new Interrupted('interrupted');
      throw new StepFailed(ctx.stepId, (err as Error).message, {
        remedy:
          `Check that ${conn.user} owns ${spec.databases.join(', ')} (or holds CONNECT on them WITH GRANT OPTION), may run ALTER DATABASE and pg_terminate_backend (rds_superuser), ` +
          `and may create schema aurora_migrate in database ${conn.database}; plan --preflight checks each. Then run apply again.`,
        cause: err,
      });
    }
  });
}

/** The roles that keep CONNECT: the window's connection users, RDS's own roles, allowRoles — those that exist. */
async function keptRolesOf(spec: FreezeWritesSpec, ctx: Ctx, sql: Sql, me: string): Promise<string[]> {
  const allow = spec.allowRoles ?? [];
  const wanted = [...new Set([me, ...(ctx.windowUsers ?? []), ...RDS_SYSTEM_ROLES, ...allow])];
  const existing = new Set((await sql<{ rolname: string }>(EXISTING_ROLES_SQL, [wanted])).map((r) => r.rolname));
  const missingAllowed = allow.filter((r) => !existing.has(r));
  if (missingAllowed.length) {
    throw new StepFailed(
      ctx.stepId,
      `allowRoles names ${missingAllowed.map((r) => `"${r}"`).join(', ')}, which ${missingAllowed.length > 1 ? 'are not roles' : 'is not a role'} on the source (names are case-sensitive). Nothing was changed. Fix allowRoles in the plan, then run apply again.`,
    );
  }
  return wanted.filter((r) => existing.has(r));
}

export async function runFreeze(spec: FreezeWritesSpec, ctx: Ctx): Promise<Record<string, unknown>> {
  const databases = [...new Set(spec.databases)];
  const mode = fenceMode(spec);
  return withFreezeSession(spec, ctx, async (sql, conn) => {
    let cp = { ...((ctx.checkpoint.get() ?? {}) as FreezeCheckpoint) };
    if (cp.rolledBackAt) cp = {}; // a rolled-back freeze runs again from the start
    if (!cp.previous && spec.waitForSlot) await waitForSlot(spec, spec.waitForSlot, ctx, sql); // nothing changed yet, no window open
    if (!cp.previous) cp = await rememberBefore(spec, ctx, sql, conn, databases, mode);
    // The window opens before the first change to the source, so a rollback covers every one.
    await ctx.openCutoverWindow?.({
      frozenAt: present(cp.frozenAt, 'frozenAt in the freeze checkpoint'),
      deadline: present(cp.windowEndsAt, 'windowEndsAt in the freeze checkpoint'),
    });
    await writeFenceRecord(
      sql,
      databases.map((d) => ({
        datname: d,
        acl: cp.previousAcl?.[d] ?? null,
        setting: present(cp.previous, 'the settings recorded before the freeze')[d],
      })),
      { fence: mode, keptRoles: cp.keptRoles ?? [], plan: ctx.planName, step: ctx.stepId, runId: ctx.runId },
    );

    if (mode === 'connections') {
      const kept = present(cp.keptRoles, 'keptRoles in the freeze checkpoint');
      const owners = present(cp.owners, 'owners in the freeze checkpoint');
      const revoked = await applyFence(sql, databases, kept, owners);
      const still = await readBack(sql, databases, kept);
      if (still.length) {
        // The engine undoes the freeze (the window is open): privileges and setting come back as recorded.
        throw new StepFailed(
          ctx.stepId,
          `the fence does not hold: ${describeStillConnects(still, owners)} can still connect after CONNECT was revoked. ` +
            `A REVOKE by a role that neither owns the database nor holds CONNECT WITH GRANT OPTION does nothing (PostgreSQL only warns), ` +
            `and a database's owner always keeps CONNECT. Make ${conn.user} the owner (ALTER DATABASE … OWNER TO ${conn.user}), or revoke what ` +
            `another grantor granted, or — for a role that must stay (monitoring) and never writes — add it to allowRoles; then run apply again`,
        );
      }
      cp = { ...cp, revoked };
      ctx.event('fence-up', { databases, keptRoles: kept, revoked });
    }
    for (const d of databases) await sql(freezeSql(d));
    ctx.event('cutover-window-opened', { frozenAt: cp.frozenAt, windowEndsAt: cp.windowEndsAt, databases });

    const keptForTerminate =
      mode === 'connections' ? present(cp.keptRoles, 'keptRoles in the freeze checkpoint') : null;
    const terminated = await sql<{ pid: number; usename: string }>(TERMINATE_SQL, [databases, false, keptForTerminate]);
    ctx.progress(
      `${mode === 'connections' ? `fenced ${databases.join(', ')} (CONNECT kept by ${(keptForTerminate ?? []).join(', ')} only)` : `writes frozen on ${databases.join(', ')} (read-only default)`}; ` +
        `${terminated.length} session(s) terminated, draining`,
    );
    if (terminated.length)
      ctx.event('sessions-terminated', {
        count: terminated.length,
        users: [...new Set(terminated.map((t) => t.usename))],
      });
    await ctx.poll({
      what: `write transactions on ${databases.join(', ')} to end`,
      everyMs: DRAIN_POLL_MS,
      timeoutMs: drainMs(spec),
      check: async () => {
        const writers = await sql<{ pid: number; datname: string; usename: string }>(WRITERS_SQL, [databases]);
        if (writers.length === 0) return { done: true, value: undefined };
        // A session that opened a READ WRITE transaction after the freeze: it goes too.
        await sql(TERMINATE_SQL, [databases, true, keptForTerminate]);
        return {
          done: false,
          detail: `${writers.length} write transaction(s) still open (pid ${writers.map((w) => w.pid).join(', ')})`,
        };
      },
    });
    const [{ lsn }] = await sql<{ lsn: string }>(WAL_LSN_SQL);
    cp = { ...cp, drainedAt: new Date(ctx.clock.now()).toISOString(), sourceLsn: lsn };
    await ctx.checkpoint.set(cp);
    ctx.progress(
      `writes ${mode === 'connections' ? 'fenced' : 'frozen'} and drained on ${databases.join(', ')} at WAL ${lsn}`,
    );
    return outputsOf(cp);
  });
}

export const DEFAULT_SLOT_MAX_LAG = '16MiB';
export const DEFAULT_SLOT_WAIT = '1h';
export const SLOT_LAG_SQL =
  'SELECT slot_type, active, pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::float8 AS lag FROM pg_replication_slots WHERE slot_name = $1';

/**
 * waitForSlot (the logical route): after a long approval wait the subscription's slot may lag; wait,
 * before changing anything, until it is within maxLag, so the cutover window is not spent catching up.
 */
async function waitForSlot(
  spec: FreezeWritesSpec,
  wait: NonNullable<FreezeWritesSpec['waitForSlot']>,
  ctx: Ctx,
  sql: Sql,
): Promise<void> {
  const { slot } = wait;
  const maxLag = parseSize(wait.maxLag ?? DEFAULT_SLOT_MAX_LAG) ?? 16 * 1024 * 1024;
  await ctx.poll({
    what: `replication slot ${slot} to be within ${formatBytes(maxLag)} before the freeze`,
    everyMs: 1_000,
    timeoutMs: durationMs(spec.timeout, DEFAULT_SLOT_WAIT),
    check: async () => {
      const [row] = await sql<{ slot_type: string; active: boolean; lag: number | null }>(SLOT_LAG_SQL, [slot]);
      if (!row)
        throw new StepFailed(
          ctx.stepId,
          `replication slot "${slot}" does not exist on the source (waitForSlot). Nothing was changed. Check waitForSlot.slot (usually \${steps.<logical-replica step>.outputs.slot}), then run apply again.`,
        );
      const lag = Math.max(0, row.lag ?? 0);
      if (row.lag !== null && lag <= maxLag) {
        ctx.event('slot-caught-up', { slot, lagBytes: lag });
        return { done: true, value: undefined };
      }
      return {
        done: false,
        detail: `slot ${slot}: ${row.lag === null ? 'no confirmed position yet' : `${formatBytes(lag)} behind`}${row.active ? '' : ' (nobody is reading it)'}; waiting for at most ${formatBytes(maxLag)} before freezing`,
      };
    },
  });
}

/** Reads what the freeze will change and checkpoints it — before any change. */
async function rememberBefore(
  spec: FreezeWritesSpec,
  ctx: Ctx,
  sql: Sql,
  conn: ResolvedConnection,
  databases: string[],
  mode: FenceMode,
): Promise<FreezeCheckpoint> {
  const rows = await sql<{ datname: string; owner: string; acl: string[] | null; setconfig: string[] | null }>(
    DATABASES_BEFORE_SQL,
    [databases],
  );
  const missing = databases.filter((d) => !rows.some((r) => r.datname === d));
  if (missing.length)
    throw new StepFailed(
      ctx.stepId,
      `no database named ${missing.map((d) => `"${d}"`).join(', ')} on the source. Fix "databases" in the plan (names as in pg_database, case matters), then run apply again.`,
    );
  // A fence another run left on these databases: its record holds the real previous state.
  const others = (await fenceRecords(sql, databases)).filter((r) => r.run_id !== ctx.runId);
  if (others.length) {
    throw new StepFailed(
      ctx.stepId,
      `${others.map((r) => `"${r.datname}" is still fenced by step "${r.step}" of plan ${r.plan} (since ${r.fenced_at})`).join('; ')}, as recorded in aurora_migrate.fence of database ${conn.database}. ` +
        'Nothing was changed: freezing again would record the fenced state as the previous one. Lift that fence first (a lift-fence step, or restore by hand and delete the record), then run apply again.',
    );
  }
  const previous: Record<string, string | null> = {};
  const previousAcl: Record<string, string[] | null> = {};
  const owners: Record<string, string> = {};
  for (const d of databases) {
    const row = present(
      rows.find((r) => r.datname === d),
      `the pg_database row of "${d}"`,
    );
    previous[d] = settingIn(row.setconfig);
    previousAcl[d] = row.acl;
    owners[d] = row.owner;
  }
  const keptRoles = mode === 'connections' ? await keptRolesOf(spec, ctx, sql, conn.user) : undefined;
  const frozenAt = new Date(ctx.clock.now());
  const cp: FreezeCheckpoint = {
    previous,
    previousAcl,
    owners,
    fence: mode,
    ...(keptRoles ? { keptRoles } : {}),
    recordDatabase: conn.database,
    frozenAt: frozenAt.toISOString(),
    windowEndsAt: new Date(frozenAt.getTime() + windowMs(spec) / (ctx.timeScale ?? 1)).toISOString(),
  };
  await ctx.checkpoint.set(cp); // before the first change: the previous state is never lost
  return cp;
}

export function outputsOf(cp: FreezeCheckpoint): Record<string, unknown> {
  return {
    frozenAt: cp.frozenAt,
    windowEndsAt: cp.windowEndsAt,
    sourceLsn: cp.sourceLsn,
    previousSettings: cp.previous,
    fence: cp.fence ?? 'read-only',
    ...(cp.keptRoles ? { keptRoles: cp.keptRoles } : {}),
    ...(cp.revoked ? { revokedFrom: cp.revoked } : {}),
  };
}

/**
 * Undoes the freeze: each database's previous setting and CONNECT privileges back, the record on
 * the server removed. Safe to repeat, also after a kill half-way through the freeze or the undo; a
 * no-op when the freeze never got as far as remembering the previous state.
 */
export async function undoFreeze(spec: FreezeWritesSpec, ctx: Ctx): Promise<{ restored: string[] }> {
  const cp = (ctx.checkpoint.get() ?? {}) as FreezeCheckpoint;
  if (!cp.previous) return { restored: [] };
  const previous = cp.previous;
  const databases = Object.keys(previous);
  await withFreezeSession(spec, ctx, async (sql) => {
    // Only what differs: a freeze that failed before its ALTER DATABASE needs none (and the tool may lack the right).
    const now = await sql<{ datname: string; setconfig: string[] | null }>(PREVIOUS_SETTINGS_SQL, [databases]);
    for (const [d, value] of Object.entries(previous)) {
      const row = now.find((r) => r.datname === d);
      if (row && settingIn(row.setconfig) !== value) await sql(restoreSql(d, value));
    }
    if (cp.previousAcl) for (const d of databases) await restoreConnect(sql, d, cp.previousAcl[d] ?? null);
    await deleteFenceRecord(sql, databases);
  });
  await ctx.checkpoint.set({ ...cp, rolledBackAt: new Date(ctx.clock.now()).toISOString() });
  ctx.event('freeze-undone', { databases });
  return { restored: databases };
}

export interface SessionOnFrozen {
  pid: number;
  datname: string;
  usename: string | null;
  application_name: string | null;
  client_addr: string | null;
  writing: boolean;
}

const who = (s: SessionOnFrozen) =>
  `pid ${s.pid} of user ${s.usename ?? '(hidden)'} on "${s.datname}" (application_name "${s.application_name ?? ''}", client ${s.client_addr ?? 'local socket'})${s.writing ? ' holding a write transaction' : ''}`;

/**
 * What the last check refuses (pure): with a connections fence, any session of a role that is not
 * kept, any session of a kept role that is not one of the tool's own, any write transaction; with
 * a read-only fence, any write transaction.
 */
export function lastCheckProblems(
  sessions: readonly SessionOnFrozen[],
  mode: FenceMode,
  kept: readonly string[],
): string[] {
  const keptSet = new Set(kept);
  const bad = sessions.filter((s) => {
    if (s.writing) return true;
    if (mode === 'read-only') return false;
    const tool = s.usename !== null && keptSet.has(s.usename) && isToolSession(s.application_name);
    return !tool;
  });
  return bad.map((s) => `${who(s)} is connected to a frozen database`);
}

/** The last check, right before the point of no return: the fence still holds. Read-only. */
export async function lastCheck(spec: FreezeWritesSpec, ctx: Ctx): Promise<string[]> {
  const cp = (ctx.checkpoint.get() ?? {}) as FreezeCheckpoint;
  const databases = [...new Set(spec.databases)];
  const mode = cp.fence ?? fenceMode(spec);
  const kept = cp.keptRoles ?? [];
  return withFreezeSession(spec, ctx, async (sql) => {
    const sessions = await sql<SessionOnFrozen>(SESSIONS_ON_FROZEN_SQL, [databases]);
    const problems = lastCheckProblems(sessions, mode, kept);
    if (mode === 'connections') {
      const still = await readBack(sql, databases, kept);
      if (still.length)
        problems.push(
          `${describeStillConnects(still, cp.owners ?? {})} can connect again (CONNECT was granted since the freeze)`,
        );
    }
    if (problems.length) ctx.event('fence-last-check-failed', { problems });
    return problems;
  });
}

/** One sentence on how the source is held after the point of no return (the fence as it is). */
export function heldAfter(spec: FreezeWritesSpec, checkpoint: Record<string, unknown> | undefined): string {
  const cp = (checkpoint ?? {}) as FreezeCheckpoint;
  const dbs = spec.databases.join(', ');
  if ((cp.fence ?? fenceMode(spec)) === 'connections' && cp.keptRoles) {
    return `the source databases ${dbs} stay fenced (CONNECT only for ${cp.keptRoles.join(', ')} and the databases' owners; read-only default on)`;
  }
  return `the source databases ${dbs} keep the read-only default (fence: read-only — an application that opens its transactions READ WRITE can still write there)`;
}
