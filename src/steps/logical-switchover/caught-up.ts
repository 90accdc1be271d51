// The caught-up proof of the logical route (docs/routes/logical.md "The switchover (`logical-switchover`)"): with the source
// frozen, the marker (promote/caught-up.ts: aurora_migrate.cutover_marker, which logical-replica
// publishes) is written on the source in an explicit READ WRITE transaction; the target is caught up
// when the marker row is visible there AND the subscription's slot on the source has confirmed a
// position at or past the marker's commit. Both, because the subscriber commits asynchronously:
// right after the row is visible confirmed_flush_lsn may still trail by a few hundred bytes, and
// only the confirmed position says the slot will not send those changes again. The commit's end is
// read after COMMIT (pg_current_wal_insert_lsn(), which is at or past it). Gives up at the window's
// deadline with WindowExpired (the engine rolls back).
import { Interrupted, WindowExpired } from '../../errors.js';
import { MARKER_SEEN_SQL } from '../promote/caught-up.js';
import { ConnectionTrouble, lazySql, type Ctx } from '../logical-replica/session.js';
import type { ResolvedConnection } from '../../db/api.js';
import type { CutoverHandle } from '../step.js';

/** Poll every 50 ms (divided by the time scale): the marker takes milliseconds, and the application is waiting. */
export const SWITCHOVER_POLL_MS = 50;

export const COMMIT_LSN_SQL = 'SELECT pg_current_wal_insert_lsn()::text AS lsn';
export const SLOT_CONFIRMED_SQL =
  'SELECT confirmed_flush_lsn::text AS confirmed, confirmed_flush_lsn >= $2::pg_lsn AS past FROM pg_replication_slots WHERE slot_name = $1';

export interface Marker {
  token: string;
  /** The source's WAL insert position after the marker's COMMIT (at or past its commit record). */
  commitLsn: string;
}

export async function waitCaughtUp(
  ctx: Ctx,
  conns: { source: ResolvedConnection; target: ResolvedConnection },
  slot: string,
  marker: Marker,
  cutover: Pick<CutoverHandle, 'deadline'>,
): Promise<{ caughtUpAt: string; polls: number }> {
  const started = ctx.clock.now();
  const deadline = Date.parse(cutover.deadline);
  const src = lazySql(ctx, conns.source, 'source');
  const tgt = lazySql(ctx, conns.target, 'target');
  let seen = false;
  let confirmed = '?';
  try {
    for (let polls = 1; ; polls++) {
      if (ctx.signal.aborted) throw new Interrupted('interrupted');
      let problem = '';
      try {
        if (!seen) seen = (await tgt.sql.read(MARKER_SEEN_SQL, [marker.token])).length > 0;
        const [s] = await src.sql.read<{ confirmed: string | null; past: boolean | null }>(SLOT_CONFIRMED_SQL, [
          slot,
          marker.commitLsn,
        ]);
        if (!s) problem = `slot ${slot} is missing on the source`;
        confirmed = s?.confirmed ?? '?';
        if (seen && s?.past) {
          const caughtUpAt = new Date(ctx.clock.now()).toISOString();
          ctx.event('cutover-caught-up', {
            token: marker.token,
            markerLsn: marker.commitLsn,
            confirmedFlushLsn: confirmed,
            caughtUpAt,
            polls,
            route: 'logical',
          });
          return { caughtUpAt, polls };
        }
      } catch (err) {
        if (!(err instanceof ConnectionTrouble)) throw err;
        problem = err.message;
      }
      const waited = ((ctx.clock.now() - started) / 1000).toFixed(1);
      const state =
        problem ||
        `marker ${seen ? 'on the target' : 'not on the target yet'}, slot confirmed ${confirmed} of ${marker.commitLsn}`;
      ctx.progress(`waiting for the target to catch up with the marker (${state}; ${waited}s)`);
      if (ctx.clock.now() >= deadline) {
        throw new WindowExpired(
          `the target did not catch up with the cutover marker (source WAL ${marker.commitLsn}: ${state}) before the window's deadline ${cutover.deadline}; ` +
            'the subscription is stopped or too slow, so the target cannot be proven to hold every committed write',
        );
      }
      await ctx.sleep(SWITCHOVER_POLL_MS);
    }
  } finally {
    await Promise.all([src.close(), tgt.close()]);
  }
}
