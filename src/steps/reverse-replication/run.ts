// Run of "reverse-replication" (docs/routes/logical.md "The fallback"), after the switch: the old
// source follows Aurora. Convergent — every phase observes by name first, adopts what an earlier run
// made, then acts, and is checkpointed when done — so a SIGKILL anywhere is resumed by running apply
// again and never leaves two subscriptions of the same purpose:
//   1. read-only: the reverse publication and slot exist on Aurora (the switchover made them before
//      the switch, so the slot holds every write since), and nobody else reads the slot;
//   2. the forward subscription on Aurora is dropped (DROP SUBSCRIPTION drops its slot on the old
//      source; a slot left behind is dropped there by name). Gone already: adopted. Without
//      `origin` (a subscriber older than 16) this is what keeps changes from looping back;
//   3. on the old source, in the tool's own session only, `SET default_transaction_read_only = off`
//      (the fence's read-only default also refuses CREATE SUBSCRIPTION), then CREATE SUBSCRIPTION
//      … WITH (copy_data = false, create_slot = false, slot_name = <the reverse slot>) — adopted
//      (enabled again if disabled) when one of that name exists. The old source stays fenced for
//      applications; the apply worker applies there regardless (AWS-FACTS "Reverse replication");
//   4. wait until the reverse slot is active, past Aurora's WAL position right after step 3, and
//      within maxLag: every write made on Aurora since the switch is then on the old source.
import { StepFailed } from '../../errors.js';
import type { ResolvedConnection } from '../../db/api.js';
import { toResolvedConnection } from '../../db/connection.js';
import type { ReverseReplicationSpec } from '../../plan/types.js';
import { durationMs, formatBytes, parseSize } from '../../plan/units.js';
import { ConnectionTrouble, lazySql, withSql, type Sql } from '../logical-replica/session.js';
import { q, replicationName } from '../logical-replica/spec.js';
import {
  dropSlotSql,
  dropSubscriptionEverywhere,
  findSubscription,
  slotReader,
} from '../logical-replica/subscription.js';
import { fullIdentityForKeyless } from '../logical-switchover/reverse.js';
import type { StepContext } from '../step.js';
import {
  APPLY_WORKER_SQL,
  CURRENT_LSN_SQL,
  REVERSE_LAG_SQL,
  REVERSE_OBJECTS_SQL,
  SERVER_MAJOR_SQL,
  SESSION_WRITABLE_SQL,
  SLOT_SQL,
  SUBSCRIBE_PRIVILEGE_SQL,
  createReverseSubscriptionSql,
  subscribeProblem,
  type ReverseNames,
  type SubscribePrivilege,
} from './sql.js';

export const DEFAULT_REVERSE_MAX_LAG = 16 * 1024 * 1024;
const POLL_MS = 1_000;

interface ReverseCheckpoint {
  /** The forward subscription's slot on the old source, read before DROP SUBSCRIPTION. */
  forwardSlot?: string;
  forwardDroppedAt?: string;
  subscribedAt?: string;
  /** Aurora's WAL position right after the subscription was made: caught up means past it. */
  startLsn?: string;
  caughtUpAt?: string;
  [key: string]: unknown;
}

type Ctx = StepContext;

export interface ReverseSetup {
  names: ReverseNames;
  forward: string;
  aurora: ResolvedConnection;
  old: ResolvedConnection;
  publisher: ResolvedConnection;
}

/** The names and connections, with messages that name the field. */
export function reverseSetup(spec: ReverseReplicationSpec, planName: string, stepId: string): ReverseSetup {
  if (!spec.reverseSlot || !spec.subscription) {
    throw new Error(
      '"subscription" and "reverseSlot" are not known: put this step after the logical-switchover (and the switch-endpoint) it follows, or give both',
    );
  }
  const aurora = toResolvedConnection(spec.source, 'source');
  const old = toResolvedConnection(spec.target, 'target');
  const ep = spec.publisherEndpoint;
  const publisher = ep
    ? { ...aurora, host: ep.host, port: ep.port === undefined || ep.port === '' ? aurora.port : Number(ep.port) }
    : aurora;
  return {
    names: { slot: spec.reverseSlot, subscription: replicationName(planName, stepId) },
    forward: spec.subscription,
    aurora,
    old,
    publisher,
  };
}

/** What every phase of one run works with. */
interface ReverseRun {
  spec: ReverseReplicationSpec;
  ctx: Ctx;
  setup: ReverseSetup;
  cp(): ReverseCheckpoint;
  save(patch: Partial<ReverseCheckpoint>): Promise<void>;
  onOld<T>(fn: (sql: Sql) => Promise<T>): Promise<T>;
  onAurora<T>(fn: (sql: Sql) => Promise<T>): Promise<T>;
}

