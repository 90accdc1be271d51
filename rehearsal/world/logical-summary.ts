// Independent checks of a finished logical-route rehearsal, read from the world itself rather than
// from the tool's output: the stand-in's calls and Route 53 record, and the rows, sequences and
// replication objects on both real servers. The demo prints them (and --json carries them).
// Tables the application keeps changing on Aurora after the switch (orders, app_writes) are not
// compared by count: verify-data did that inside the cutover window, and the writer's own check
// (report.ts) proves every acknowledged write arrived.
import type { WorldCheck } from './world-summary.js';
import { APP_NAME } from './rehearsal-world.js';
import { LOGICAL_SOURCE_MAJOR, LOGICAL_TARGET_CLUSTER, type LogicalRehearsalWorld } from './logical-world.js';

export interface LogicalSummary {
  ok: boolean;
  checks: WorldCheck[];
  /** Human-readable lines, one per check, plus the mutating calls the stand-in answered. */
  lines: string[];
  sourceVersion: string;
  targetVersion?: string;
}

/** Tables the application does not change after the switch: their rows must be on Aurora as on the source. */
const STILL_TABLES = ['customers', 'events', 'audit_log', '"Order Notes"'];
const MUTATING = /^(Create|Restore|Promote|Add|Start|Put|Copy|Modify|Delete|Change|Reboot)/;

