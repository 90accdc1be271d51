// Independent checks of a finished rehearsal, read from the world itself rather than from the tool's
// output: the AWS stand-in's resources and the calls it answered, and the rows in PostgreSQL. The demo
// prints them; the rehearsal tests assert them.
import type { RehearsalWorld } from './rehearsal-world.js';

export interface WorldCheck {
  name: string;
  ok: boolean;
  detail: string;
}

export interface WorldSummary {
  ok: boolean;
  checks: WorldCheck[];
  /** Human-readable lines, one per check, plus the mutating calls the stand-in answered. */
  lines: string[];
}

const MUTATING = /^(Create|Restore|Promote|Add|Start|Put|Copy|Modify|Delete|Change)/;

export async function summarizeWorld(world: RehearsalWorld, clusterId = 'orders-aurora'): Promise<WorldSummary> {
  const { rds, calls } = world.aws;
  const checks: WorldCheck[] = [];
  const check = (name: string, ok: boolean, detail: string) => checks.push({ name, ok, detail });

  const clusters = [...rds.clusters.values()];
  check(
    'one cluster',
    clusters.length === 1 && clusters[0]!.id === clusterId,
    `clusters in the account: ${clusters.map((c) => c.id).join(', ') || 'none'}`,
  );
  const cluster = rds.clusters.get(clusterId);
  if (cluster) {
    const status = rds.clusterStatus(cluster);
    const replica = rds.isReplica(cluster);
    check(
      'cluster promoted',
      status === 'available' && !replica,
      `${clusterId} is ${status}${replica ? ', still a read replica' : ', standalone (no replication source)'}`,
    );
  }
  const members = [...rds.instances.values()].filter((i) => i.clusterId === clusterId);
  check(
    'one instance in the cluster',
    members.length === 1,
    `instances in ${clusterId}: ${members.map((i) => i.id).join(', ') || 'none'}`,
  );

  for (const op of ['CreateDBCluster', 'CreateDBInstance', 'PromoteReadReplicaDBCluster', 'AddRoleToDBCluster']) {
    const sent = calls.count(op);
    const accepted = calls.succeeded(op);
    check(`${op} once`, sent === 1 && accepted === 1, `${op}: received ${sent}, accepted ${accepted}`);
  }

  const inTable = await world.rowsPerFile();
  const problems: string[] = [];
  for (const f of world.backfill) {
    const got = inTable.get(f.key);
    if (!got) problems.push(`${f.key}: not imported`);
    else if (got.rows !== f.rows || got.ids !== f.rows)
      problems.push(`${f.key}: ${got.rows} rows (${got.ids} distinct ids) in the table, ${f.rows} in the file`);
  }
  for (const key of inTable.keys())
    if (!world.backfill.some((f) => f.key === key)) problems.push(`${key}: rows from an unknown file`);
  const fileRows = world.backfill.reduce((n, f) => n + f.rows, 0);
  const tableRows = [...inTable.values()].reduce((n, r) => n + r.rows, 0);
  check(
    'each backfill file imported exactly once',
    problems.length === 0,
    problems.length === 0
      ? `${world.backfill.length} files, ${tableRows} rows in the table = ${fileRows} rows in the files`
      : problems.slice(0, 5).join('; ') + (problems.length > 5 ? `; … ${problems.length - 5} more` : ''),
  );

  const mutating = Object.entries(calls.byOperation())
    .filter(([op]) => MUTATING.test(op))
    .map(([op, n]) => `${op}×${n}`)
    .join(', ');
  const reads = Object.entries(calls.byOperation())
    .filter(([op]) => !MUTATING.test(op))
    .map(([op, n]) => `${op}×${n}`)
    .join(', ');
  const lines = [
    ...checks.map((c) => `${c.ok ? '✔' : '✘'} ${c.name}: ${c.detail}`),
    `calls the stand-in answered — changes: ${mutating || 'none'}`,
    `                               reads: ${reads || 'none'}`,
  ];
  return { ok: checks.every((c) => c.ok), checks, lines };
}