export async function runReverse(spec: ReverseReplicationSpec, ctx: Ctx): Promise<Record<string, unknown>> {
  let setup: ReverseSetup;
  try {
    setup = reverseSetup(spec, ctx.planName, ctx.stepId);
  } catch (err) {
    throw new StepFailed(ctx.stepId, `${(err as Error).message}. Fix the plan, then run apply again.`, { cause: err });
  }
  const { names } = setup;
  const cp = (): ReverseCheckpoint => (ctx.checkpoint.get() as ReverseCheckpoint | undefined) ?? {};
  const run: ReverseRun = {
    spec,
    ctx,
    setup,
    cp,
    save: (patch) => ctx.checkpoint.set({ ...cp(), ...patch }),
    onOld: (fn) => withSql(ctx, setup.old, 'old source (target)', fn),
    onAurora: (fn) => withSql(ctx, setup.aurora, 'Aurora (source)', fn),
  };

  const major = await observe(run);
  if (!cp().forwardDroppedAt) await dropForward(run);
  if (!cp().subscribedAt) await subscribe(run, major);
  if (!cp().caughtUpAt) await waitFollowing(run);
  ctx.progress(
    `the old source follows Aurora: subscription ${names.subscription} reads slot ${names.slot} (caught up at ${cp().caughtUpAt})`,
  );
  return { publication: names.slot, subscription: names.subscription, slot: names.slot };
}

/** 1. Observe, read-only: our subscription on the old source, the reverse objects on Aurora; returns the old source's major version. */
async function observe({ ctx, setup, onOld, onAurora }: ReverseRun): Promise<number> {
  const { names, old, aurora } = setup;
  const { major, ours } = await onOld(async (o) => {
    const [{ major }] = await o.read<{ major: number }>(SERVER_MAJOR_SQL);
    const found = await findSubscription(o, names.subscription);
    const [p] = await o.read<SubscribePrivilege>(SUBSCRIBE_PRIVILEGE_SQL);
    const problem = found
      ? undefined
      : p
        ? subscribeProblem({ ...p, major: Number(p.major) }, old.database)
        : `${old.user} is not a role on the old source`;
    if (problem) throw new StepFailed(ctx.stepId, `${problem}. Nothing was changed; fix it, then run apply again.`);
    return { major: Number(major), ours: found };
  });
  if (ours && ours.slot !== names.slot) {
    throw new StepFailed(
      ctx.stepId,
      `the old source already has a subscription ${names.subscription} reading slot ${ours.slot ?? 'NONE'}, not the reverse slot ${names.slot}: it is not this step's. Drop it there (or rename this step), then run apply again.`,
    );
  }
  await onAurora(async (a) => {
    const [o] = await a.read<{
      publications: number;
      type: string | null;
      plugin: string | null;
      active: boolean | null;
      pid: number | null;
    }>(REVERSE_OBJECTS_SQL, [names.slot]);
    const missing = [o?.publications ? '' : `publication ${names.slot}`, o?.type ? '' : `slot ${names.slot}`].filter(
      Boolean,
    );
    if (!o || missing.length) {
      throw new StepFailed(
        ctx.stepId,
        `the reverse ${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} missing on Aurora (${aurora.database}). The logical-switchover creates them before the switch so that every write made on Aurora afterwards is kept for the old source; without them a fallback would lose those writes. Nothing was changed. ` +
          'If the switchover ran without them, a lossless fallback needs a new copy of Aurora into the old source instead',
      );
    }
    if (o.type !== 'logical' || o.plugin !== 'pgoutput')
      throw new StepFailed(
        ctx.stepId,
        `slot ${names.slot} on Aurora is not a pgoutput logical slot (${o.type}/${o.plugin ?? '-'}): it is not the switchover's. Nothing was changed.`,
      );
    if (o.active && !ours)
      throw new StepFailed(
        ctx.stepId,
        `the reverse slot ${names.slot} on Aurora is already read by ${await slotReader(a, o.pid)}, not by this step's subscription. Nothing was changed; stop that reader, then run apply again.`,
      );
    // A switchover of an earlier version may have published a table without a replica identity:
    // UPDATE and DELETE on it fail on Aurora now. Production: short lock_timeout, retried.
    const fixed = await fullIdentityForKeyless(a, names.slot, (s) => a.execLocking(s));
    if (fixed.length)
      ctx.warn(
        `${fixed.join(', ')} on Aurora had no replica identity while in the reverse publication (UPDATE and DELETE on them failed there): set to REPLICA IDENTITY FULL, as on the source`,
      );
  });
  return major;
}

