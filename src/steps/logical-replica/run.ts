// Run of "logical-replica", convergent: every phase observes by name first, adopts what an earlier
// attempt made, then acts, so a SIGKILL at any instant is resumed by running apply again, and a
// resume never makes a second publication, subscription or slot. Order: inventory and refusals
// (nothing is created before them), marker table on both sides, DDL guard, roles, pre-data, keys,
// REPLICA IDENTITY FULL (opted in), publication, subscription, the copy (per-table progress, guards
// every poll), the rest of post-data, then the slot lag at or under maxLag for stableFor.
import { failureText, StepFailed } from '../../errors.js';
import type { LogicalReplicaSpec } from '../../plan/types.js';
import { formatBytes } from '../../plan/units.js';
import { MARKER_SETUP_SQL } from '../promote/caught-up.js';
import type { StepContext } from '../step.js';
import {
  LARGE_OBJECTS_SQL,
  identityFullTargets,
  publishable,
  sourceTables,
  withoutIdentity,
  type SourceTable,
} from './catalog.js';
import { commandLine, nodeRunner } from '../commands.js';
import { installGuard } from './ddl-guard.js';
import { dumpSection, type ParsedDump, type PgToolsDeps } from './dump.js';
import { ensurePublication, replicaIdentityFullSql } from './publication.js';
import { copyRoles, joinOwners, rolesWithoutPassword } from './roles.js';
import {
  copyKeys,
  copyPostData,
  copyPreData,
  ensureDatabase,
  missingOnTarget,
  ownersOutOfReach,
  schemasOf,
  selectionArgs,
} from './schema-copy.js';
import { withSql, type Sql } from './session.js';
import { connectionsOf, logicalSettings, namesOf, publisherConnection, q, type ReplicationNames } from './spec.js';
import { createSubscriptionSql, dropSlotSql, findSubscription, slotReader, slotsOf } from './subscription.js';
import { waitForCopy, waitForLag, watcher } from './waits.js';
import { logicalReplicaPreflight } from './preflight.js';
import type { ResolvedConnection } from '../../db/api.js';
import { present } from '../../invariant.js';

export interface LogicalCheckpoint {
  ddlAfterId?: number;
  schemaDone?: boolean;
  copyDoneAt?: string;
  rowsCopied?: number;
  postDataDone?: boolean;
  /** A guard trip dropped the subscription: the next run empties the target's tables and copies again. */
  restartCopy?: boolean;
  [key: string]: unknown;
}

type Ctx = StepContext;

type Conns = ReturnType<typeof connectionsOf>;

/** What the source holds, once the refusals passed: nothing is created before them. */
interface Inventory {
  major: number;
  tables: SourceTable[];
  published: SourceTable[];
  /** Tables opted in to REPLICA IDENTITY FULL. */
  full: SourceTable[];
  owners: string[];
}

