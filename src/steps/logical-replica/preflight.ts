// Read-only checks of logical-replica (plan --preflight, and again at the start of apply): what
// would stop the copy, or hurt production, before anything is created. Each failure says what to
// run to fix it (the exact GRANT for a missing privilege).
import type { DbSession, ResolvedConnection } from '../../db/api.js';
import type { LogicalReplicaSpec } from '../../plan/types.js';
import { formatBytes } from '../../plan/units.js';
import { metricDataParams, MINUTE, seriesById } from '../../rds/metrics.js';
import { known } from '../preflight-helpers.js';
import type { CheckResult, PreflightContext } from '../step.js';
import {
  LARGE_OBJECTS_SQL,
  identityFullTargets,
  publishable,
  sourceTables,
  withoutIdentity,
  type SourceTable,
} from './catalog.js';
import { nodeRunner, programVersions } from '../commands.js';
import { namesOf } from './spec.js';
import { toResolvedConnection } from '../../db/connection.js';
import { sourceSideChecks, targetSideChecks } from './preflight-servers.js';

type Read = <R = Record<string, unknown>>(sql: string, params?: unknown[]) => Promise<R[]>;

/** Copy speed assumed for the WAL budget (measured here: 2.2M rows, ~250 MB, in about 10 s; AWS is slower). */
export const ASSUMED_COPY_BYTES_PER_S = 20 * 1024 * 1024;

async function open(ctx: PreflightContext, conn: ResolvedConnection): Promise<{ read: Read; close(): Promise<void> }> {
  const session: DbSession = await ctx.db.connect(conn, { signal: ctx.signal, statementTimeoutMs: 15_000 });
  return {
    read: async (sql, params) => (await session.query(sql, params)).rows as never,
    close: () => session.close(),
  };
}

export async function logicalReplicaPreflight(
  spec: LogicalReplicaSpec,
  ctx: PreflightContext,
  options: { walBudget?: boolean } = {},
): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  const sourceKnown = [
    spec.source.host,
    spec.source.user,
    spec.source.database,
    String(spec.source.port ?? '5432'),
    spec.source.password ?? 'none',
  ].every(known);
  // The target is usually created by an earlier step: its checks wait, the source's do not (a
  // refusal must come before a reboot or a new cluster).
  const targetKnown = [
    spec.target.host,
    spec.target.user,
    spec.target.database,
    String(spec.target.port ?? '5432'),
    spec.target.password ?? 'none',
  ].every(known);
  if (!sourceKnown)
    return [
      {
        status: 'warn',
        check: 'source reachable',
        detail:
          'skipped: a source connection value is known only after an earlier step has run (or an ${env.…} value is unset)',
      },
    ];
  let conns: { source: ResolvedConnection; target?: ResolvedConnection };
  try {
    conns = {
      source: toResolvedConnection(spec.source, 'source'),
      ...(targetKnown ? { target: toResolvedConnection(spec.target, 'target') } : {}),
    };
  } catch (err) {
    return [{ status: 'fail', check: 'connections', detail: (err as Error).message }];
  }
  const names = namesOf(ctx.planName, ctx.stepId);
  let src: Awaited<ReturnType<typeof open>>;
  try {
    src = await open(ctx, conns.source);
  } catch (err) {
    return [{ status: 'fail', check: 'source reachable', detail: (err as Error).message }];
  }
  let sourceMajor = 0;
  let tables: SourceTable[] = [];
  let extensions: string[] = [];
  try {
    sourceMajor = Number(
      (await src.read<{ m: number }>(`SELECT current_setting('server_version_num')::int / 10000 AS m`))[0].m,
    );
    tables = await sourceTables(src, spec);
    extensions = (
      await src.read<{ e: string }>(`SELECT extname AS e FROM pg_extension WHERE extname <> 'plpgsql' ORDER BY 1`)
    ).map((r) => r.e);
    results.push(...tableChecks(spec, tables, conns.source.user));
    const [lo] = await src.read<{ n: string }>(LARGE_OBJECTS_SQL);
    const los = Number(lo?.n ?? 0);
    results.push(
      los === 0
        ? { status: 'pass', check: 'large objects', detail: 'none in the source database' }
        : spec.largeObjects === 'skip'
          ? {
              status: 'warn',
              check: 'large objects',
              detail: `${los} large object(s) will NOT be copied (largeObjects: skip)`,
            }
          : {
              status: 'fail',
              check: 'large objects',
              detail: `${los} large object(s) in the source database; logical replication does not copy them. Move them into bytea columns, or set largeObjects: skip`,
            },
    );
    results.push(...(await sourceSideChecks(src.read, spec, ctx, names, conns.source.user)));
    if (options.walBudget !== false) results.push(await walBudget(src.read, spec, ctx, tables));
  } catch (err) {
    results.push({
      status: 'fail',
      check: 'source checks',
      detail: `could not read the source's catalog: ${(err as Error).message}`,
    });
  } finally {
    await src.close().catch(() => undefined);
  }
  const owners = [...new Set(tables.filter((t) => t.kind !== 'foreign').map((t) => t.owner))];
  if (conns.target) results.push(...(await targetSideChecks(ctx, conns.target, sourceMajor, open, extensions, owners)));
  else
    results.push({
      status: 'warn',
      check: 'target checks',
      detail: `skipped: the target (${spec.target.host}) is known only after an earlier step has run; its version, privileges and workers are checked when apply reaches this step`,
    });
  if ((spec.schema ?? 'copy') === 'copy') results.push(...(await toolChecks(ctx, sourceMajor)));
  return results;
}

