// The caught-up proof (docs/design.md "Cutover"): with the source frozen, a marker row written on the
// source in an explicit READ WRITE transaction, then seen on the replica. Physical replication
// replays commits in WAL order, so once the marker is visible on the replica every write committed
// on the source before it has been replayed there too. The CloudWatch lag datapoint cannot say that:
// it is one to three minutes old.
import { randomUUID } from 'node:crypto';
import type { DbSession } from '../../db/api.js';
import { toResolvedConnection } from '../../db/connection.js';
import { withTransaction } from '../../db/with-transaction.js';
import { Interrupted, StepFailed, WindowExpired } from '../../errors.js';
import type { ConnectionSpec } from '../../plan/types.js';
import type { CutoverHandle, StepContext } from '../step.js';

/** The marker poll: every second (divided by the time scale), the application is waiting. */
export const MARKER_POLL_MS = 1_000;

export const MARKER_TABLE = 'aurora_migrate.cutover_marker';

export const MARKER_SETUP_SQL = [
  'CREATE SCHEMA IF NOT EXISTS aurora_migrate',
  'CREATE TABLE IF NOT EXISTS aurora_migrate.cutover_marker (run_id text NOT NULL, token text PRIMARY KEY, written_at timestamptz NOT NULL DEFAULT clock_timestamp())',
];
export const MARKER_INSERT_SQL =
  'INSERT INTO aurora_migrate.cutover_marker (run_id, token) VALUES ($1, $2) RETURNING written_at, pg_current_wal_lsn()::text AS lsn';
export const MARKER_SEEN_SQL = 'SELECT 1 FROM aurora_migrate.cutover_marker WHERE token = $1';
/** What the replica has replayed, for progress while waiting. */
const REPLAY_SQL = 'SELECT pg_last_wal_replay_lsn()::text AS lsn, pg_is_in_recovery() AS recovering';

export interface CaughtUp {
  token: string;
  markerLsn: string;
  writtenAt: string;
  caughtUpAt: string;
  waitedMs: number;
}

type Ctx = Pick<StepContext, 'stepId' | 'db' | 'signal' | 'event' | 'progress' | 'clock' | 'sleep' | 'runId'>;

async function open(ctx: Ctx, spec: ConnectionSpec, where: string, what: string): Promise<DbSession> {
  let conn: ReturnType<typeof toResolvedConnection>;
  try {
    conn = toResolvedConnection(spec, where);
  } catch (err) {
    throw new StepFailed(ctx.stepId, `${(err as Error).message}. Fix the plan, then run apply again.`, { cause: err });
  }
  try {
    return await ctx.db.connect(conn, { signal: ctx.signal, statementTimeoutMs: 10_000 });
  } catch (err) {
    if (ctx.signal.aborted) throw new Interrupted('interrupted');
    throw new StepFailed(ctx.stepId, `cannot reach ${what} for the caught-up proof: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

/** Writes the marker on the source (into the database the replica check reads) and returns it. */
export async function writeMarker(
  ctx: Ctx,
  source: ConnectionSpec,
  database: string,
): Promise<Pick<CaughtUp, 'token' | 'markerLsn' | 'writtenAt'>> {
  const session = await open(ctx, { ...source, database }, 'freeze connection', `the source database ${database}`);
  const token = randomUUID();
  try {
    // The database is frozen (default read-only); an explicit READ WRITE transaction may still write.
    const { rows } = await withTransaction(
      session,
      async () => {
        for (const sql of MARKER_SETUP_SQL) await session.query(sql);
        return session.query<{ written_at: Date | string; lsn: string }>(MARKER_INSERT_SQL, [ctx.runId, token]);
      },
      { begin: 'BEGIN READ WRITE' },
    );
    ctx.event('sql', { sql: MARKER_INSERT_SQL, params: [ctx.runId, token] });
    const writtenAt = new Date(rows[0].written_at).toISOString();
    ctx.event('cutover-marker-written', { token, lsn: rows[0].lsn, writtenAt, database });
    return { token, markerLsn: rows[0].lsn, writtenAt };
  } catch (err) {
    if (ctx.signal.aborted) throw new Interrupted('interrupted');
    throw new StepFailed(
      ctx.stepId,
      `could not write the cutover marker on the source database ${database}: ${(err as Error).message}. The freeze connection's user needs CREATE on the database (or an existing aurora_migrate schema it may write).`,
      { cause: err },
    );
  } finally {
    await session.close().catch(() => undefined);
  }
}

/**
 * Polls the replica until the marker is visible. Gives up at the window's deadline with
 * WindowExpired (the engine then rolls back): a replica that does not show it is not caught up.
 */
export async function waitForMarker(
  ctx: Ctx,
  replica: ConnectionSpec,
  marker: Pick<CaughtUp, 'token' | 'markerLsn'>,
  cutover: CutoverHandle,
): Promise<{ caughtUpAt: string; waitedMs: number }> {
  const started = ctx.clock.now();
  const deadline = Date.parse(cutover.deadline);
  let session: DbSession | undefined;
  let lastProblem = '';
  try {
    for (let polls = 0; ; polls++) {
      if (ctx.signal.aborted) throw new Interrupted('interrupted');
      try {
        session ??= await open(ctx, replica, 'replicaConnection', 'the replica');
        const seen = await session.query(MARKER_SEEN_SQL, [marker.token]);
        if (seen.rowCount > 0 || seen.rows.length > 0) {
          const caughtUpAt = new Date(ctx.clock.now()).toISOString();
          ctx.event('cutover-caught-up', {
            token: marker.token,
            markerLsn: marker.markerLsn,
            caughtUpAt,
            polls: polls + 1,
          });
          return { caughtUpAt, waitedMs: ctx.clock.now() - started };
        }
        lastProblem = 'marker not replayed yet';
      } catch (err) {
        if (err instanceof Interrupted || ctx.signal.aborted) throw new Interrupted('interrupted');
        // Before the table itself has been replayed the query fails with "does not exist": keep waiting.
        lastProblem =
          (err as { code?: string }).code === '42P01' ? 'marker table not replayed yet' : (err as Error).message;
        if ((err as { code?: string }).code !== '42P01') {
          await session?.close().catch(() => undefined);
          session = undefined;
        }
      }
      let replayed = '';
      try {
        const r = await session?.query<{ lsn: string | null }>(REPLAY_SQL);
        if (r?.rows[0]?.lsn) replayed = `, replica replayed to ${r.rows[0].lsn}`;
      } catch {
        // progress detail only
      }
      const waited = ((ctx.clock.now() - started) / 1000).toFixed(1);
      ctx.progress(
        `waiting for the replica to show the cutover marker (source WAL ${marker.markerLsn}${replayed}; ${lastProblem}; ${waited}s)`,
      );
      if (ctx.clock.now() >= deadline) {
        throw new WindowExpired(
          `the replica did not show the cutover marker (source WAL ${marker.markerLsn}) before the window's deadline ${cutover.deadline} (${lastProblem}); ` +
            `replication is stopped or too slow, so the replica cannot be proven to hold every committed write`,
        );
      }
      await ctx.sleep(MARKER_POLL_MS);
    }
  } finally {
    await session?.close().catch(() => undefined);
  }
}