export async function runLogicalReplica(spec: LogicalReplicaSpec, ctx: Ctx): Promise<Record<string, unknown>> {
  const s = logicalSettings(spec);
  const names = namesOf(ctx.planName, ctx.stepId);
  let conns: Conns;
  try {
    conns = connectionsOf(spec);
  } catch (err) {
    throw new StepFailed(ctx.stepId, `${(err as Error).message}. Fix the plan, then run apply again.`, { cause: err });
  }
  const cp = (): LogicalCheckpoint => (ctx.checkpoint.get() as LogicalCheckpoint | undefined) ?? {};
  const save = (patch: Partial<LogicalCheckpoint>) => ctx.checkpoint.set({ ...cp(), ...patch });
  const tools: PgToolsDeps = {
    runner: ctx.commands ?? nodeRunner,
    signal: ctx.signal,
    record: (c, args) => ctx.event('command', { command: commandLine(c, args) }),
  };
  // One post-data dump serves the keys before the copy and the rest after it (the DDL guard stops
  // the step on any schema change in between); a run that resumes after the keys dumps it again.
  let postDataDump: Promise<ParsedDump> | undefined;
  const postDataOnce = (tables: SourceTable[]) => {
    postDataDump ??= dumpSection(tools, conns.source, 'post-data', selectionArgs(spec.schemas, tables));
    return postDataDump;
  };

  // The read-only checks again, now that the target exists (plan --preflight could not reach it yet).
  await recheck(spec, ctx);
  const inv = await inventory(spec, ctx, conns);

  // The marker table on both sides (the switchover's proof), and the DDL guard before the schema is read.
  await withSql(ctx, conns.source, 'source', async (src) => {
    for (const sql of MARKER_SETUP_SQL) await src.exec(sql);
  });
  if (cp().ddlAfterId === undefined) await save({ ddlAfterId: await guardDdl(ctx, conns) });
  if (s.schemaMode === 'copy' && !cp().schemaDone)
    await copySchema(spec, ctx, conns, inv.tables, inv.owners, tools, () => postDataOnce(inv.tables));
  await prepareTarget(ctx, conns, s.schemaMode, inv);
  await publish(ctx, conns, names, inv);

  const subOid = await ensureSubscription(spec, ctx, conns, names, inv.published, cp().restartCopy === true);
  // After a drop-slot trip the copy starts over; post-data is replayed after it (what exists is skipped) to refresh the views.
  if (cp().restartCopy)
    await save({ restartCopy: false, copyDoneAt: undefined, rowsCopied: undefined, postDataDone: false });

  const watch = watcher(ctx, spec, s, names, subOid);

  // The copy.
  if (!cp().copyDoneAt) {
    const counted = await waitForCopy(ctx, conns, s, names, inv.published, watch);
    const rowsCopied = [...counted.values()].reduce((a, b) => a + b, 0);
    await save({ copyDoneAt: new Date(ctx.clock.now()).toISOString(), rowsCopied });
    ctx.event('copy-done', { tables: inv.published.length, rowsCopied });
  }
  if (s.schemaMode === 'copy' && !cp().postDataDone) {
    const done = await postData(ctx, conns, inv.tables, tools, () => postDataOnce(inv.tables));
    await save({ postDataDone: true });
    ctx.event('post-data-done', done);
  }

  const lag = await waitForLag(ctx, conns, s, names, watch);
  const syncedAt = new Date(ctx.clock.now()).toISOString();
  ctx.progress(`subscription ${names.subscription} in sync: slot lag ${formatBytes(lag)}`);
  return {
    publication: names.publication,
    subscription: names.subscription,
    slot: names.slot,
    tables: inv.published.map((t) => t.display),
    rowsCopied: cp().rowsCopied ?? 0,
    syncedAt,
    lagBytes: lag,
  };
}

/** Reads the source's tables and refuses what would break production or lose data, before anything is created. */
async function inventory(spec: LogicalReplicaSpec, ctx: Ctx, conns: Conns): Promise<Inventory> {
  const { major, tables, largeObjects } = await withSql(ctx, conns.source, 'source', async (src) => ({
    major: Number(
      (await src.read<{ m: number }>(`SELECT current_setting('server_version_num')::int / 10000 AS m`))[0].m,
    ),
    tables: await sourceTables(src, spec),
    largeObjects: Number((await src.read<{ n: string }>(LARGE_OBJECTS_SQL))[0].n),
  }));
  const published = publishable(tables);
  if (published.length === 0)
    throw new StepFailed(
      ctx.stepId,
      `the source has no table to publish in ${spec.schemas ? `schemas ${spec.schemas.join(', ')}` : `tables ${present(spec.tables, 'the tables of a step without schemas').join(', ')}`} (database ${conns.source.database}). Check the names in the plan.`,
    );
  const full = identityFullTargets(spec, tables);
  const refused = withoutIdentity(tables).filter((t) => !full.includes(t));
  if (refused.length) {
    throw new StepFailed(
      ctx.stepId,
      `${refused.map((t) => t.display).join(', ')} ${refused.length > 1 ? 'have' : 'has'} no primary key and no replica identity: once in a publication, every UPDATE and DELETE on ${refused.length > 1 ? 'them' : 'it'} would FAIL ON PRODUCTION. Nothing was created. Add a primary key, or opt in with replicaIdentityFull: [${refused.map((t) => t.display).join(', ')}] (ALTER TABLE … REPLICA IDENTITY FULL: each UPDATE/DELETE then logs the whole old row), then run apply again.`,
    );
  }
  if (largeObjects > 0 && spec.largeObjects !== 'skip') {
    throw new StepFailed(
      ctx.stepId,
      `the source database has ${largeObjects} large object(s) (pg_largeobject), which logical replication does not copy. Nothing was created. Move them into bytea columns, or set largeObjects: skip to go on without them.`,
    );
  }
  const leftOut = tables.filter((t) => t.kind === 'unlogged' || t.kind === 'foreign');
  if (leftOut.length && ctx.attempt === 1)
    ctx.warn(
      `left out of the publication (PostgreSQL cannot publish them): ${leftOut.map((t) => `${t.display} (${t.kind})`).join(', ')}; their rows are not copied`,
    );
  const owners = [...new Set(tables.filter((t) => t.kind !== 'foreign').map((t) => t.owner))];
  return { major, tables, published, full, owners };
}

