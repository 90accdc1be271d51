// The run lock: one `apply` per state file. A lease = the folder `<state>.lock/` (created with mkdir,
// which is atomic) holding `holder.json` {host, pid, user, since, token}; the holder refreshes the
// file's mtime every few seconds (the heartbeat).
//
// - A second run finds the folder and exits 4 naming the holder (host, pid, since, heartbeat age).
// - A lease held by a process on this host that no longer exists (crash, SIGKILL) is taken over by
//   the next `apply` at once, and that is recorded in the event log: the same command resumes.
// - A lease whose heartbeat stopped on another host (or whose pid cannot be checked) is broken with
//   `aurora-migrate unlock PLAN`; `unlock` refuses a lease whose heartbeat is still fresh.
//
// Written here instead of with proper-lockfile: its lock() silently removes any lease older than
// `stale` and keeps no holder details, while the design (docs/design.md "State, resume, locking")
// wants the holder named and stale leases broken by an explicit `unlock`.
import { mkdir, readFile, readdir, rename, rm, stat, utimes } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { hostname, userInfo } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { Locked } from '../errors.js';
import { formatDuration } from '../plan/units.js';
import { writeFileAtomic } from './atomic-write.js';

export const HEARTBEAT_MS = 5_000;
export const STALE_MS = 30_000;

export interface LockHolder {
  host: string;
  pid: number;
  user: string;
  since: string;
  token: string;
}

export interface LeaseInfo {
  holder?: LockHolder;
  /** Milliseconds since the last heartbeat. */
  heartbeatAgeMs: number;
  /** Same host and the pid does not exist any more. */
  holderGone: boolean;
  stale: boolean;
}

export interface Lease {
  holder: LockHolder;
  release(): Promise<void>;
}

export function lockDirPath(statePath: string): string {
  return `${statePath}.lock`;
}

/** Candidate lease folders are named <state>.lock.candidate-<pid>-<token> until renamed into place. */
const CANDIDATE_TAG = 'candidate-';

/** Removes candidate folders left by runs on this host that were killed before renaming theirs. */
async function removeDeadCandidates(statePath: string): Promise<void> {
  const prefix = `${basename(lockDirPath(statePath))}.${CANDIDATE_TAG}`;
  let names: string[];
  try {
    names = await readdir(dirname(statePath));
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(name.slice(prefix.length).split('-')[0]);
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && !pidAlive(pid)) {
      await rm(join(dirname(statePath), name), { recursive: true, force: true });
    }
  }
}

