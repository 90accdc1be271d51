// Builds the report's model of one plan's run (model.ts) from its state and event log. Pure: the
// command reads the state and the log (local or S3) and hands them here. The log is the source of
// every figure (each keeps the record number it came from); the state adds what the log cannot say
// (the steps' current status and errors), and stands in, marked ref 0, for a window timing a log
// written before that timing was logged lacks.
import type { StateFile } from '../engine/state-file.js';
import type { EventRecord } from '../engine/event-log.js';
import { durationMs, parseSize } from '../plan/units.js';
import type {
  Approval,
  AwsCallCount,
  CopySeries,
  CutoverWindow,
  Invocation,
  LagSeries,
  Milestone,
  Notification,
  PlanRun,
  Problem,
  RunOutcome,
  StepAttempt,
  StepRun,
} from './model.js';

export interface CollectInput {
  plan: { name: string; description?: string; steps: ReadonlyArray<{ id: string; type: string; maxLag?: string }> };
  planFile: string;
  stateLocation: string;
  eventLogLocation: string;
  state?: StateFile;
  events: ReadonlyArray<EventRecord & { ts: string }>;
  /** Why the state or the log could not be read. */
  problem?: string;
}

type Ev = EventRecord & { ts: string; n: number };

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

export function collectPlanRun(input: CollectInput): PlanRun {
  const { plan, state } = input;
  const events: Ev[] = input.events.map((e, i) => ({ ...e, n: i + 1 }));
  const run: PlanRun = {
    plan: plan.name,
    ...(plan.description !== undefined ? { description: plan.description } : {}),
    planFile: input.planFile,
    stateLocation: input.stateLocation,
    eventLogLocation: input.eventLogLocation,
    ...(input.problem ? { problem: input.problem } : {}),
    hasState: state !== undefined,
    eventCount: events.length,
    outcome: 'not started',
    invocations: invocations(events),
    steps: steps(plan, state, events),
    lag: lagSeries(plan, events),
    copy: copySeries(events),
    cutover: cutoverWindows(events, state),
    approvals: approvals(events),
    notifications: notifications(events),
    awsCalls: awsCalls(events),
    problems: problems(events),
  };
  if (state) {
    run.runId = state.runId;
    run.startedAt = events.find((e) => e.type === 'run-start' && e.runId === state.runId)?.ts ?? state.createdAt;
    run.updatedAt = state.updatedAt;
    if (state.finishedAt) run.finishedAt = state.finishedAt;
  }
  run.outcome = outcomeOf(run, state);
  return run;
}

function outcomeOf(run: PlanRun, state: StateFile | undefined): RunOutcome {
  if (!state) return 'not started';
  if (state.finishedAt) return 'finished';
  const statuses = Object.values(state.steps).map((s) => s.status);
  if (statuses.includes('awaiting-approval')) return 'awaiting approval';
  if (statuses.includes('failed')) return state.cutover?.status === 'rolled-back' ? 'rolled back' : 'failed';
  if (state.cutover?.status === 'rolled-back' && statuses.includes('rolled-back')) return 'rolled back';
  const last = run.invocations.at(-1);
  if (last?.outcome === 'interrupted') return 'interrupted';
  if (statuses.every((s) => s === 'pending')) return 'not started';
  return 'in progress';
}

function invocations(events: Ev[]): Invocation[] {
  const out: Invocation[] = [];
  for (const e of events) {
    if (e.type === 'run-start') {
      out.push({ at: e.ts, ...(str(e.user) ? { user: str(e.user) } : {}), resumed: e.resumed === true, ref: e.n });
    } else if (e.type === 'run-end' && out.length) {
      const last = out[out.length - 1];
      if (last.endedAt === undefined) {
        last.endedAt = e.ts;
        last.endRef = e.n;
        if (str(e.outcome)) last.outcome = str(e.outcome);
      }
    }
  }
  return out;
}