/** Installs the DDL guard on the source; returns the id after which DDL trips it. */
async function guardDdl(ctx: Ctx, conns: Conns): Promise<number> {
  return withSql(ctx, conns.guard ?? conns.source, 'source (DDL guard)', (g) =>
    installGuard(g, conns.source.user),
  ).catch((err) => {
    throw new StepFailed(
      ctx.stepId,
      `could not install the DDL guard on the source: ${failureText(err)}. Creating an event trigger needs rds_superuser on RDS (stock PostgreSQL: a superuser; give ddlGuardConnection).`,
      { cause: err },
    );
  });
}

/** With schema: existing, the target must already hold the published tables; the marker table goes there either way. */
async function prepareTarget(ctx: Ctx, conns: Conns, schemaMode: string, inv: Inventory): Promise<void> {
  await withSql(ctx, conns.target, 'target', async (tgt) => {
    if (schemaMode === 'existing') {
      const problems = await missingOnTarget(await sourceReader(ctx, conns.source), tgt, inv.published);
      if (problems.length)
        throw new StepFailed(
          ctx.stepId,
          `schema: existing, but on the target ${problems.join('; ')}. Create them there (or use schema: copy), then run apply again.`,
        );
      await joinOwners(tgt, inv.owners);
    }
    for (const sql of MARKER_SETUP_SQL) await tgt.exec(sql);
  });
}

/** REPLICA IDENTITY FULL where opted in, then the publication (created or adopted). */
async function publish(ctx: Ctx, conns: Conns, names: ReplicationNames, inv: Inventory): Promise<void> {
  await withSql(ctx, conns.source, 'source', async (src) => {
    for (const t of inv.full) {
      const [row] = await src.read<{ r: string }>(`SELECT relreplident::text AS r FROM pg_class WHERE oid = $1`, [
        t.oid,
      ]);
      if (row?.r !== 'f') await src.execLocking(replicaIdentityFullSql(t));
    }
    const how = await ensurePublication(src, names.publication, inv.published, inv.major);
    ctx.event(how === 'created' ? 'publication-created' : 'publication-adopted', {
      publication: names.publication,
      tables: inv.published.map((t) => t.display),
    });
  });
}

/** After the copy: the rest of the schema (indexes, foreign keys), and the materialized views filled; what was done, for the event. */
async function postData(
  ctx: Ctx,
  conns: Conns,
  tables: SourceTable[],
  tools: PgToolsDeps,
  postDataDump: () => Promise<ParsedDump>,
): Promise<{ entries: number; materializedViews: string[] }> {
  ctx.progress(
    'every table is ready: creating the rest of the schema (indexes, foreign keys, materialized view data) on the target',
  );
  const n = await postDataDump()
    .then((dump) => copyPostData(tools, conns.target, dump))
    .catch((err) => {
      throw new StepFailed(
        ctx.stepId,
        `${(err as Error).message}. Fix the cause on the target, then run apply again (what was created is kept).`,
        { cause: err },
      );
    });
  // pg_dump --schema-only leaves materialized views empty: fill them from the copied tables.
  const views = tables.filter((t) => t.kind === 'matview');
  await withSql(ctx, conns.target, 'target', async (tgt) => {
    for (const v of views) await tgt.exec(`REFRESH MATERIALIZED VIEW ${v.sql}`);
  });
  return { entries: n, materializedViews: views.map((v) => v.display) };
}

