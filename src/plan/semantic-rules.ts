// Per-step rules the schema cannot express: unique ids, RDS identifiers (when literal), duration
// ranges, guard bounds and units, and the "exactly one of" pairs.
import { parseDuration, parseSize } from './units.js';
import {
  identifierProblem,
  iamRoleProblem,
  instanceRefProblem,
  masterUsernameProblem,
  parameterGroupProblem,
  snapshotRefProblem,
} from './rds-identifier.js';
import { didYouMean } from './suggest.js';
import { isLiteral, isRecord, type Report } from './semantic-problem.js';
import { checkApproval, checkNotify } from './semantic-team.js';
import { checkLogicalSwitchover } from './semantic-switchover.js';
import { checkReverseReplication } from './reverse-pairing.js';

/** AWS/RDS metrics the tool knows (docs/plans.md "lag-watch"), their unit and where they are published. */
export const KNOWN_METRICS: Readonly<
  Record<string, { unit: 'bytes' | 'seconds' | 'milliseconds' | 'count' | 'percent'; on?: 'source' | 'replica' }>
> = {
  RDSToAuroraPostgreSQLReplicaLag: { unit: 'seconds', on: 'replica' },
  OldestReplicationSlotLag: { unit: 'bytes', on: 'source' },
  TransactionLogsDiskUsage: { unit: 'bytes', on: 'source' },
  ReplicationSlotDiskUsage: { unit: 'bytes', on: 'source' },
  FreeStorageSpace: { unit: 'bytes', on: 'source' },
  FreeableMemory: { unit: 'bytes' },
  ReplicaLag: { unit: 'seconds', on: 'source' },
  AuroraReplicaLag: { unit: 'milliseconds', on: 'replica' },
  DatabaseConnections: { unit: 'count' },
  CPUUtilization: { unit: 'percent' },
};

/** Where a step stands in the plan, for the rules that look beyond the step itself. */
interface StepPlace {
  steps: readonly unknown[];
  i: number;
  /** The index of the freeze-writes step when one comes before this step. */
  freezeAt?: number;
}

type StepRule = (step: Record<string, unknown>, at: string, report: Report, place: StepPlace) => void;