function tableChecks(spec: LogicalReplicaSpec, tables: SourceTable[], user: string): CheckResult[] {
  const out: CheckResult[] = [];
  const pub = publishable(tables);
  out.push(
    pub.length
      ? {
          status: 'pass',
          check: 'tables to publish',
          detail: `${pub.length}: ${pub.map((t) => `${t.display}${t.kind === 'partitioned' ? ' (partitioned, through its root)' : ''}`).join(', ')}`,
        }
      : { status: 'fail', check: 'tables to publish', detail: 'no ordinary or partitioned table in the selection' },
  );
  const notOwned = [
    ...new Set(tables.filter((t) => (t.kind === 'table' || t.kind === 'partitioned') && !t.owned).map((t) => t.owner)),
  ];
  out.push(
    notOwned.length
      ? {
          status: 'fail',
          check: 'table ownership for the publication',
          detail: `${user} must own the published tables (membership in the owning role counts). Run on the source: ${notOwned.map((o) => `GRANT ${o} TO ${user};`).join(' ')}`,
        }
      : {
          status: 'pass',
          check: 'table ownership for the publication',
          detail: `${user} may publish every table (owner or member of the owner)`,
        },
  );
  const missing = withoutIdentity(tables);
  const full = identityFullTargets(spec, tables);
  const refused = missing.filter((t) => !full.includes(t));
  if (refused.length)
    out.push({
      status: 'fail',
      check: 'replica identity',
      detail: `${refused.map((t) => t.display).join(', ')} ha${refused.length > 1 ? 've' : 's'} no primary key and no replica identity: in a publication, UPDATE and DELETE on ${refused.length > 1 ? 'them' : 'it'} fail on production. Add a primary key, or opt in with replicaIdentityFull: [${refused.map((t) => t.display).join(', ')}]`,
    });
  else if (full.length)
    out.push({
      status: 'warn',
      check: 'replica identity',
      detail: `ALTER TABLE … REPLICA IDENTITY FULL will run on the source for ${full.map((t) => t.display).join(', ')} (opted in): each UPDATE/DELETE then logs the whole old row`,
    });
  else
    out.push({
      status: 'pass',
      check: 'replica identity',
      detail: 'every table has a primary key or a replica identity',
    });
  const left = tables.filter((t) => t.kind === 'unlogged' || t.kind === 'foreign');
  if (left.length)
    out.push({
      status: 'warn',
      check: 'tables that cannot be published',
      detail: `left out, their rows are not copied: ${left.map((t) => `${t.display} (${t.kind})`).join(', ')}`,
    });
  const mv = tables.filter((t) => t.kind === 'matview');
  if (mv.length)
    out.push({
      status: 'pass',
      check: 'materialized views',
      detail: `${mv.map((t) => t.display).join(', ')}: created empty with the schema, filled after the copy and refreshed again at the switchover (not replicated)`,
    });
  return out;
}