/** Preflight's failures stop the step before it changes anything (its own refusals below word those two themselves). */
async function recheck(spec: LogicalReplicaSpec, ctx: Ctx): Promise<void> {
  const checks = await logicalReplicaPreflight(
    spec,
    {
      planName: ctx.planName,
      stepId: ctx.stepId,
      region: ctx.region,
      aws: ctx.aws,
      db: ctx.db,
      signal: ctx.signal,
      clock: ctx.clock,
      ...(ctx.commands ? { commands: ctx.commands } : {}),
    },
    { walBudget: false },
  );
  const failed = checks.filter(
    (c) => c.status === 'fail' && c.check !== 'replica identity' && c.check !== 'large objects',
  );
  if (failed.length) {
    throw new StepFailed(
      ctx.stepId,
      `${failed.map((c) => `${c.check}: ${c.detail}`).join('; ')}. ${checkpointOf(ctx).schemaDone ? 'Fix it' : 'Nothing was created. Fix it'}, then run apply again.`,
    );
  }
}

const checkpointOf = (ctx: Ctx): LogicalCheckpoint => (ctx.checkpoint.get() as LogicalCheckpoint | undefined) ?? {};

async function sourceReader(ctx: Ctx, source: ResolvedConnection): Promise<Pick<Sql, 'read'>> {
  return { read: (text, params) => withSql(ctx, source, 'source', (s) => s.read(text, params)) as never };
}

async function copySchema(
  spec: LogicalReplicaSpec,
  ctx: Ctx,
  conns: Conns,
  tables: SourceTable[],
  owners: string[],
  tools: PgToolsDeps,
  postDataDump: () => Promise<ParsedDump>,
): Promise<void> {
  const selection = selectionArgs(spec.schemas, tables);
  const step = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      if ((err as { code?: string }).code === 'STEP_FAILED' || ctx.signal.aborted) throw err;
      throw new StepFailed(
        ctx.stepId,
        `${what}: ${(err as Error).message}. Fix the cause, then run apply again (what was created is kept and adopted).`,
        { cause: err },
      );
    }
  };
  if (conns.target.database !== 'postgres') {
    const created = await withSql(ctx, { ...conns.target, database: 'postgres' }, 'target', (m) =>
      ensureDatabase(m, conns.target.database),
    );
    if (created) ctx.event('database-created', { database: conns.target.database });
  }
  ctx.progress('copying roles to the target (pg_dumpall --roles-only)');
  const [roles, cannotOwn] = await withSql(
    ctx,
    conns.target,
    'target',
    async (tgt) =>
      [
        await step('roles', () =>
          copyRoles({ ...tools, warn: ctx.warn }, conns.source, tgt, owners, spec.rolePasswords ?? {}),
        ),
        await ownersOutOfReach(tgt),
      ] as const,
  );
  ctx.event('roles-copied', { created: roles.created, skipped: roles.skipped, passwordsSet: roles.passwordsSet });
  const noPassword = rolesWithoutPassword(roles.dumped, spec, [conns.source.user, conns.target.user]);
  if (noPassword.length) {
    ctx.warn(
      `role${noPassword.length > 1 ? 's' : ''} ${noPassword.join(', ')} can log in to the source but ha${noPassword.length > 1 ? 've' : 's'} no password on the target (RDS does not let anyone read passwords): give ${noPassword.length > 1 ? 'them' : 'it'} in rolePasswords (\${env.…}), or list ${noPassword.length > 1 ? 'them' : 'it'} in rolesReady if ${noPassword.length > 1 ? 'they log' : 'it logs'} in another way (IAM)`,
    );
  }
  ctx.progress('copying the schema to the target (pg_dump --section=pre-data)');
  const preData = step('the schema copy (pre-data)', () =>
    copyPreData(
      tools,
      conns.source,
      conns.target,
      selection,
      cannotOwn,
      spec.schemas?.length ? undefined : schemasOf(tables),
    ),
  );
  // The post-data dump runs beside the pre-data copy (both only read the source); it waits for it.
  const dump = postDataDump();
  dump.catch(() => undefined); // a failure is reported where it is awaited, below
  await preData;
  ctx.progress("creating each table's primary key or replica-identity index on the target before the copy");
  const keys = await step('the keys before the copy', async () => copyKeys(tools, conns.target, await dump));
  await ctx.checkpoint.set({ ...(ctx.checkpoint.get() ?? {}), schemaDone: true });
  ctx.event('schema-copied', { keys: keys.length });
}