/** The rules of each step type that the schema cannot say. */
const STEP_RULES = new Map<string, StepRule>([
  [
    'snapshot-migrate',
    (step, at, report) => {
      exactlyOne(step, at, 'source', 'snapshot', report);
      literal(step.source, `${at}/source`, (v) => instanceRefProblem(v, 'source'), report);
      literal(step.snapshot, `${at}/snapshot`, (v) => snapshotRefProblem(v, 'snapshot'), report);
      checkNewCluster(step, at, report);
    },
  ],
  [
    'aurora-read-replica',
    (step, at, report) => {
      literal(step.source, `${at}/source`, (v) => instanceRefProblem(v, 'source'), report);
      checkNewCluster(step, at, report);
    },
  ],
  ['lag-watch', (step, at, report) => checkLagWatch(step, at, report)],
  [
    'promote',
    (step, at, report, { freezeAt }) => {
      if (freezeAt !== undefined && step.replicaConnection === undefined) {
        report(
          at,
          `give "replicaConnection" (the replica's reader endpoint, port and database): freeze-writes (steps[${freezeAt}]) runs before this promote, and the caught-up proof reads its marker there`,
          { target: 'key' },
        );
      }
      literal(step.cluster, `${at}/cluster`, (v) => identifierProblem(v, 'cluster'), report);
      literal(step.replica, `${at}/replica`, (v) => identifierProblem(v, 'replica'), report);
    },
  ],
  ['s3-import', (step, at, report) => checkS3Import(step, at, report)],
  ['s3-export', (step, at, report) => checkPort(step.connection, `${at}/connection`, report)],
  ['approval', (step, at, report) => checkApproval(step, at, report)],
  [
    'verify-data',
    (step, at, report) => {
      if (step.tables === undefined && step.schemas === undefined)
        report(at, 'give "tables" or "schemas" (or both): what to compare', { target: 'key' });
    },
  ],
  [
    'freeze-writes',
    (step, at, report, { freezeAt }) => {
      checkFreeze(step, at, report);
      if (freezeAt !== undefined)
        report(
          `${at}/type`,
          `a plan has at most one freeze-writes step (steps[${freezeAt}] already opens the cutover window)`,
        );
    },
  ],
  ['switch-endpoint', (step, at, report) => checkTtl(step, at, report)],
  ['lift-fence', (step, at, report) => checkPort(step.connection, `${at}/connection`, report)],
  [
    'enable-logical-replication',
    (step, at, report) => {
      literal(step.instance, `${at}/instance`, (v) => instanceRefProblem(v, 'instance'), report);
      literal(step.parameterGroup, `${at}/parameterGroup`, (v) => parameterGroupProblem(v, 'parameterGroup'), report);
    },
  ],
  [
    'aurora-cluster',
    (step, at, report) => {
      checkNewCluster(step, at, report);
      literal(step.masterUsername, `${at}/masterUsername`, (v) => masterUsernameProblem(v, 'masterUsername'), report);
      literal(
        step.clusterParameterGroup,
        `${at}/clusterParameterGroup`,
        (v) => parameterGroupProblem(v, 'clusterParameterGroup'),
        report,
      );
      literal(
        step.engineVersion,
        `${at}/engineVersion`,
        (v) =>
          /^\d+(\.\d+){0,2}$/.test(v)
            ? undefined
            : `engineVersion "${v.slice(0, 40)}" is not an Aurora PostgreSQL version such as 17.4`,
        report,
      );
    },
  ],
  ['logical-replica', (step, at, report) => checkLogicalReplica(step, at, report)],
  [
    'drop-replication',
    (step, at, report) => {
      checkPort(step.connection, `${at}/connection`, report);
      if (
        ![step.subscriptions, step.publications, step.slots].some((v) => Array.isArray(v) && v.length > 0) &&
        step.ddlGuard !== true
      ) {
        report(at, 'give at least one of "subscriptions", "publications", "slots" or "ddlGuard: true": what to drop', {
          target: 'key',
        });
      }
    },
  ],
  [
    'logical-switchover',
    (step, at, report, { steps, i, freezeAt }) => {
      checkLogicalSwitchover(steps, i, freezeAt, report);
      checkPort(step.source, `${at}/source`, report);
      checkPort(step.target, `${at}/target`, report);
    },
  ],
  [
    'reverse-replication',
    (step, at, report, { steps, i }) => {
      checkReverseReplication(steps, i, report);
      for (const k of ['source', 'target', 'publisherEndpoint']) checkPort(step[k], `${at}/${k}`, report);
      if (isLiteral(step.maxLag) && parseSize(step.maxLag) === undefined)
        report(`${at}/maxLag`, `must be a size such as 16MiB (got ${JSON.stringify(step.maxLag.slice(0, 40))})`);
    },
  ],
  [
    'cluster-export',
    (step, at, report) => {
      literal(step.cluster, `${at}/cluster`, (v) => identifierProblem(v, 'cluster'), report);
      literal(step.iamRole, `${at}/iamRole`, (v) => iamRoleProblem(v, 'iamRole'), report);
    },
  ],
]);

export function checkStepRules(data: Record<string, unknown>, report: Report): void {
  const steps = Array.isArray(data.steps) ? data.steps : [];
  const seen = new Map<string, number>();
  checkNotify(data, report);
  const firstFreeze = steps.findIndex((s) => isRecord(s) && s.type === 'freeze-writes');
  steps.forEach((step, i) => {
    if (!isRecord(step)) return;
    const at = `/steps/${i}`;
    if (typeof step.id === 'string') {
      const first = seen.get(step.id);
      if (first !== undefined)
        report(`${at}/id`, `duplicate step id "${step.id}" (steps[${first}] already uses it); step ids must be unique`);
      else seen.set(step.id, i);
    }
    checkTimeout(step, at, report);
    const freezeAt = firstFreeze >= 0 && firstFreeze < i ? firstFreeze : undefined;
    STEP_RULES.get(String(step.type))?.(step, at, report, { steps, i, freezeAt });
  });
}

