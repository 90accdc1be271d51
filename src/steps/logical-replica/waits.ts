// The long waits of logical-replica: the copy (every table ready, per-table progress) and the slot
// lag (at or under maxLag for stableFor, counted in consecutive polls so it holds at any time
// scale). Every poll also reads the slots (a lag sample for the run report) and the guards; a trip
// with onGuardTrip: drop-slot drops the subscription and with it its slot. Sessions are reopened
// after a lost connection: a network blip during a days-long copy is not a failure.
import { Interrupted, StepFailed } from '../../errors.js';
import type { LogicalReplicaSpec } from '../../plan/types.js';
import { formatBytes, formatDuration } from '../../plan/units.js';
import { recordCopyProgress, recordLagSample } from '../progress-samples.js';
import type { StepContext } from '../step.js';
import type { SourceTable } from './catalog.js';
import { cloudWatchGuards, trippedLogicalGuard } from './guards.js';
import { copyStates, countRows, errorsText, progressLine, subscriptionErrors, type TableState } from './progress.js';
import { ConnectionTrouble, lazySql, type Sql } from './session.js';
import type { connectionsOf, LogicalSettings, ReplicationNames } from './spec.js';
import { dropSlotSql, dropSubscriptionEverywhere, slotsOf } from './subscription.js';

type Ctx = StepContext;

/** How often the CloudWatch guards are read (AWS time): their metrics have 1-minute datapoints. */
export const CLOUDWATCH_EVERY_MS = 30_000;

/**
 * Between two observations (every pollEvery), how often the target alone is asked whether every
 * table is ready (AWS time, divided by the time scale like every wait). Without it the end of the
 * copy was noticed up to pollEvery late — 2.4 s of a 7 s copy of 1M rows at the default 5s
 * (docs/performance.md "Logical route: initial copy"). One catalog query on the new cluster; the
 * source (production) is still read only every pollEvery.
 */
export const READY_CHECK_MS = 250;

export const ALL_READY_SQL = `SELECT count(*)::int AS n, count(*) FILTER (WHERE sr.srsubstate = 'r')::int AS ready
  FROM pg_subscription_rel sr JOIN pg_subscription s ON s.oid = sr.srsubid WHERE s.subname = $1`;

async function allReady(target: Pick<Sql, 'read'>, subscription: string): Promise<boolean> {
  const [r] = await target.read<{ n: number; ready: number }>(ALL_READY_SQL, [subscription]);
  return r !== undefined && r.n > 0 && r.n === r.ready;
}
type Conns = ReturnType<typeof connectionsOf>;
export type Watch = (src: Sql, tgt: Sql) => Promise<number | null>;

/** One observation of the slots and the guards; returns the slot's lag (bytes), null when it has none yet. */
export function watcher(
  ctx: Ctx,
  spec: LogicalReplicaSpec,
  s: LogicalSettings,
  names: ReplicationNames,
  subOid: number,
): Watch {
  const guards = cloudWatchGuards(spec, ctx.stepId);
  // CloudWatch publishes once a minute: ask it every 30 s of AWS time at most (as lag-watch), on the first poll and every n-th after.
  const cloudWatchEvery = Math.max(1, Math.ceil(CLOUDWATCH_EVERY_MS / s.pollEveryMs));
  let polls = 0;
  return async (src, tgt) => {
    const askCloudWatch = polls++ % cloudWatchEvery === 0;
    const slots = await slotsOf(src, names.slot, subOid);
    const main = slots.find((x) => x.slot === names.slot);
    const at = new Date(ctx.clock.now()).toISOString();
    recordLagSample(ctx, {
      at,
      value: main?.lag ?? null,
      unit: 'bytes',
      metric: 'pg_replication_slots',
      of: names.subscription,
    });
    const ddlAfterId = (ctx.checkpoint.get() as { ddlAfterId?: number } | undefined)?.ddlAfterId;
    const trip = await trippedLogicalGuard({
      aws: ctx.aws,
      signal: ctx.signal,
      now: ctx.clock.now(),
      guards: askCloudWatch ? guards : [],
      maxSlotLagBytes: s.maxSlotLagBytes,
      slots,
      source: src,
      ddlAfterId,
    });
    if (trip) await onTrip(ctx, s, names, tgt, src, trip);
    return main?.lag ?? null;
  };
}