export function currentUser(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? process.env.USERNAME ?? 'unknown';
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** What the lock folder says, or undefined when nobody holds the lock. */
export async function inspectLease(statePath: string, staleMs = STALE_MS): Promise<LeaseInfo | undefined> {
  const dir = lockDirPath(statePath);
  let holder: LockHolder | undefined;
  let mtime: number;
  try {
    holder = JSON.parse(await readFile(join(dir, 'holder.json'), 'utf8')) as LockHolder;
    mtime = (await stat(join(dir, 'holder.json'))).mtimeMs;
  } catch {
    holder = undefined;
    try {
      mtime = (await stat(dir)).mtimeMs;
    } catch {
      return undefined;
    }
  }
  const heartbeatAgeMs = Math.max(0, Date.now() - mtime);
  const holderGone = !!holder && holder.host === hostname() && holder.pid !== process.pid && !pidAlive(holder.pid);
  return { holder, heartbeatAgeMs, holderGone, stale: heartbeatAgeMs >= staleMs };
}

export function describeHolder(info: LeaseInfo): string {
  const h = info.holder;
  const beat = `heartbeat ${formatDuration(info.heartbeatAgeMs)} ago`;
  if (!h) return `an unknown process (the lock is being created or was left half-made; ${beat})`;
  return `pid ${h.pid} on host ${h.host} (user ${h.user}, since ${h.since}, ${beat})`;
}

export interface AcquireOptions {
  planFile: string;
  now(): number;
  /** Called when someone else took the lease while we ran (e.g. `unlock` was forced); abort the run. */
  onCompromised(err: Locked): void;
  /** Called when a dead holder's lease was taken over, for the event log. */
  onTakeover?(previous: LeaseInfo): void;
  heartbeatMs?: number;
  staleMs?: number;
}

export async function acquireLease(statePath: string, options: AcquireOptions): Promise<Lease> {
  const dir = lockDirPath(statePath);
  await mkdir(dirname(dir), { recursive: true });
  await removeDeadCandidates(statePath);
  const holder: LockHolder = {
    host: hostname(),
    pid: process.pid,
    user: currentUser(),
    since: new Date(options.now()).toISOString(),
    token: randomUUID(),
  };
  // The lease appears whole or not at all: holder.json is written into a private candidate folder
  // that is then renamed onto <state>.lock. rename() fails when the lock folder exists with a holder
  // in it, so two runs can never both win, and a SIGKILL at any instant leaves either no lock or a
  // complete one (whose dead pid the next apply recognises), never a lock folder without a holder.
  const candidate = `${dir}.${CANDIDATE_TAG}${process.pid}-${holder.token}`;
  await mkdir(candidate);
  try {
    await writeFileAtomic(join(candidate, 'holder.json'), JSON.stringify(holder, null, 2) + '\n');
    for (let tries = 0; ; tries++) {
      try {
        await rename(candidate, dir);
        break;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
      }
      const info = await inspectLease(statePath, options.staleMs);
      if (!info) continue; // released meanwhile
      if (info.holderGone && tries === 0) {
        options.onTakeover?.(info);
        await rm(dir, { recursive: true, force: true });
        continue;
      }
      const hint = info.stale
        ? `Its heartbeat stopped; if that run is gone, break the lock with: aurora-migrate unlock ${options.planFile}`
        : `Wait for it to finish, or stop it (Ctrl-C) and run apply again.`;
      throw new Locked(`another run holds the lock on ${statePath}: ${describeHolder(info)}. ${hint}`);
    }
  } finally {
    await rm(candidate, { recursive: true, force: true });
  }
  const holderFile = join(dir, 'holder.json');

  let stopped = false;
  const beat = async () => {
    if (stopped) return;
    try {
      const current = JSON.parse(await readFile(holderFile, 'utf8')) as LockHolder;
      if (current.token !== holder.token) throw new Error('taken by another run');
      const t = new Date();
      await utimes(holderFile, t, t);
    } catch (err) {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      options.onCompromised(
        new Locked(
          `lost the lock on ${statePath} while running (${(err as Error).message}); stopped to avoid two runs at once. Check who runs it, then run apply again.`,
        ),
      );
    }
  };
  const timer = setInterval(() => void beat(), options.heartbeatMs ?? HEARTBEAT_MS);
  timer.unref();

  return {
    holder,
    async release() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      try {
        const current = JSON.parse(await readFile(holderFile, 'utf8')) as LockHolder;
        if (current.token !== holder.token) return;
      } catch {
        return;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Breaks a lease for `unlock`. Refuses a live one (fresh heartbeat, holder not provably gone). */
export async function breakLease(
  statePath: string,
  planFile: string,
  staleMs = STALE_MS,
): Promise<LeaseInfo | undefined> {
  const info = await inspectLease(statePath, staleMs);
  if (!info) return undefined;
  if (!info.stale && !info.holderGone) {
    throw new Locked(
      `the lock on ${statePath} is live: ${describeHolder(info)}. ` +
        `Stop that run (Ctrl-C) instead; a lock can be broken once its heartbeat has stopped for ${formatDuration(staleMs)}. ` +
        `Then run: aurora-migrate apply ${planFile}`,
    );
  }
  await rm(lockDirPath(statePath), { recursive: true, force: true });
  return info;
}