/** 2. The forward subscription goes (and with it its slot on the old source). */
async function dropForward({ ctx, setup, cp, save, onOld, onAurora }: ReverseRun): Promise<void> {
  const { forward } = setup;
  const gone = await onAurora(async (a) => {
    const sub = await findSubscription(a, forward);
    if (!sub) return 'adopted';
    await save({ forwardSlot: sub.slot ?? forward });
    ctx.progress(
      `dropping the forward subscription ${forward} on Aurora (and its slot ${sub.slot ?? forward} on the old source)`,
    );
    return dropSubscriptionEverywhere(a, forward);
  });
  const slot = cp().forwardSlot ?? forward;
  const leftover = await onOld(async (o) => {
    const [s] = await o.read<{ active: boolean; pid: number | null }>(SLOT_SQL, [slot]);
    if (!s) return false;
    if (s.active)
      throw new StepFailed(
        ctx.stepId,
        `the forward slot ${slot} on the old source is still read by ${await slotReader(o, s.pid)} after its subscription was dropped on Aurora. Stop that reader, then run apply again.`,
      );
    await o.exec(dropSlotSql, [slot]);
    return true;
  });
  ctx.event('forward-subscription-dropped', {
    subscription: forward,
    slot,
    how: gone,
    ...(leftover ? { slotDroppedOnOldSource: true } : {}),
  });
  await save({ forwardDroppedAt: new Date(ctx.clock.now()).toISOString() });
}

/** 3. The old source subscribes to the reverse slot (an existing subscription of ours is adopted). */
async function subscribe({ ctx, setup, save, onOld, onAurora }: ReverseRun, major: number): Promise<void> {
  const { names, old } = setup;
  ctx.progress(
    `subscribing the old source (${old.database}) to the reverse publication and slot ${names.slot} on Aurora`,
  );
  const how = await onOld(async (o) => {
    await o.exec(SESSION_WRITABLE_SQL);
    const found = await findSubscription(o, names.subscription);
    if (found) {
      if (!found.enabled) await o.exec(`ALTER SUBSCRIPTION ${q(names.subscription)} ENABLE`);
      return 'adopted';
    }
    await o.exec(
      createReverseSubscriptionSql(names, setup.publisher, major, false),
      [],
      createReverseSubscriptionSql(names, setup.publisher, major, true),
    );
    return 'created';
  });
  const [{ lsn }] = await onAurora((a) => a.read<{ lsn: string }>(CURRENT_LSN_SQL));
  ctx.event('reverse-subscription', {
    subscription: names.subscription,
    slot: names.slot,
    how,
    origin: major >= 16 ? 'none' : 'any (subscriber older than 16)',
  });
  await save({ subscribedAt: new Date(ctx.clock.now()).toISOString(), startLsn: lsn });
}

/** 4. Caught up: the reverse slot read past Aurora's position after step 3, and within maxLag. */
async function waitFollowing({ spec, ctx, setup, cp, save }: ReverseRun): Promise<void> {
  const { names, aurora, old } = setup;
  const maxLag = (spec.maxLag ? parseSize(spec.maxLag) : undefined) ?? DEFAULT_REVERSE_MAX_LAG;
  const a = lazySql(ctx, aurora, 'Aurora (source)');
  const o = lazySql(ctx, old, 'old source (target)');
  try {
    await ctx.poll<true>({
      what: `the old source to follow Aurora through slot ${names.slot} (past ${cp().startLsn}, within ${formatBytes(maxLag)})`,
      everyMs: POLL_MS,
      timeoutMs: durationMs(spec.timeout, '30m'),
      check: async () => {
        try {
          const [s] = await a.sql.read<{
            active: boolean;
            lag: number | null;
            past: boolean | null;
            confirmed: string | null;
          }>(REVERSE_LAG_SQL, [names.slot, cp().startLsn]);
          if (!s)
            throw new StepFailed(
              ctx.stepId,
              `the reverse slot ${names.slot} disappeared from Aurora while the old source subscribed to it. Run apply again after checking who dropped it; the fallback is not lossless without it.`,
            );
          const [w] = await o.sql.read<{ pid: number | null }>(APPLY_WORKER_SQL, [names.subscription]);
          if (s.active && s.past && s.lag !== null && Number(s.lag) <= maxLag) return { done: true, value: true };
          const worker = w?.pid
            ? `apply worker pid ${w.pid}`
            : 'no apply worker running on the old source (see its server log)';
          return {
            done: false,
            detail: `slot ${names.slot} ${s.active ? 'active' : 'not read yet'}, confirmed ${s.confirmed ?? '-'} of ${cp().startLsn}, ${s.lag === null ? '?' : formatBytes(Number(s.lag))} behind; ${worker}`,
          };
        } catch (err) {
          if (err instanceof ConnectionTrouble) return { done: false, detail: `${err.message}; retrying` };
          throw err;
        }
      },
    });
  } finally {
    await Promise.all([a.close(), o.close()]);
  }
  await save({ caughtUpAt: new Date(ctx.clock.now()).toISOString() });
}