/** Until every table of the subscription is ready; returns the rows counted on the target per table. */
export async function waitForCopy(
  ctx: Ctx,
  conns: Conns,
  s: LogicalSettings,
  names: ReplicationNames,
  published: SourceTable[],
  watch: Watch,
): Promise<Map<string, number>> {
  const totals = new Map(published.map((t) => [t.display, t.reltuples]));
  const counted = new Map<string, number>();
  const seen = new Map<string, number>();
  let baseline: Awaited<ReturnType<typeof subscriptionErrors>>;
  // A full observation (states, progress, slots, guards) every pollEvery; in between only ALL_READY_SQL on the target.
  const checkEvery = Math.min(s.pollEveryMs, READY_CHECK_MS);
  const fullEvery = Math.max(1, Math.round(s.pollEveryMs / checkEvery));
  let checks = 0;
  let lastDetail = '';
  await watching(ctx, conns, (src, tgt) =>
    ctx.poll<TableState[]>({
      what: `every table of subscription ${names.subscription} to be copied and ready`,
      everyMs: checkEvery,
      timeoutMs: s.timeoutMs,
      check: tolerant(async () => {
        if (checks++ % fullEvery !== 0 && !(await allReady(tgt, names.subscription)))
          return { done: false, detail: lastDetail };
        const states = await copyStates(tgt, names.subscription);
        const at = new Date(ctx.clock.now()).toISOString();
        for (const st of states) {
          const t = published.find((p) => p.display === st.table);
          // A ready table is recorded once (its rows counted on the target), the others every poll.
          if (st.state === 'r' && counted.has(st.table)) continue;
          if (st.state === 'r' && t) counted.set(st.table, await countRows(tgt, t));
          // Between its COPY and ready (copied, syncing) a table shows no progress row: keep the highest seen.
          const rows = counted.get(st.table) ?? Math.max(st.rows ?? 0, seen.get(st.table) ?? 0);
          seen.set(st.table, rows);
          const total = totals.get(st.table);
          recordCopyProgress(ctx, {
            at,
            table: st.table,
            rows,
            ...(total !== undefined && total >= 0 ? { totalRows: Math.round(total) } : {}),
          });
        }
        await watch(src, tgt);
        if (states.length > 0 && states.every((x) => x.state === 'r')) return { done: true, value: states };
        const errors = await subscriptionErrors(tgt, names.subscription);
        baseline ??= errors;
        lastDetail =
          (states.length ? progressLine(states, totals) : 'waiting for the subscription to list its tables') +
          errorsText(errors, baseline);
        return { done: false, detail: lastDetail };
      }),
    }),
  );
  return counted;
}

/** Until the slot lag stays at or under maxLag for stableFor (consecutive polls); returns the last lag. */
export async function waitForLag(
  ctx: Ctx,
  conns: Conns,
  s: LogicalSettings,
  names: ReplicationNames,
  watch: Watch,
): Promise<number> {
  const needed = Math.max(1, Math.ceil(s.stableForMs / s.pollEveryMs));
  let good = 0;
  let baseline: Awaited<ReturnType<typeof subscriptionErrors>>;
  return watching(ctx, conns, (src, tgt) =>
    ctx.poll<number>({
      what: `slot ${names.slot} to stay within ${formatBytes(s.maxLagBytes)} for ${formatDuration(s.stableForMs)}`,
      everyMs: s.pollEveryMs,
      timeoutMs: s.timeoutMs,
      check: tolerant(async () => {
        const value = await watch(src, tgt);
        good = value !== null && value <= s.maxLagBytes ? good + 1 : 0;
        if (value !== null && good >= needed) return { done: true, value };
        const errors = await subscriptionErrors(tgt, names.subscription);
        baseline ??= errors;
        return {
          done: false,
          detail: `slot ${names.slot} lag ${value === null ? 'unknown (no slot yet)' : formatBytes(value)} (maxLag ${formatBytes(s.maxLagBytes)}; ${good}/${needed} polls within)${errorsText(errors, baseline)}`,
        };
      }),
    }),
  );
}

