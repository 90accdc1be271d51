// The initial copy as the target sees it: each published table's state in pg_subscription_rel
// (i → d copying → f → s → r ready; with publish_via_partition_root only the root is listed) and the
// rows a table-sync worker has copied so far (pg_stat_progress_copy.tuples_processed) against the
// source's statistics (reltuples; a partitioned root sums its partitions). Every poll records a
// `copy-progress` sample per table in the event log, for the run report.
import { displayName } from '../verify-data/names.js';
import type { SourceTable } from './catalog.js';
import type { Sql } from './session.js';

export interface TableState {
  /** public.orders, as SourceTable.display writes it. */
  table: string;
  state: string;
  rows?: number;
}

export const SUBSCRIPTION_TABLES_SQL = `SELECT n.nspname AS schema, c.relname AS name, sr.srsubstate::text AS state
  FROM pg_subscription_rel sr JOIN pg_subscription s ON s.oid = sr.srsubid JOIN pg_class c ON c.oid = sr.srrelid JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE s.subname = $1 AND n.nspname <> 'aurora_migrate' ORDER BY 1, 2`;

export const COPY_PROGRESS_SQL = `SELECT n.nspname AS schema, c.relname AS name, p.tuples_processed::float8 AS rows
  FROM pg_stat_progress_copy p JOIN pg_class c ON c.oid = p.relid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE p.datname = current_database()`;

const STATE_NAMES: Record<string, string> = { i: 'waiting', d: 'copying', f: 'copied', s: 'syncing', r: 'ready' };
export const stateName = (s: string) => STATE_NAMES[s] ?? s;

export async function copyStates(target: Pick<Sql, 'read'>, subscription: string): Promise<TableState[]> {
  const name = (r: { schema: string; name: string }) => displayName({ schema: r.schema, table: r.name });
  const states = await target.read<{ schema: string; name: string; state: string }>(SUBSCRIPTION_TABLES_SQL, [
    subscription,
  ]);
  const progress = new Map(
    (await target.read<{ schema: string; name: string; rows: number }>(COPY_PROGRESS_SQL)).map((r) => [
      name(r),
      Number(r.rows),
    ]),
  );
  return states.map((s) => ({
    table: name(s),
    state: s.state,
    ...(progress.has(name(s)) ? { rows: progress.get(name(s)) } : {}),
  }));
}

/** Rows now on the target, for tables that became ready (counted once each, on the target, never on production). */
export async function countRows(target: Pick<Sql, 'read'>, table: SourceTable): Promise<number> {
  const [r] = await target.read<{ n: string }>(`SELECT count(*)::bigint AS n FROM ${table.sql}`);
  return Number(r?.n ?? 0);
}

/** One line for live progress: "3/5 tables ready; public.orders copying 120,000/200,000 rows (60%)". */
export function progressLine(states: TableState[], totals: ReadonlyMap<string, number>): string {
  const ready = states.filter((s) => s.state === 'r').length;
  const busy = states
    .filter((s) => s.state !== 'r')
    .slice(0, 3)
    .map((s) => {
      const total = totals.get(s.table);
      const rows =
        s.rows !== undefined
          ? ` ${s.rows.toLocaleString('en-US')}${total && total > 0 ? `/${Math.round(total).toLocaleString('en-US')} rows (${Math.min(100, Math.round((100 * s.rows) / total))}%)` : ' rows'}`
          : '';
      return `${s.table} ${stateName(s.state)}${rows}`;
    });
  return `${ready}/${states.length} tables ready${busy.length ? `; ${busy.join('; ')}` : ''}`;
}

/** The subscription's error counters (15+: pg_stat_subscription_stats), for a copy or an apply that keeps failing. */
export async function subscriptionErrors(
  target: Pick<Sql, 'read'>,
  subscription: string,
): Promise<{ apply: number; sync: number } | undefined> {
  const [exists] = await target.read<{ ok: boolean }>(
    `SELECT to_regclass('pg_catalog.pg_stat_subscription_stats') IS NOT NULL AS ok`,
  );
  if (!exists?.ok) return undefined;
  const [r] = await target.read<{ apply: string; sync: string }>(
    'SELECT apply_error_count::text AS apply, sync_error_count::text AS sync FROM pg_stat_subscription_stats WHERE subname = $1',
    [subscription],
  );
  return r ? { apply: Number(r.apply), sync: Number(r.sync) } : undefined;
}

export function errorsText(
  errors: { apply: number; sync: number } | undefined,
  since: { apply: number; sync: number } | undefined,
): string {
  if (!errors) return '';
  const apply = errors.apply - (since?.apply ?? 0);
  const sync = errors.sync - (since?.sync ?? 0);
  if (apply <= 0 && sync <= 0) return '';
  return `; the target's ${[sync > 0 ? `table-sync workers failed ${sync} time(s)` : '', apply > 0 ? `apply worker failed ${apply} time(s)` : ''].filter(Boolean).join(' and ')} (see the target's log)`;
}