function literal(value: unknown, pointer: string, check: (v: string) => string | undefined, report: Report): void {
  if (!isLiteral(value)) return;
  const problem = check(value);
  if (problem) report(pointer, problem);
}

function exactlyOne(obj: Record<string, unknown>, at: string, a: string, b: string, report: Report): void {
  if (obj[a] !== undefined && obj[b] !== undefined)
    report(`${at}/${b}`, `give exactly one of "${a}" and "${b}", not both`, { target: 'key' });
  else if (obj[a] === undefined && obj[b] === undefined)
    report(at, `give exactly one of "${a}" and "${b}"`, { target: 'key' });
}

function checkNewCluster(step: Record<string, unknown>, at: string, report: Report): void {
  literal(step.cluster, `${at}/cluster`, (v) => identifierProblem(v, 'cluster'), report);
  const instance = step.instance;
  if (!isRecord(instance)) return;
  if (instance.id !== undefined)
    literal(instance.id, `${at}/instance/id`, (v) => identifierProblem(v, 'instance id'), report);
  else if (isLiteral(step.cluster) && !identifierProblem(step.cluster, 'cluster') && step.cluster.length > 61) {
    report(
      `${at}/cluster`,
      `the default instance id "${step.cluster}-1" would be longer than 63 characters; set instance.id`,
    );
  }
}

function checkFreeze(step: Record<string, unknown>, at: string, report: Report): void {
  checkPort(step.connection, `${at}/connection`, report);
  const dur = (k: string) => (typeof step[k] === 'string' ? parseDuration(step[k] as string) : undefined);
  const drain = dur('drainTimeout');
  const window = dur('window');
  if (drain === 0) report(`${at}/drainTimeout`, 'must be longer than 0s');
  if (window === 0) report(`${at}/window`, 'must be longer than 0s');
  if (window !== undefined && window > 0 && (drain ?? 30_000) >= window) {
    report(
      `${at}/window`,
      `the cutover window (${step.window}) must be longer than drainTimeout (${(step.drainTimeout as string | undefined) ?? '30s, the default'}): the drain happens inside it`,
    );
  }
  if (step.fence === 'read-only') {
    report(
      `${at}/fence`,
      'read-only is cooperative only: an application that opens its transactions READ WRITE (or sets default_transaction_read_only = off) still writes during the cutover, and those writes are not on the target. Use fence: connections (the default) unless every writer is stopped by other means',
      { severity: 'warning', target: 'value' },
    );
    if (Array.isArray(step.allowRoles) && step.allowRoles.length)
      report(`${at}/allowRoles`, 'allowRoles has no effect with fence: read-only (no role loses CONNECT)', {
        severity: 'warning',
        target: 'key',
      });
  }
  const wait = step.waitForSlot as { maxLag?: unknown } | undefined;
  if (wait && typeof wait.maxLag === 'string' && !wait.maxLag.includes('${') && parseSize(wait.maxLag) === undefined) {
    report(`${at}/waitForSlot/maxLag`, 'must be a size such as 16MiB or 1GiB');
  }
  if (Array.isArray(step.allowRoles)) {
    step.allowRoles.forEach((r, j) => {
      if (r === 'PUBLIC' || r === 'public')
        report(`${at}/allowRoles/${j}`, 'PUBLIC cannot be kept: it is every role, so no fence would hold');
    });
  }
}

function checkTtl(step: Record<string, unknown>, at: string, report: Report): void {
  if (typeof step.ttl !== 'string') return;
  const ms = parseDuration(step.ttl);
  if (ms === undefined) return;
  if (ms % 1000 !== 0) report(`${at}/ttl`, 'must be whole seconds (Route 53 TTLs are in seconds)');
  else if (ms > 2_147_483_647_000) report(`${at}/ttl`, 'must be at most 2147483647s');
}