/** Both sessions for a long wait, reopened after a lost connection; errors other than that fail the step. */
async function watching<T>(ctx: Ctx, conns: Conns, fn: (src: Sql, tgt: Sql) => Promise<T>): Promise<T> {
  const src = lazySql(ctx, conns.source, 'source');
  const tgt = lazySql(ctx, conns.target, 'target');
  try {
    return await fn(src.sql, tgt.sql);
  } catch (err) {
    if (err instanceof StepFailed || err instanceof Interrupted) throw err;
    if (ctx.signal.aborted) throw new Interrupted('interrupted');
    throw new StepFailed(
      ctx.stepId,
      `while watching the replication: ${(err as Error).message}. Fix the cause, then run apply again.`,
      { cause: err },
    );
  } finally {
    await Promise.all([src.close(), tgt.close()]);
  }
}

/** A poll check that treats a lost connection as "not yet" (the next poll reconnects). */
function tolerant<T>(check: () => Promise<{ done: true; value: T } | { done: false; detail?: string }>) {
  return async (): Promise<{ done: true; value: T } | { done: false; detail?: string }> => {
    try {
      return await check();
    } catch (err) {
      if (err instanceof ConnectionTrouble) return { done: false, detail: `${err.message}; retrying` };
      throw err;
    }
  };
}

async function onTrip(
  ctx: Ctx,
  s: LogicalSettings,
  names: ReplicationNames,
  tgt: Sql,
  src: Sql,
  trip: { kind: string; message: string },
): Promise<never> {
  if (trip.kind === 'ddl' || s.onGuardTrip === 'fail') {
    throw new StepFailed(
      ctx.stepId,
      `${trip.message}. Subscription ${names.subscription} and slot ${names.slot} were kept: the slot keeps WAL on the source until replication goes on or it is dropped (a drop-replication step).`,
    );
  }
  await dropSubscriptionEverywhere(tgt, names.subscription);
  // The slot goes with the subscription; if the source could not be told, drop it there directly
  // (its walsender may take a moment to exit).
  let slotLeft = false;
  try {
    for (let i = 0; ; i++) {
      const slot = (await slotsOf(src, names.slot)).find((x) => x.slot === names.slot);
      if (!slot) break;
      if (!slot.active) {
        await src.exec(dropSlotSql, [names.slot]);
        break;
      }
      if (i >= 20) throw new Error(`slot ${names.slot} is still in use`);
      await ctx.sleep(250 * ctx.timeScale);
    }
  } catch {
    slotLeft = true;
  }
  await ctx.checkpoint.set({ ...(ctx.checkpoint.get() ?? {}), restartCopy: true, copyDoneAt: undefined });
  ctx.event('guard-tripped', {
    kind: trip.kind,
    droppedSubscription: names.subscription,
    ...(slotLeft ? { slotLeft: names.slot } : { droppedSlot: names.slot }),
  });
  if (slotLeft) {
    throw new StepFailed(
      ctx.stepId,
      `${trip.message}. onGuardTrip: drop-slot dropped subscription ${names.subscription}, but slot ${names.slot} could not be dropped on the source, which keeps WAL for it: drop it there (SELECT pg_drop_replication_slot('${names.slot}'), or a drop-replication step with slots: [${names.slot}]). Then run aurora-migrate apply again to copy from the start.`,
    );
  }
  throw new StepFailed(
    ctx.stepId,
    `${trip.message}. onGuardTrip: drop-slot dropped subscription ${names.subscription} and its slot ${names.slot}, so the source no longer keeps WAL for it. The copy must start again: fix the cause, then run aurora-migrate apply again (the target's copied rows are emptied first).`,
  );
}
