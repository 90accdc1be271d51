// Run and undo of "logical-switchover", convergent: each phase is checkpointed when done, and each
// observes before it acts (the subscription's state, the reverse objects by name), so a SIGKILL at
// any instant is resumed by running apply again inside the same window. Order: the caught-up proof
// (marker AND slot position), sequences, materialized views, DISABLE, the roles check, the reverse
// publication and slot. The undo (the engine calls it on a rollback before the point of no return,
// before the freeze's own undo): the reverse slot and publication dropped, the subscription enabled
// again — only when this step disabled it.
import { toResolvedConnection } from '../../db/connection.js';
import type { ResolvedConnection } from '../../db/api.js';
import { StepFailed } from '../../errors.js';
import type { LogicalSwitchoverSpec } from '../../plan/types.js';
import { writeMarker } from '../promote/caught-up.js';
import { OWN_SESSION_WRITABLE_SQL } from '../freeze-writes/sql.js';
import { withSql, type Sql } from '../logical-replica/session.js';
import { q, replicationName } from '../logical-replica/spec.js';
import type { CutoverHandle, StepContext } from '../step.js';
import { COMMIT_LSN_SQL, waitCaughtUp } from './caught-up.js';
import { copySequences, readSequences } from './sequences.js';
import { dropReverse, ensureReverse, reverseProblem } from './reverse.js';
import { loginProblems, rolesThatConnect, setPasswords } from './roles-check.js';
import { present } from '../../invariant.js';

export interface SwitchoverCheckpoint {
  token?: string;
  commitLsn?: string;
  caughtUpAt?: string;
  sequencesCopied?: number;
  viewsRefreshed?: string[];
  /** Set before ALTER SUBSCRIPTION … DISABLE: the undo enables it again. */
  disabling?: boolean;
  disabledAt?: string;
  rolesChecked?: string[];
  /** Set before the reverse publication and slot are created: the undo drops them. */
  reverseCreating?: string;
  reverseSlot?: string;
  switchedOverAt?: string;
  undoneAt?: string;
  [key: string]: unknown;
}

type Ctx = StepContext;

/**
 * A session on the target that may write even where a fence left default_transaction_read_only = on
 * in the database: in a fallback the target is the old source, still fenced from the forward
 * cutover until lift-fence, and setval, REFRESH, ALTER SUBSCRIPTION and ALTER ROLE are refused in a
 * read-only transaction. For the tool's own session only; the fence stays for applications.
 */
const onTarget = <T>(ctx: Ctx, conn: ResolvedConnection, fn: (tgt: Sql) => Promise<T>) =>
  withSql(ctx, conn, 'target', async (tgt) => {
    await tgt.read(OWN_SESSION_WRITABLE_SQL);
    return fn(tgt);
  });

export const SUBSCRIPTION_SQL =
  'SELECT s.oid::int AS oid, s.subenabled AS enabled, s.subslotname AS slot, s.subpublications AS publications FROM pg_subscription s JOIN pg_database d ON d.oid = s.subdbid WHERE s.subname = $1 AND d.datname = current_database()';
export const PUBLISHED_SCHEMAS_SQL =
  "SELECT DISTINCT schemaname::text AS schema FROM pg_publication_tables WHERE pubname = ANY($1::text[]) AND schemaname <> 'aurora_migrate' ORDER BY 1";
export const MATVIEWS_SQL =
  "SELECT format('%I.%I', n.nspname, c.relname) AS sql FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'm' AND n.nspname = ANY($1::text[]) ORDER BY c.oid";

interface Subscription {
  oid: number;
  enabled: boolean;
  slot: string | null;
  publications: string[];
}

/** The reverse publication's and slot's name: one per plan and step. */
export const reverseName = (planName: string, stepId: string) => replicationName(planName, stepId);

function connections(
  spec: LogicalSwitchoverSpec,
  ctx: Pick<Ctx, 'stepId'>,
): { source: ResolvedConnection; target: ResolvedConnection } {
  try {
    return { source: toResolvedConnection(spec.source, 'source'), target: toResolvedConnection(spec.target, 'target') };
  } catch (err) {
    throw new StepFailed(ctx.stepId, `${(err as Error).message}. Fix the plan, then run apply again.`, { cause: err });
  }
}

async function subscriptionOf(tgt: Pick<Sql, 'read'>, name: string): Promise<Subscription | undefined> {
  const [row] = await tgt.read<Subscription & { publications: string[] | string }>(SUBSCRIPTION_SQL, [name]);
  if (!row) return undefined;
  const pubs = Array.isArray(row.publications)
    ? row.publications
    : String(row.publications)
        .replace(/^\{|\}$/g, '')
        .split(',')
        .filter(Boolean);
  return { ...row, publications: pubs.map((p) => p.replace(/^"|"$/g, '')) };
}

/** What every phase of one run works with. */
interface Switchover {
  spec: LogicalSwitchoverSpec;
  ctx: Ctx;
  conns: { source: ResolvedConnection; target: ResolvedConnection };
  cutover: CutoverHandle;
  cp(): SwitchoverCheckpoint;
  save(patch: Partial<SwitchoverCheckpoint>): Promise<void>;
}