async function walBudget(
  read: Read,
  spec: LogicalReplicaSpec,
  ctx: PreflightContext,
  tables: SourceTable[],
): Promise<CheckResult> {
  const check = 'WAL budget during the copy';
  const pub = publishable(tables);
  const [size] = await read<{ b: string }>(
    `SELECT COALESCE(sum(pg_total_relation_size(c.oid)), 0)::bigint AS b FROM pg_class c WHERE c.oid = ANY($1::oid[]) OR (c.relispartition AND pg_partition_root(c.oid) = ANY($1::oid[]))`,
    [pub.map((t) => t.oid)],
  );
  const lsn = async () => (await read<{ l: string }>('SELECT pg_current_wal_lsn()::text AS l'))[0].l;
  const t0 = Date.now();
  const a = await lsn();
  await new Promise((r) => setTimeout(r, 500));
  const b = await lsn();
  const [d] = await read<{ d: number }>('SELECT pg_wal_lsn_diff($1, $2)::float8 AS d', [b, a]);
  const rate = Math.max(0, Number(d?.d ?? 0)) / ((Date.now() - t0) / 1000);
  const copySeconds = Math.max(60, Number(size?.b ?? 0) / ASSUMED_COPY_BYTES_PER_S);
  const need = rate * copySeconds;
  const what = `data ${formatBytes(Number(size?.b ?? 0))}, copy ≈ ${Math.round(copySeconds)}s at ${formatBytes(ASSUMED_COPY_BYTES_PER_S)}/s, WAL now ${formatBytes(rate)}/s → ≈ ${formatBytes(need)} of WAL kept by the slot`;
  if (!spec.instance || !known(spec.instance))
    return { status: 'pass', check, detail: `${what} (give instance to compare with FreeStorageSpace)` };
  const now = ctx.clock?.now() ?? Date.now();
  const out = await ctx.aws.send(
    'cloudwatch',
    'GetMetricData',
    metricDataParams(
      [{ id: 'free', metric: 'FreeStorageSpace', instance: spec.instance, stat: 'Minimum' }],
      now - 15 * MINUTE,
      now,
    ),
    { signal: ctx.signal },
  );
  const free = seriesById(out).get('free')?.[0]?.v;
  if (free === undefined)
    return {
      status: 'warn',
      check,
      detail: `${what}; no FreeStorageSpace datapoint for ${spec.instance} in the last 15 minutes`,
    };
  if (need > free)
    return {
      status: 'fail',
      check,
      detail: `${what}, but ${spec.instance} has only ${formatBytes(free)} free: add storage before the copy`,
    };
  return {
    status: need > free / 2 ? 'warn' : 'pass',
    check,
    detail: `${what}; ${spec.instance} has ${formatBytes(free)} free`,
  };
}

async function toolChecks(ctx: PreflightContext, sourceMajor: number): Promise<CheckResult[]> {
  const versions = await programVersions(ctx.commands ?? nodeRunner, ctx.env);
  return Object.entries(versions).map(([program, v]): CheckResult => {
    const check = `${program} available`;
    if (v.problem) return { status: 'fail', check, detail: v.problem };
    if (sourceMajor && v.major !== undefined && v.major < sourceMajor)
      return {
        status: 'fail',
        check,
        detail: `${v.path} is version ${v.version}, older than the source (${sourceMajor}); install the client of major ${sourceMajor} or newer (or set PG_BINDIR)`,
      };
    return { status: 'pass', check, detail: `${v.path} ${v.version}` };
  });
}
