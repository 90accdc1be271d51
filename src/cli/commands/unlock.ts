// `aurora-migrate unlock PLAN`: breaks a run lock whose heartbeat stopped (its run crashed or its
// machine is gone) and records that in the event log. A live lock (fresh heartbeat) is refused with
// exit 4: stop that run instead. No lock → nothing to do, exit 0.
import type { GlobalOptions, Io } from '../io.js';
import { ExitCode } from '../exit-codes.js';
import { defaultStatePath, eventLogPath } from '../../engine/state-file.js';
import { breakLease, currentUser, describeHolder } from '../../engine/lock.js';
import { appendEventLine } from '../../engine/event-log.js';
import { loadPlanOrReport, type ApplyOverrides } from './apply.js';

export async function runUnlock(file: string, opts: GlobalOptions, io: Io, overrides: Pick<ApplyOverrides, 'loadPlan'> & { now?(): number } = {}): Promise<number> {
  const plan = await loadPlanOrReport(file, io, overrides.loadPlan, opts);
  if (typeof plan === 'number') return plan;
  const statePath = defaultStatePath(plan.name, io.cwd, opts.state);
  const broken = await breakLease(statePath, file);
  const now = overrides.now?.() ?? Date.now();
  if (!broken) {
    if (opts.format === 'json') io.stdout.write(JSON.stringify({ version: 1, unlocked: false, stateFile: statePath }, null, 2) + '\n');
    else io.stdout.write(`no lock on ${statePath}; nothing to do.\n`);
    return ExitCode.Ok;
  }
  const user = currentUser();
  appendEventLine(
    eventLogPath(statePath),
    JSON.stringify({ ts: new Date(now).toISOString(), type: 'unlock', user, pid: process.pid, previousHolder: broken.holder ?? null, heartbeatAgeMs: Math.round(broken.heartbeatAgeMs) }),
  );
  if (opts.format === 'json') {
    io.stdout.write(JSON.stringify({ version: 1, unlocked: true, stateFile: statePath, previousHolder: broken.holder ?? null }, null, 2) + '\n');
  } else {
    io.stdout.write(`broke the lock on ${statePath} held by ${describeHolder(broken)}.\nRun aurora-migrate apply ${file} to resume.\n`);
  }
  return ExitCode.Ok;
}