export async function summarizeLogicalWorld(
  world: LogicalRehearsalWorld,
  extra: { texts: string[]; duplicateKeyErrors: number },
): Promise<LogicalSummary> {
  const { calls } = world.aws;
  const checks: WorldCheck[] = [];
  const check = (name: string, ok: boolean, detail: string) => checks.push({ name, ok, detail });
  const src = <R>(sql: string) => world.source.query<R>(sql, [], 'orders');

  const [wal] = await world.source.query<{ w: string }>(`SELECT current_setting('wal_level') AS w`);
  check(
    'source rebooted once into logical replication',
    world.source.major === LOGICAL_SOURCE_MAJOR && wal!.w === 'logical' && calls.succeeded('RebootDBInstance') === 1,
    `PostgreSQL ${world.source.version}, wal_level = ${wal!.w}, RebootDBInstance: ${calls.succeeded('RebootDBInstance')} accepted`,
  );
  const server = world.targetServer();
  const tgt = <R>(sql: string) => server!.query<R>(sql, [], 'orders');
  check(
    'a new, empty cluster of a newer major (no promotion)',
    server?.major === 18 &&
      calls.succeeded('CreateDBCluster') === 1 &&
      calls.succeeded('CreateDBInstance') === 1 &&
      calls.count('PromoteReadReplicaDBCluster') === 0,
    `${LOGICAL_TARGET_CLUSTER}: PostgreSQL ${server?.version ?? 'not running'}; CreateDBCluster ${calls.succeeded('CreateDBCluster')}, CreateDBInstance ${calls.succeeded('CreateDBInstance')}, PromoteReadReplicaDBCluster ${calls.count('PromoteReadReplicaDBCluster')}`,
  );
  if (!server) return finish(checks, world);

  const counts: string[] = [];
  let same = true;
  for (const t of STILL_TABLES) {
    const [a] = await src<{ n: string }>(`SELECT count(*) AS n FROM ${t}`);
    const [b] = await tgt<{ n: string }>(`SELECT count(*) AS n FROM ${t}`);
    same &&= a!.n === b!.n && Number(a!.n) > 0;
    counts.push(`${t} ${a!.n}/${b!.n}`);
  }
  check(
    'rows of the tables the application leaves alone',
    same,
    `source/Aurora: ${counts.join(', ')} (the partitioned events through its root)`,
  );

  const seq = async (q: typeof src, name: string) =>
    (await q<{ v: string; c: boolean }>(`SELECT last_value::text AS v, is_called AS c FROM ${name}`))[0]!;
  const [inv, invT, cust, custT, ord, ordT] = await Promise.all([
    seq(src, 'invoice_numbers'),
    seq(tgt, 'invoice_numbers'),
    seq(src, 'customers_id_seq'),
    seq(tgt, 'customers_id_seq'),
    seq(src, 'orders_id_seq'),
    seq(tgt, 'orders_id_seq'),
  ]);
  check(
    'sequences copied exactly at the switchover',
    inv.v === invT.v && inv.c === invT.c && cust.v === custT.v && BigInt(ordT.v) >= BigInt(ord.v),
    `invoice_numbers ${inv.v}/${invT.v}, customers' identity ${cust.v}/${custT.v}, orders' serial ${ord.v} on the source, ${ordT.v} on Aurora (the application's inserts since)`,
  );
  const [after] = await tgt<{ n: string }>(`SELECT count(*) AS n FROM orders WHERE id > ${BigInt(ord.v)}`);
  check(
    "the application's inserts on Aurora take new keys",
    Number(after!.n) > 0 && extra.duplicateKeyErrors === 0,
    `${after!.n} orders inserted on Aurora after the switch, every id above the source's last (${ord.v}); duplicate-key errors: ${extra.duplicateKeyErrors}`,
  );
  const [mv] = await tgt<{ populated: boolean; n: string }>(
    `SELECT (SELECT relispopulated FROM pg_class WHERE relname = 'order_totals') AS populated, (SELECT count(*) FROM order_totals) AS n`,
  );
  check('materialized view refreshed on Aurora', mv!.populated && Number(mv!.n) > 0, `order_totals: ${mv!.n} rows`);
  const [cache] = await tgt<{ n: string }>(`SELECT count(*) AS n FROM session_cache`);
  check(
    'unlogged table: schema only, as preflight said',
    cache!.n === '0',
    `session_cache on Aurora: ${cache!.n} rows (unlogged tables cannot be published)`,
  );
  const [ident] = await src<{ r: string }>(
    `SELECT relreplident::text AS r FROM pg_class WHERE oid = 'audit_log'::regclass`,
  );
  check(
    'audit_log (no primary key) published with the opt-in',
    ident!.r === 'f',
    `REPLICA IDENTITY ${ident!.r === 'f' ? 'FULL' : ident!.r} on the source`,
  );

  // What stays is the fallback's reverse replication only: the old source subscribes to one slot on
  // Aurora, which it reads (active); no forward slot, publication or DDL guard on the old source and
  // no forward subscription on Aurora.
  const names = async (q: typeof src, sql: string) => (await q<{ n: string }>(sql)).map((r) => r.n);
  const onSource = {
    slots: (await world.source.query<{ n: string }>('SELECT slot_name AS n FROM pg_replication_slots')).map((r) => r.n),
    publications: await names(src, 'SELECT pubname AS n FROM pg_publication'),
    triggers: await names(src, 'SELECT evtname AS n FROM pg_event_trigger'),
    subscriptions: await names(src, 'SELECT subname AS n FROM pg_subscription'),
  };
  const onAurora = {
    subscriptions: await names(tgt, 'SELECT subname AS n FROM pg_subscription'),
    slots: await names(
      tgt,
      "SELECT slot_name || CASE WHEN active THEN '' ELSE ' (inactive)' END AS n FROM pg_replication_slots WHERE slot_name NOT LIKE 'pg\\_%\\_sync\\_%'",
    ),
  };
  const left = [
    ...onSource.slots.map((x) => `slot ${x} on the old source`),
    ...onSource.publications.map((x) => `publication ${x} on the old source`),
    ...onSource.triggers.map((x) => `event trigger ${x}`),
    ...onAurora.subscriptions.map((x) => `subscription ${x} on Aurora`),
  ];
  const reverseOk =
    onSource.subscriptions.length === 1 && onAurora.slots.length === 1 && !onAurora.slots[0]!.endsWith('(inactive)');
  check(
    "only the fallback's reverse replication is left",
    left.length === 0 && reverseOk,
    `${left.length ? `still there: ${left.join(', ')}; ` : ''}reverse: subscription ${onSource.subscriptions.join(', ') || 'none'} on the old source, slot ${onAurora.slots.join(', ') || 'none'} on Aurora`,
  );
  // Every row the application wrote on Aurora after the switch reaches the old source (the fallback
  // would lose nothing): the writer's table and orders, once the old source has caught up.
  let behind = '';
  for (let i = 0; i < 100; i++) {
    const diffs: string[] = [];
    for (const [t, key] of [
      ['app_writes', 'seq'],
      ['orders', 'id'],
    ] as const) {
      const [a] = await tgt<{ n: string; m: string | null }>(`SELECT count(*) AS n, max(${key})::text AS m FROM ${t}`);
      const [b] = await src<{ n: string; m: string | null }>(`SELECT count(*) AS n, max(${key})::text AS m FROM ${t}`);
      if (a!.n !== b!.n || a!.m !== b!.m) diffs.push(`${t} ${a!.n} rows on Aurora, ${b!.n} on the old source`);
    }
    behind = diffs.join('; ');
    if (!behind) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  check(
    'writes made on Aurora after the switch are on the old source',
    !behind,
    behind || 'app_writes and orders: the same rows on both (counts and last ids)',
  );

  const record = world.aws.route53.record(APP_NAME, 'CNAME')?.values ?? [];
  const reaches = record.length === 1 ? world.aws.resolveEndpoint(record[0]!) : undefined;
  check(
    'the DNS name reaches Aurora',
    reaches?.port === server.port,
    `${APP_NAME} → ${record.join(', ') || 'nothing'} (${reaches ? `port ${reaches.port}` : 'no server'}; Aurora listens on ${server.port})`,
  );

  const leaked = world.secrets.filter((s) => extra.texts.some((t) => t.includes(s)));
  check(
    'no password in output, state or event log',
    leaked.length === 0,
    leaked.length
      ? `${leaked.length} password(s) found`
      : `${world.secrets.length} passwords, none in ${extra.texts.length} texts`,
  );
  return finish(checks, world, server.version);
}

function finish(checks: WorldCheck[], world: LogicalRehearsalWorld, targetVersion?: string): LogicalSummary {
  const ops = Object.entries(world.aws.calls.byOperation());
  const list = (mutating: boolean) =>
    ops
      .filter(([op]) => MUTATING.test(op) === mutating)
      .map(([op, n]) => `${op}×${n}`)
      .join(', ') || 'none';
  return {
    ok: checks.every((c) => c.ok),
    checks,
    lines: [
      ...checks.map((c) => `${c.ok ? '✔' : '✘'} ${c.name}: ${c.detail}`),
      `calls the stand-in answered — changes: ${list(true)}`,
      `                               reads: ${list(false)}`,
    ],
    sourceVersion: world.source.version,
    targetVersion,
  };
}
