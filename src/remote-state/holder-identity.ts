// Who holds a remote lease: enough for a teammate to find the run (host, pid, user, the CI job's URL)
// and for the same machine to tell that the holder's process is gone (host + pid namespace + pid).
import { readlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import { currentUser } from '../engine/lock.js';

export interface HolderIdentity {
  host: string;
  pid: number;
  user: string;
  /** The CI job running it, when the environment says (GitHub Actions, GitLab, Buildkite, CircleCI, Jenkins). */
  ciJobUrl?: string;
  /** Linux: the pid namespace (/proc/self/ns/pid), so a same-named container's pids are never mistaken for ours. */
  pidNamespace?: string;
}

export function ciJobUrl(env: Readonly<Record<string, string | undefined>>): string | undefined {
  if (env.GITHUB_SERVER_URL && env.GITHUB_REPOSITORY && env.GITHUB_RUN_ID) {
    const attempt =
      env.GITHUB_RUN_ATTEMPT && env.GITHUB_RUN_ATTEMPT !== '1' ? `/attempts/${env.GITHUB_RUN_ATTEMPT}` : '';
    return `${env.GITHUB_SERVER_URL.replace(/\/+$/, '')}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}${attempt}`;
  }
  return env.CI_JOB_URL || env.BUILDKITE_BUILD_URL || env.CIRCLE_BUILD_URL || env.BUILD_URL || undefined;
}

export function pidNamespace(): string | undefined {
  try {
    return readlinkSync('/proc/self/ns/pid');
  } catch {
    return undefined;
  }
}

export function currentIdentity(env: Readonly<Record<string, string | undefined>>): HolderIdentity {
  const url = ciJobUrl(env);
  const ns = pidNamespace();
  return {
    host: hostname(),
    pid: process.pid,
    user: currentUser(),
    ...(url ? { ciJobUrl: url } : {}),
    ...(ns ? { pidNamespace: ns } : {}),
  };
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The holder ran on this machine, in this pid namespace, and its process no longer exists. */
export function holderProcessGone(holder: Partial<HolderIdentity> | undefined, me: HolderIdentity): boolean {
  if (!holder || holder.host !== me.host || typeof holder.pid !== 'number') return false;
  if (holder.pidNamespace !== me.pidNamespace) return false;
  if (holder.pid === me.pid) return false;
  return !pidAlive(holder.pid);
}