/** Observe the subscription by name; adopt it, or create it (dropping a slot of its name nobody reads, left by a crash). */
async function ensureSubscription(
  spec: LogicalReplicaSpec,
  ctx: Ctx,
  conns: Conns,
  names: ReplicationNames,
  published: SourceTable[],
  restart: boolean,
): Promise<number> {
  return withSql(ctx, conns.target, 'target', async (tgt) => {
    const found = await findSubscription(tgt, names.subscription);
    if (found) {
      if (!found.enabled) await tgt.exec(`ALTER SUBSCRIPTION ${q(names.subscription)} ENABLE`);
      ctx.event('subscription-adopted', { subscription: names.subscription });
      return found.oid;
    }
    // A slot of this name without the subscription: a crash during CREATE SUBSCRIPTION (whose
    // backend may still be finishing it: wait a little for it to commit or end), else a leftover.
    const adopted = await withSql(ctx, conns.source, 'source', async (src) => {
      for (let waited = 0; ; waited++) {
        const slot = (await slotsOf(src, names.slot)).find((x) => x.slot === names.slot);
        if (!slot) return undefined;
        const sub = await findSubscription(tgt, names.subscription);
        if (sub) return sub;
        if (!slot.active) {
          await src.exec(dropSlotSql, [names.slot]);
          return undefined;
        }
        if (waited >= 40)
          throw new StepFailed(
            ctx.stepId,
            `replication slot ${names.slot} on the source is in use by ${await slotReader(src, slot.pid)}, but the target has no subscription ${names.subscription}: another copy of this plan may be running elsewhere. Stop it, then run apply again.`,
          );
        await ctx.sleep(250 * ctx.timeScale);
      }
    });
    if (adopted) {
      ctx.event('subscription-adopted', { subscription: names.subscription });
      return adopted.oid;
    }
    const nonEmpty: SourceTable[] = [];
    for (const t of published) {
      const [r] = await tgt
        .read<{ any: boolean }>(`SELECT EXISTS (SELECT 1 FROM ${t.sql}) AS any`)
        .catch(() => [{ any: false }]);
      if (r?.any) nonEmpty.push(t);
    }
    if (nonEmpty.length && !restart) {
      throw new StepFailed(
        ctx.stepId,
        `the target's ${nonEmpty.map((t) => t.display).join(', ')} already hold rows, and the copy would add every source row again. Empty them on the target (or point the step at an empty database), then run apply again.`,
      );
    }
    if (nonEmpty.length) await tgt.exec(`TRUNCATE ${published.map((t) => t.sql).join(', ')}`);
    const publisher = publisherConnection(spec, conns.source);
    await tgt.exec(createSubscriptionSql(names, publisher, false), [], createSubscriptionSql(names, publisher, true));
    const created = await findSubscription(tgt, names.subscription);
    ctx.event('subscription-created', { subscription: names.subscription, slot: names.slot });
    return present(created, `subscription ${names.subscription} just created`).oid;
  });
}