export async function runSwitchover(spec: LogicalSwitchoverSpec, ctx: Ctx): Promise<Record<string, unknown>> {
  const conns = connections(spec, ctx);
  const cutover = ctx.cutover;
  if (!cutover || cutover.pointOfNoReturn) {
    throw new StepFailed(
      ctx.stepId,
      'a logical-switchover runs only inside an open cutover window (after freeze-writes, before switch-endpoint). Fix the plan, then run apply again.',
    );
  }
  const cp = (): SwitchoverCheckpoint => (ctx.checkpoint.get() as SwitchoverCheckpoint | undefined) ?? {};
  const run: Switchover = { spec, ctx, conns, cutover, cp, save: (patch) => ctx.checkpoint.set({ ...cp(), ...patch }) };

  const sub = await observeSubscription(run);
  const slot = sub.slot;
  const schemas = await withSql(ctx, conns.source, 'source', async (src) =>
    (await src.read<{ schema: string }>(PUBLISHED_SCHEMAS_SQL, [sub.publications])).map((r) => r.schema),
  );

  if (!cp().caughtUpAt) await proveCaughtUp(run, slot);
  if (cp().sequencesCopied === undefined) await copySequencesOver(run, schemas);
  if (!cp().viewsRefreshed) await refreshViews(run, schemas);
  if (!cp().disabledAt) await disableSubscription(run);
  if (!cp().rolesChecked) await checkRoles(run);
  if (spec.reversePublication && !cp().reverseSlot) await createReverse(run, sub.oid);

  if (!cp().switchedOverAt) await run.save({ switchedOverAt: new Date(ctx.clock.now()).toISOString() });
  const c = cp();
  ctx.progress(
    `switched over: target caught up at ${c.caughtUpAt}, ${c.sequencesCopied} sequence(s) copied, subscription ${spec.subscription} disabled${c.reverseSlot ? `, reverse slot ${c.reverseSlot} ready` : ''}`,
  );
  return {
    caughtUpAt: c.caughtUpAt,
    sequencesCopied: c.sequencesCopied,
    switchedOverAt: c.switchedOverAt,
    ...(c.reverseSlot ? { reverseSlot: c.reverseSlot } : {}),
  };
}

/** Observes the subscription, and (read-only) whether the target can publish back — before the marker. */
async function observeSubscription({ spec, ctx, conns, cp }: Switchover): Promise<Subscription & { slot: string }> {
  return withSql(ctx, conns.target, 'target', async (tgt) => {
    const found = await subscriptionOf(tgt, spec.subscription);
    if (!found)
      throw new StepFailed(
        ctx.stepId,
        `the target has no subscription ${spec.subscription} in database ${conns.target.database}: the logical-replica step must have created it. Check "subscription" and "target", then run apply again.`,
      );
    if (!found.slot)
      throw new StepFailed(
        ctx.stepId,
        `subscription ${spec.subscription} on the target has no slot (slot_name = NONE), so it cannot be caught up. Recreate it with the logical-replica step, then run apply again.`,
      );
    if (!found.enabled && !cp().disabling) {
      throw new StepFailed(
        ctx.stepId,
        `subscription ${spec.subscription} on the target is disabled, so the target cannot catch up with the source. Run ALTER SUBSCRIPTION ${q(spec.subscription)} ENABLE there (and let it catch up), then run apply again.`,
      );
    }
    if (spec.reversePublication && !cp().reverseSlot) {
      const problem = await reverseProblem(tgt);
      if (problem) throw new StepFailed(ctx.stepId, `${problem}. Nothing was changed on the target.`);
    }
    return { ...found, slot: found.slot };
  });
}

/** 1. The caught-up proof: the marker written on the frozen source, seen on the target, and the slot past its commit. */
async function proveCaughtUp({ spec, ctx, conns, cutover, cp, save }: Switchover, slot: string): Promise<void> {
  if (!cp().token || !cp().commitLsn) {
    const m = await writeMarker(ctx, spec.source, conns.source.database);
    const [{ lsn }] = await withSql(ctx, conns.source, 'source', (src) => src.read<{ lsn: string }>(COMMIT_LSN_SQL));
    await save({ token: m.token, commitLsn: lsn });
  }
  ctx.progress(`waiting for the target to show the marker and slot ${slot} to confirm ${cp().commitLsn}`);
  const r = await waitCaughtUp(
    ctx,
    conns,
    slot,
    {
      token: present(cp().token, 'the marker token in the checkpoint'),
      commitLsn: present(cp().commitLsn, 'the marker commit LSN in the checkpoint'),
    },
    cutover,
  );
  await save({ caughtUpAt: r.caughtUpAt });
}