function steps(plan: CollectInput['plan'], state: StateFile | undefined, events: Ev[]): StepRun[] {
  // The last record of each invocation: a step with no recorded end is drawn up to there.
  const lastOfInvocation = new Map<number, string>();
  let invocationStart = 0;
  for (const e of events) {
    if (e.type === 'run-start') invocationStart = e.n;
    lastOfInvocation.set(invocationStart, e.ts);
  }
  let current = 0;
  const invocationOf = new Map<number, number>();
  for (const e of events) {
    if (e.type === 'run-start') current = e.n;
    invocationOf.set(e.n, current);
  }
  return plan.steps.map((spec) => {
    const s = state?.steps[spec.id];
    const runs: StepAttempt[] = [];
    for (const e of events) {
      if (e.type !== 'status' || e.stepId !== spec.id) continue;
      const open = runs.at(-1);
      const isOpen = open !== undefined && open.endedAt === undefined && open.endStatus === undefined;
      const to = str(e.to);
      const from = str(e.from);
      if (to === 'running' && from === 'running' && e.interrupted === true && isOpen) {
        open.endedAt = e.ts;
        open.endStatus = 'interrupted';
        open.endRef = e.n;
        continue;
      }
      if (to === 'running') {
        // An open run before this one has no recorded end (its process was killed): drawn up to its last record.
        runs.push({
          attempt: num(e.attempt) ?? runs.length + 1,
          startedAt: e.ts,
          lastSeenAt: lastOfInvocation.get(invocationOf.get(e.n) ?? 0) ?? e.ts,
          ref: e.n,
        });
        continue;
      }
      if (isOpen && from === 'running') {
        open.endedAt = e.ts;
        open.endStatus = to;
        open.endRef = e.n;
      }
    }
    return {
      id: spec.id,
      type: spec.type,
      status: s?.status ?? 'pending',
      attempts: s?.attempts ?? 0,
      runs,
      ...(s?.error ? { error: s.error.message } : {}),
    };
  });
}

function lagSeries(plan: CollectInput['plan'], events: Ev[]): LagSeries[] {
  const series = new Map<string, LagSeries>();
  for (const e of events) {
    if (e.type !== 'lag-sample' || !str(e.stepId)) continue;
    const unit = e.unit === 'bytes' ? 'bytes' : 'seconds';
    const key = `${e.stepId}\u0000${str(e.of) ?? ''}\u0000${unit}`;
    let s = series.get(key);
    if (!s) {
      const spec = plan.steps.find((p) => p.id === e.stepId);
      const threshold =
        unit === 'seconds' && spec?.type === 'lag-watch'
          ? durationMs(spec.maxLag, '0s') / 1000
          : unit === 'bytes' && spec?.type === 'logical-replica'
            ? (parseSize(spec.maxLag ?? '16MiB') ?? undefined)
            : undefined;
      s = {
        stepId: e.stepId as string,
        of: str(e.of) ?? '',
        metric: str(e.metric) ?? '',
        unit,
        ...(threshold !== undefined ? { threshold } : {}),
        samples: [],
      };
      series.set(key, s);
    }
    s.samples.push({ at: str(e.at) ?? e.ts, value: num(e.value) ?? null, ref: e.n });
  }
  return [...series.values()];
}

function copySeries(events: Ev[]): CopySeries[] {
  const series = new Map<string, CopySeries>();
  for (const e of events) {
    const rows = num(e.rows);
    if (e.type !== 'copy-progress' || !str(e.stepId) || !str(e.table) || rows === undefined) continue;
    const key = `${e.stepId}\u0000${e.table}`;
    let s = series.get(key);
    if (!s) {
      s = { stepId: e.stepId as string, table: e.table as string, samples: [] };
      series.set(key, s);
    }
    const total = num(e.totalRows);
    s.samples.push({ at: str(e.at) ?? e.ts, rows, ...(total !== undefined ? { totalRows: total } : {}), ref: e.n });
  }
  return [...series.values()];
}

