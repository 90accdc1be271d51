// `aurora-migrate unlock PLAN`: breaks a run lock whose heartbeat stopped (its run crashed or its
// machine is gone) and records that in the event log. A live lock (fresh heartbeat) is refused with
// exit 4: stop that run instead. No lock → nothing to do, exit 0.
import type { GlobalOptions, Io } from '../io.js';
import type { RunStorage } from '../../engine/run-storage.js';
import { ExitCode } from '../exit-codes.js';
import { currentUser } from '../../engine/lock.js';
import { describeS3Holder } from '../../remote-state/s3-lease.js';
import { loadPlanOrReport, type ApplyOverrides } from './apply.js';
import { runStorageFor } from '../run-storage-for.js';

export async function runUnlock(
  file: string,
  opts: GlobalOptions,
  io: Io,
  overrides: Pick<ApplyOverrides, 'loadPlan'> & { now?(): number } = {},
): Promise<number> {
  const plan = await loadPlanOrReport(file, io, overrides.loadPlan, opts);
  if (typeof plan === 'number') return plan;
  const chosen = runStorageFor(plan, opts, io);
  try {
    return await unlockWith(chosen.storage, file, opts, io, overrides.now?.() ?? Date.now());
  } finally {
    chosen.close();
  }
}

async function unlockWith(
  storage: RunStorage,
  file: string,
  opts: GlobalOptions,
  io: Io,
  now: number,
): Promise<number> {
  const statePath = storage.location;
  const broken = await storage.breakLease(file);
  if (!broken) {
    if (opts.format === 'json')
      io.stdout.write(JSON.stringify({ version: 1, unlocked: false, stateFile: statePath }, null, 2) + '\n');
    else io.stdout.write(`no lock on ${statePath}; nothing to do.\n`);
    return ExitCode.Ok;
  }
  const user = currentUser();
  storage.appendEvent(
    JSON.stringify({
      ts: new Date(now).toISOString(),
      type: 'unlock',
      user,
      pid: process.pid,
      previousHolder: broken.holder ?? null,
      heartbeatAgeMs: Math.round(broken.heartbeatAgeMs),
    }),
  );
  await storage.flushEvents?.();
  if (opts.format === 'json') {
    io.stdout.write(
      JSON.stringify(
        { version: 1, unlocked: true, stateFile: statePath, previousHolder: broken.holder ?? null },
        null,
        2,
      ) + '\n',
    );
  } else {
    io.stdout.write(
      `broke the lock on ${statePath} held by ${describeS3Holder(broken)}.\nRun aurora-migrate apply ${file} to resume.\n`,
    );
  }
  return ExitCode.Ok;
}