function checkTimeout(step: Record<string, unknown>, at: string, report: Report): void {
  const ms = typeof step.timeout === 'string' ? parseDuration(step.timeout) : undefined;
  if (ms === 0) report(`${at}/timeout`, 'must be longer than 0s');
}

function checkLagWatch(step: Record<string, unknown>, at: string, report: Report): void {
  literal(step.replica, `${at}/replica`, (v) => identifierProblem(v, 'replica'), report);
  literal(step.source, `${at}/source`, (v) => instanceRefProblem(v, 'source'), report);
  const dur = (k: string) => (typeof step[k] === 'string' ? parseDuration(step[k] as string) : undefined);
  const stableFor = dur('stableFor');
  if (stableFor !== undefined && (stableFor < 60_000 || stableFor % 60_000 !== 0)) {
    report(
      `${at}/stableFor`,
      'must be a whole number of minutes (1m or more): CloudWatch publishes the lag once a minute',
    );
  }
  const pollEvery = dur('pollEvery');
  if (pollEvery !== undefined && pollEvery < 1000) report(`${at}/pollEvery`, 'must be at least 1s');
  const timeout = dur('timeout') ?? 24 * 3_600_000;
  if (timeout > 0 && (stableFor ?? 300_000) > timeout)
    report(
      `${at}/stableFor`,
      `is longer than the step's timeout (${String(step.timeout ?? '24h')}); the lag could never be stable in time`,
    );

  checkGuards(step, at, 'source', report);
}

/** Guards of lag-watch and logical-replica: one bound each, known metrics, units; `sourceField` names the source instance field. */
function checkGuards(
  step: Record<string, unknown>,
  at: string,
  sourceField: 'source' | 'instance',
  report: Report,
): void {
  if (!Array.isArray(step.guards)) return;
  step.guards.forEach((g, j) => {
    if (!isRecord(g)) return;
    const gp = `${at}/guards/${j}`;
    exactlyOneBound(g, gp, report);
    if (g.on === 'source' && step[sourceField] === undefined) {
      report(`${gp}/on`, `a guard "on: source" needs the step's "${sourceField}" (the RDS PostgreSQL source instance)`);
    }
    if (typeof g.metric !== 'string') return;
    const known = KNOWN_METRICS[g.metric];
    if (!known) {
      report(
        `${gp}/metric`,
        `"${g.metric}" is not a metric aurora-migrate knows${didYouMean(g.metric, Object.keys(KNOWN_METRICS))}; check the name in CloudWatch (AWS/RDS)`,
        {
          severity: 'warning',
        },
      );
    } else if (known.on && (g.on === 'source' || g.on === 'replica') && known.on !== g.on) {
      report(`${gp}/on`, `${g.metric} is published for the ${known.on}, not the ${g.on}`);
    }
    for (const bound of ['below', 'above'] as const) {
      const v = g[bound];
      if (v === undefined) continue;
      const bp = `${gp}/${bound}`;
      if (typeof v === 'number') {
        if (known?.unit === 'bytes') report(bp, `${g.metric} is measured in bytes; write a size such as 20GiB`);
        else if (v < 0) report(bp, 'must be >= 0');
      } else if (typeof v === 'string') {
        if (parseSize(v) === undefined)
          report(
            bp,
            `must be a size such as 20GiB or 512MiB${known?.unit === 'bytes' ? '' : ', or a plain number'} (got ${JSON.stringify(v.slice(0, 40))})`,
          );
        else if (known && known.unit !== 'bytes')
          report(bp, `${g.metric} is measured in ${known.unit}, not bytes; write a plain number`);
      }
    }
  });
}