/** The cutover windows in log order: the engine's `cutover-window-opened` (it has the deadline) starts one. */
function cutoverWindows(events: Ev[], state: StateFile | undefined): CutoverWindow[] {
  const windows: CutoverWindow[] = [];
  const add = (w: CutoverWindow | undefined, m: Milestone) => w?.milestones.push(m);
  for (const e of events) {
    const w = windows.at(-1);
    const stepId = str(e.stepId) ?? '';
    switch (e.type) {
      case 'cutover-window-opened':
        if (str(e.deadline)) {
          const frozenAt = str(e.frozenAt) ?? e.ts;
          windows.push({
            openedBy: stepId,
            frozenAt,
            deadline: e.deadline as string,
            outcome: 'open',
            milestones: [{ label: 'frozen', at: frozenAt, stepId, ref: e.n }],
            ref: e.n,
          });
        } else if (w && Array.isArray(e.databases)) {
          w.databases = e.databases.filter((d): d is string => typeof d === 'string');
        }
        break;
      case 'cutover-caught-up':
        add(w, {
          label: 'caught up',
          at: str(e.caughtUpAt) ?? e.ts,
          stepId,
          detail: `marker seen on the ${e.route === 'logical' ? 'target and confirmed by the slot' : 'replica'} after ${num(e.polls) ?? '?'} poll(s)`,
          ref: e.n,
        });
        break;
      case 'cutover-point-of-no-return':
        if (w) w.outcome = 'committed';
        add(w, {
          label: /promot/i.test(str(e.what) ?? '') ? 'promotion sent' : 'switched over',
          at: str(e.at) ?? e.ts,
          stepId,
          detail: `point of no return: ${str(e.what) ?? ''}`,
          ref: e.n,
        });
        break;
      case 'promoted':
        add(w, { label: 'promoted', at: str(e.promotedAt) ?? e.ts, stepId, ref: e.n });
        break;
      case 'switched': {
        add(w, {
          label: 'switched',
          at: str(e.switchedAt) ?? e.ts,
          stepId,
          detail: `${str(e.record) ?? ''} → ${str(e.value) ?? ''} (INSYNC)`,
          ref: e.n,
        });
        const seconds = num(e.writeDowntimeSeconds);
        if (w && seconds !== undefined) {
          w.writeDowntimeSeconds = seconds;
          w.writeDowntimeRef = e.n;
        }
        break;
      }
      case 'cutover-rollback':
        if (w) {
          w.outcome = 'rolling-back';
          w.rollbackReason = str(e.reason);
        }
        add(w, { label: 'rollback started', at: e.ts, stepId, detail: str(e.reason), ref: e.n });
        break;
      case 'cutover-rolled-back':
        if (w) w.outcome = 'rolled-back';
        add(w, {
          label: 'rolled back',
          at: str(e.at) ?? e.ts,
          stepId,
          detail: 'writes are back on the source',
          ref: e.n,
        });
        break;
      case 'cutover-rollback-failed':
        if (w) w.outcome = 'rollback-failed';
        add(w, { label: 'rollback failed', at: e.ts, stepId, detail: str(e.message), ref: e.n });
        break;
    }
  }
  // A log written before `promoted` was logged: the promote step's outputs in the state (ref 0).
  const last = windows.at(-1);
  if (last && last.outcome === 'committed' && !last.milestones.some((m) => m.label === 'promoted') && state) {
    for (const [id, s] of Object.entries(state.steps)) {
      const at = s.type === 'promote' ? str(s.outputs?.promotedAt) : undefined;
      if (at && Date.parse(at) >= Date.parse(last.frozenAt))
        last.milestones.push({ label: 'promoted', at, stepId: id, ref: 0 });
    }
  }
  for (const w of windows) w.milestones.sort((a, b) => Date.parse(a.at) - Date.parse(b.at) || a.ref - b.ref);
  return windows;
}

function approvals(events: Ev[]): Approval[] {
  return events
    .filter((e) => e.type === 'approval' && str(e.approvedBy))
    .map((e) => ({
      stepId: str(e.stepId) ?? '',
      approvedBy: e.approvedBy as string,
      ...(str(e.source) ? { source: str(e.source) } : {}),
      via: str(e.via) ?? '',
      at: str(e.approvedAt) ?? e.ts,
      ...(str(e.host) ? { host: str(e.host) } : {}),
      ...(str(e.ciRun) ? { ciRun: str(e.ciRun) } : {}),
      ref: e.n,
    }));
}

function notifications(events: Ev[]): Notification[] {
  const byKey = new Map<string, Notification>();
  const out: Notification[] = [];
  for (const e of events) {
    const key = str(e.key);
    if (!key) continue;
    if (e.type === 'notification') {
      const n: Notification = {
        event: str(e.event) ?? '',
        at: e.ts,
        targets: Array.isArray(e.targets) ? e.targets.map(String) : [],
        sent: [],
        failed: [],
        ref: e.n,
      };
      byKey.set(key, n);
      out.push(n);
    } else if (e.type === 'notification-sent') {
      byKey.get(key)?.sent.push(str(e.target) ?? '');
    } else if (e.type === 'notification-failed') {
      byKey.get(key)?.failed.push({ target: str(e.target) ?? '', reason: str(e.reason) ?? '' });
    }
  }
  return out;
}

function awsCalls(events: Ev[]): AwsCallCount[] {
  const counts = new Map<string, AwsCallCount>();
  for (const e of events) {
    if (e.type !== 'aws-call' || !str(e.operation)) continue;
    const key = `${e.service}:${e.operation}`;
    let c = counts.get(key);
    if (!c) {
      c = { service: str(e.service) ?? '', operation: e.operation as string, count: 0, refs: [] };
      counts.set(key, c);
    }
    c.count++;
    if (c.refs.length < 3) c.refs.push(e.n);
  }
  return [...counts.values()].sort(
    (a, b) => b.count - a.count || a.service.localeCompare(b.service) || a.operation.localeCompare(b.operation),
  );
}

function problems(events: Ev[]): Problem[] {
  return events
    .filter((e) => (e.type === 'error' || e.type === 'warning') && str(e.message))
    .map((e) => ({
      kind: e.type as 'error' | 'warning',
      at: e.ts,
      ...(str(e.stepId) ? { stepId: str(e.stepId) } : {}),
      message: e.message as string,
      ref: e.n,
    }));
}
