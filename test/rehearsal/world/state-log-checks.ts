// Consistency between the state file and the event log beside it, checked after every SIGKILL of the
// crash campaign and at the end. The engine appends a status change to the log before it persists
// the state, so after a kill the state may lag the log by at most that one change per step — never
// be ahead of it, never lag further. A mutating call (AWS or an aws_s3 import) logged twice for the
// same resource must be explained: a crash and restart (a new run-start) or a logged retry between.
import type { StateFile } from '../../../src/engine/state-file.js';

export interface LoggedEvent {
  type: string;
  ts?: string;
  stepId?: string;
  [key: string]: unknown;
}

export interface ParsedLog {
  events: LoggedEvent[];
  /** Lines that are not JSON (a torn write). */
  torn: string[];
}

export function parseLog(text: string): ParsedLog {
  const events: LoggedEvent[] = [];
  const torn: string[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      events.push(JSON.parse(line) as LoggedEvent);
    } catch {
      torn.push(line);
    }
  }
  return { events, torn };
}

/** Problems with state vs log after a kill (`final`: after a clean exit 0, no lag is allowed). */
export function stateVsLog(
  state: StateFile | undefined,
  log: LoggedEvent[],
  options: { final?: boolean } = {},
): string[] {
  const problems: string[] = [];
  if (!state) {
    const changes = log.filter((e) => e.type === 'status');
    // The first state write follows the first run-start line; before it, no step can have started.
    if (changes.length > 0) problems.push(`no state file, but the log has ${changes.length} status change(s)`);
    return problems;
  }
  for (const [id, s] of Object.entries(state.steps)) {
    const changes = log.filter((e) => e.type === 'status' && e.stepId === id);
    const last = changes.at(-1);
    if (!last) {
      if (s.status !== 'pending' || s.attempts !== 0)
        problems.push(
          `step "${id}" is ${s.status} (attempts ${s.attempts}) in the state, but the log has no status change for it`,
        );
      continue;
    }
    const lagging = s.status !== last.to;
    if (lagging && (options.final || s.status !== last.from)) {
      problems.push(
        `step "${id}" is ${s.status} in the state; the log's last change is ${String(last.from)} → ${String(last.to)}`,
      );
    }
    // A start is logged with its attempt number before it is persisted: right after a kill the state
    // may still hold the previous count (a resume is running → running, so the status cannot show it).
    const lastRunning = changes.filter((e) => e.to === 'running').at(-1);
    const logged = lastRunning ? Number(lastRunning.attempt) : 0;
    const allowed = !options.final && last === lastRunning ? [logged, logged - 1] : [logged];
    if (!allowed.includes(s.attempts)) {
      problems.push(`step "${id}" has attempts ${s.attempts} in the state; the log says ${allowed.join(' or ')}`);
    }
    if (s.status === 'succeeded' && !changes.some((e) => e.to === 'succeeded')) {
      problems.push(`step "${id}" succeeded in the state but its change to succeeded is not logged`);
    }
  }
  for (const a of state.approvals) {
    if (!log.some((e) => e.type === 'approval' && e.stepId === a.stepId && e.approvedAt === a.approvedAt)) {
      problems.push(`approval of "${a.stepId}" at ${a.approvedAt} is in the state but not in the log`);
    }
  }
  return problems;
}

/** The resource a mutating event is about: "CreateDBCluster orders-aurora", "import events/2023/x.csv". */
export function mutationKey(e: LoggedEvent): string | undefined {
  if (e.type === 'aws-call') {
    const p = (e.params ?? {}) as Record<string, unknown>;
    const id =
      p.DBClusterIdentifier ??
      p.DBInstanceIdentifier ??
      p.DBSnapshotIdentifier ??
      p.ExportTaskIdentifier ??
      p.Key ??
      '';
    return `${String(e.operation)} ${String(id)}`;
  }
  if (e.type === 'sql' && typeof e.sql === 'string' && e.sql.includes('table_import_from_s3')) {
    const params = (e.params ?? []) as unknown[];
    return `import s3://${String(params[3])}/${String(params[4])} into ${String(params[0])}`;
  }
  return undefined;
}

/** Mutations logged more than once for the same resource without a restart or a logged retry between. */
export function unexplainedRepeats(log: LoggedEvent[]): string[] {
  const lastAt = new Map<string, number>();
  const problems: string[] = [];
  log.forEach((e, i) => {
    const key = mutationKey(e);
    if (!key) return;
    const prev = lastAt.get(key);
    lastAt.set(key, i);
    if (prev === undefined) return;
    const between = log.slice(prev + 1, i);
    const restarted = between.some((b) => b.type === 'run-start');
    const retried = between.some(
      (b) =>
        b.type === 'warning' &&
        typeof b.message === 'string' &&
        /retry/i.test(b.message) &&
        keyMentioned(b.message, key),
    );
    if (!restarted && !retried)
      problems.push(`${key} logged again (lines ${prev + 1} and ${i + 1}) with no restart or retry between`);
  });
  return problems;
}

function keyMentioned(message: string, key: string): boolean {
  const m = /s3:\/\/(\S+) into/.exec(key);
  return m ? message.includes(m[1]!) : true;
}

/** How often each mutation was logged: { "CreateDBCluster orders-aurora": 2, ... }. */
export function mutationCounts(log: LoggedEvent[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const e of log) {
    const key = mutationKey(e);
    if (key) counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}