function checkLogicalReplica(step: Record<string, unknown>, at: string, report: Report): void {
  for (const k of ['source', 'target', 'ddlGuardConnection', 'publisherEndpoint'])
    checkPort(step[k], `${at}/${k}`, report);
  if (step.schemas === undefined && step.tables === undefined)
    report(at, 'give "schemas" or "tables": what to replicate', { target: 'key' });
  else if (step.schemas !== undefined && step.tables !== undefined)
    report(`${at}/tables`, 'give either "schemas" or "tables", not both', { target: 'key' });
  literal(step.instance, `${at}/instance`, (v) => instanceRefProblem(v, 'instance'), report);
  const size = (k: string): number | undefined => {
    const v = step[k];
    if (typeof v !== 'string' || !isLiteral(v)) return undefined;
    const n = parseSize(v);
    if (n === undefined)
      report(`${at}/${k}`, `must be a size such as 16MiB or 50GiB (got ${JSON.stringify(v.slice(0, 40))})`);
    return n;
  };
  const maxLag = size('maxLag');
  const maxSlotLag = size('maxSlotLag');
  if (
    maxSlotLag !== undefined &&
    (maxLag !== undefined || step.maxLag === undefined) &&
    maxSlotLag <= (maxLag ?? 16 * 1024 * 1024)
  ) {
    report(
      `${at}/maxSlotLag`,
      `must be larger than maxLag (${String(step.maxLag ?? '16MiB, the default')}): the slot lag has to get under maxLag without tripping the guard`,
    );
  }
  const dur = (k: string) => (typeof step[k] === 'string' ? parseDuration(step[k] as string) : undefined);
  if (dur('stableFor') === 0) report(`${at}/stableFor`, 'must be longer than 0s');
  const pollEvery = dur('pollEvery');
  if (pollEvery !== undefined && pollEvery < 1000) report(`${at}/pollEvery`, 'must be at least 1s');
  if (Array.isArray(step.guards) && step.guards.length > 0 && step.instance === undefined) {
    report(`${at}/guards`, 'CloudWatch guards need "instance" (the RDS source instance whose metrics they read)', {
      target: 'key',
    });
  } else checkGuards(step, at, 'instance', report);
  if (isRecord(step.rolePasswords) && Array.isArray(step.rolesReady)) {
    for (const r of step.rolesReady)
      if (typeof r === 'string' && r in step.rolePasswords)
        report(`${at}/rolesReady`, `role "${r}" is in both rolePasswords and rolesReady; keep it in one`, {
          target: 'key',
        });
  }
}

function exactlyOneBound(g: Record<string, unknown>, gp: string, report: Report): void {
  if (g.below !== undefined && g.above !== undefined)
    report(`${gp}/above`, 'a guard takes exactly one bound: "below" or "above", not both', { target: 'key' });
  else if (g.below === undefined && g.above === undefined)
    report(gp, 'a guard needs exactly one bound: "below" or "above"', { target: 'key' });
}

function checkPort(connection: unknown, at: string, report: Report): void {
  if (!isRecord(connection)) return;
  const port = connection.port;
  if (isLiteral(port) && !/^\d+$/.test(port))
    report(`${at}/port`, 'must be a port number (1–65535) or a ${...} reference');
  else if (isLiteral(port) && (Number(port) < 1 || Number(port) > 65535))
    report(`${at}/port`, 'must be between 1 and 65535');
}

function checkS3Import(step: Record<string, unknown>, at: string, report: Report): void {
  checkPort(step.connection, `${at}/connection`, report);
  literal(step.cluster, `${at}/cluster`, (v) => identifierProblem(v, 'cluster'), report);
  literal(step.iamRole, `${at}/iamRole`, (v) => iamRoleProblem(v, 'iamRole'), report);
  if (step.iamRole !== undefined && step.credentials !== undefined) {
    report(`${at}/credentials`, 'give either "iamRole" or "credentials", not both', { target: 'key' });
  } else if (step.iamRole !== undefined && step.cluster === undefined) {
    report(
      `${at}/iamRole`,
      '"iamRole" needs "cluster": the role is associated with that cluster for feature s3Import',
      { target: 'key' },
    );
  }
  if (!Array.isArray(step.tables)) return;
  step.tables.forEach((t, j) => {
    if (!isRecord(t) || !isRecord(t.from)) return;
    exactlyOne(t.from, `${at}/tables/${j}/from`, 'keys', 'prefix', report);
  });
}