/** 2. Sequences, read on the frozen source, set on the target. */
async function copySequencesOver({ spec, ctx, conns, save }: Switchover, schemas: string[]): Promise<void> {
  ctx.progress(`caught up: copying the sequences of ${schemas.join(', ')} to the target`);
  const values = await withSql(ctx, conns.source, 'source', (src) => readSequences(src, schemas));
  const n = await onTarget(ctx, conns.target, (tgt) =>
    copySequences(tgt, schemas, values, spec.sequenceMargin ?? 0).catch((err) => {
      if (err instanceof StepFailed) throw err;
      throw new StepFailed(
        ctx.stepId,
        `${(err as Error).message}. ${spec.sequenceMargin ? 'Lower sequenceMargin or widen the sequence' : 'Fix the sequence on the target'}, then run apply again.`,
        { cause: err },
      );
    }),
  );
  ctx.event('sequences-copied', { count: n, margin: spec.sequenceMargin ?? 0 });
  await save({ sequencesCopied: n });
}

/** 3. Materialized views (not replicated): refreshed from the copied tables. */
async function refreshViews({ ctx, conns, save }: Switchover, schemas: string[]): Promise<void> {
  ctx.progress('refreshing materialized views on the target');
  const views = await onTarget(ctx, conns.target, async (tgt) => {
    const list = (await tgt.read<{ sql: string }>(MATVIEWS_SQL, [schemas])).map((r) => r.sql);
    for (const v of list) await tgt.exec(`REFRESH MATERIALIZED VIEW ${v}`);
    return list;
  });
  await save({ viewsRefreshed: views });
}

/** 4. The subscription stops applying: nothing more comes from the frozen source. */
async function disableSubscription({ spec, ctx, conns, save }: Switchover): Promise<void> {
  await save({ disabling: true });
  await onTarget(ctx, conns.target, async (tgt) => {
    const now = await subscriptionOf(tgt, spec.subscription);
    if (now?.enabled) await tgt.exec(`ALTER SUBSCRIPTION ${q(spec.subscription)} DISABLE`);
  });
  await save({ disabledAt: new Date(ctx.clock.now()).toISOString() });
}

/** 5. Every role that could connect to the source before the fence can log in to the target. */
async function checkRoles({ spec, ctx, conns, cutover, save }: Switchover): Promise<void> {
  ctx.progress(
    `subscription ${spec.subscription} disabled: checking that every role that connects to the source can log in to the target`,
  );
  const database = conns.source.database;
  const before = cutover.frozenBefore();
  const recorded = before.acl && database in before.acl ? { acl: before.acl[database] ?? null } : undefined;
  const needed = await withSql(ctx, conns.source, 'source', (src) =>
    rolesThatConnect(src, database, recorded, [conns.source.user, conns.target.user]),
  );
  const problems = await onTarget(ctx, conns.target, async (tgt) => {
    const set = await setPasswords(tgt, spec.rolePasswords ?? {});
    if (set.length) ctx.event('role-passwords-set', { roles: set });
    return loginProblems(tgt, needed, spec);
  });
  if (problems.length) {
    throw new StepFailed(
      ctx.stepId,
      `not every role that connects to the source can log in to the target: ${problems.join('; ')}. The application would be locked out after the switch. ` +
        'RDS lets no one read passwords, so the tool only knows those the plan gives. Fix it on the target or in the plan, then run apply again',
    );
  }
  await save({ rolesChecked: needed });
}

/** 6. The reverse publication and slot, while the source is still fenced. */
async function createReverse({ ctx, conns, save }: Switchover, subscriptionOid: number): Promise<void> {
  const reverse = reverseName(ctx.planName, ctx.stepId);
  await save({ reverseCreating: reverse });
  ctx.progress(
    `creating the reverse publication and slot ${reverse} on the target (the slot waits for transactions open there to end)`,
  );
  const how = await onTarget(ctx, conns.target, (tgt) => ensureReverse(tgt, reverse, subscriptionOid));
  ctx.event('reverse-publication', {
    name: reverse,
    publicationWas: how.publication,
    slotWas: how.slot,
    ...(how.replicaIdentityFull.length ? { replicaIdentityFull: how.replicaIdentityFull } : {}),
  });
  await save({ reverseSlot: reverse });
}

/**
 * Takes the switchover back (a rollback before the point of no return): the reverse slot and
 * publication dropped, the subscription enabled again when this step disabled it. Convergent.
 * Sequences and refreshed views stay as set (harmless: the next switchover sets them again).
 */
export async function undoSwitchover(spec: LogicalSwitchoverSpec, ctx: Ctx): Promise<Record<string, unknown>> {
  const cp = (ctx.checkpoint.get() as SwitchoverCheckpoint | undefined) ?? {};
  const conns = connections(spec, ctx);
  const reverse = reverseName(ctx.planName, ctx.stepId);
  const done = await onTarget(ctx, conns.target, async (tgt) => {
    const out: string[] = [];
    if (spec.reversePublication || cp.reverseCreating) out.push(...(await dropReverse(tgt, reverse)));
    if (cp.disabling) {
      const sub = await subscriptionOf(tgt, spec.subscription);
      if (sub && !sub.enabled) {
        await tgt.exec(`ALTER SUBSCRIPTION ${q(spec.subscription)} ENABLE`);
        out.push(`subscription ${spec.subscription} enabled`);
      }
    }
    return out;
  });
  await ctx.checkpoint.set({ ...cp, undoneAt: new Date(ctx.clock.now()).toISOString() });
  ctx.event('switchover-undone', { undone: done });
  return { undone: done };
}
