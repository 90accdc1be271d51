// The run lease on S3: the object KEY.lock, created with If-None-Match: * (exactly one creator wins),
// renewed by the holder with If-Match: <its ETag> (the heartbeat), deleted with If-Match on release.
// It holds host, pid, user, the CI job URL when known, since and heartbeat (docs/commands.md "Remote state (S3)").
//
// - Someone else's live lease → Locked (exit 4) naming the holder.
// - A lease whose holder ran on this machine (same host and pid namespace) and whose process is gone
//   (crash, SIGKILL) is taken over at once, as with the local lock, and recorded.
// - A lease whose heartbeat stopped STALE_MS ago: `apply --take-over` takes it (If-Match on the stale
//   lease's ETag, so two takers cannot both win) and `unlock` deletes it; both are recorded and name
//   the old holder. A live lease is never taken.
// - The heartbeat losing its compare-and-swap (someone broke or took the lease) or failing for longer
//   than the stale time aborts the run: two runs never write at once.
import { randomUUID } from 'node:crypto';
import { Locked } from '../errors.js';
import { formatDuration } from '../plan/units.js';
import {
  describeHolder,
  HEARTBEAT_MS,
  STALE_MS,
  type AcquireOptions,
  type Lease,
  type LeaseInfo,
  type LockHolder,
} from '../engine/lock.js';
import { currentIdentity, holderProcessGone, type HolderIdentity } from './holder-identity.js';
import type { S3Objects } from './s3-objects.js';

export interface S3LeaseHolder extends LockHolder, Partial<Pick<HolderIdentity, 'ciJobUrl' | 'pidNamespace'>> {
  /** ISO time of the holder's last renewal. */
  heartbeat: string;
}

export interface S3LeaseDeps {
  objects: S3Objects;
  lockKey: string;
  /** s3://bucket/KEY.lock, for messages. */
  lockUrl: string;
  /** s3://bucket/KEY, for messages. */
  stateUrl: string;
  env: Readonly<Record<string, string | undefined>>;
  now(): number;
  /** Records a lease event (lock-recovered, lock-takeover) in the run's event log. */
  record(event: Record<string, unknown>): void;
  /** Called before the lease is deleted on release, while it is still ours (flush the event log). */
  beforeRelease?(): Promise<void>;
  sleep?(ms: number): Promise<void>;
}

export interface S3LeaseInfo extends LeaseInfo {
  holder?: S3LeaseHolder;
  etag: string;
}

/** What KEY.lock says now, or undefined when nobody holds the lease. */
export async function inspectS3Lease(deps: S3LeaseDeps, staleMs = STALE_MS): Promise<S3LeaseInfo | undefined> {
  const obj = await deps.objects.get(deps.lockKey);
  if (!obj) return undefined;
  let holder: S3LeaseHolder | undefined;
  try {
    const parsed = JSON.parse(obj.body) as S3LeaseHolder;
    if (parsed && typeof parsed === 'object' && typeof parsed.host === 'string' && typeof parsed.pid === 'number')
      holder = parsed;
  } catch {
    holder = undefined;
  }
  const beat = holder ? Date.parse(holder.heartbeat ?? holder.since) : NaN;
  const at = Number.isFinite(beat) ? beat : (obj.lastModified?.getTime() ?? 0);
  const heartbeatAgeMs = Math.max(0, deps.now() - at);
  const holderGone = holderProcessGone(holder, currentIdentity(deps.env));
  return { holder, heartbeatAgeMs, holderGone, stale: heartbeatAgeMs >= staleMs, etag: obj.etag };
}

/** "pid 4242 on host ci-7 (user runner, since …, heartbeat 3s ago; CI job https://…)" */
export function describeS3Holder(info: LeaseInfo): string {
  const text = describeHolder(info);
  const url = (info.holder as S3LeaseHolder | undefined)?.ciJobUrl;
  return url ? text.replace(/\)$/, `; CI job ${url})`) : text;
}

type LeaseOptions = AcquireOptions & { takeOver?: boolean };

const leaseBody = (h: S3LeaseHolder) => JSON.stringify(h, null, 2) + '\n';

export async function acquireS3Lease(deps: S3LeaseDeps, options: LeaseOptions): Promise<Lease> {
  const staleMs = options.staleMs ?? STALE_MS;
  const nowIso = () => new Date(deps.now()).toISOString();
  const holder: S3LeaseHolder = {
    ...currentIdentity(deps.env),
    since: nowIso(),
    heartbeat: nowIso(),
    token: randomUUID(),
  };
  const etag = await takeLease(deps, holder, options, staleMs);
  return keepLease(deps, holder, etag, options, staleMs);
}

/** Creates the lease object, or takes it over when its holder is gone (or stale, with --take-over); returns its ETag. */
async function takeLease(
  deps: S3LeaseDeps,
  holder: S3LeaseHolder,
  options: LeaseOptions,
  staleMs: number,
): Promise<string> {
  const sleep = deps.sleep ?? ((ms) => new Promise<void>((r) => setTimeout(r, ms)));
  for (let tries = 0; ; tries++) {
    const created = await deps.objects.put(deps.lockKey, leaseBody(holder), { ifNoneMatch: '*' });
    if (created.ok) return created.etag;
    const info = await inspectS3Lease(deps, staleMs);
    if (tries >= 8)
      throw new Locked(
        `could not take the lease ${deps.lockUrl}: it kept changing while this run tried. ${info ? `It is held by ${describeS3Holder(info)}. ` : ''}Run apply again.`,
      );
    if (created.reason === 'in-flight' || !info) {
      await sleep(100 * (tries + 1)); // another writer was mid-write, or the lease was just released
      continue;
    }
    const takeOver = info.holderGone ? 'gone' : info.stale && options.takeOver ? 'stale' : undefined;
    if (!takeOver) throw lockedError(deps, info, options, staleMs);
    const taken = await deps.objects.put(deps.lockKey, leaseBody(holder), { ifMatch: info.etag });
    if (!taken.ok) continue; // someone else renewed or took it meanwhile: look again
    recordTakeOver(deps, holder, info, takeOver);
    return taken.etag;
  }
}

function recordTakeOver(deps: S3LeaseDeps, me: S3LeaseHolder, info: S3LeaseInfo, how: 'gone' | 'stale'): void {
  const by = { host: me.host, pid: me.pid, user: me.user, ...(me.ciJobUrl ? { ciJobUrl: me.ciJobUrl } : {}) };
  if (how === 'gone') {
    deps.record({
      type: 'lock-recovered',
      previousHolder: info.holder ?? null,
      by,
      detail: `took over the lease ${deps.lockUrl} of ${describeS3Holder(info)}: that process is gone`,
    });
  } else {
    deps.record({
      type: 'lock-takeover',
      previousHolder: info.holder ?? null,
      heartbeatAgeMs: Math.round(info.heartbeatAgeMs),
      by,
      detail: `apply --take-over took the stale lease ${deps.lockUrl} from ${describeS3Holder(info)}`,
    });
  }
}

/** Renews the held lease every heartbeat (If-Match its ETag) until released; a lost lease stops the run through onCompromised. */
function keepLease(
  deps: S3LeaseDeps,
  holder: S3LeaseHolder,
  etag: string,
  options: LeaseOptions,
  staleMs: number,
): Lease {
  const heartbeatMs = options.heartbeatMs ?? HEARTBEAT_MS;
  let stopped = false;
  let current = etag;
  let lastOk = deps.now();
  let beating: Promise<void> | undefined;
  const compromised = (why: string) => {
    if (stopped) return;
    stopped = true;
    clearInterval(timer);
    options.onCompromised(
      new Locked(
        `lost the lease ${deps.lockUrl} while running (${why}); stopped to avoid two runs at once. Check who runs it (aurora-migrate status), then run apply again.`,
      ),
    );
  };
  const beat = async () => {
    if (stopped) return;
    try {
      const renewed = await deps.objects.put(
        deps.lockKey,
        leaseBody({ ...holder, heartbeat: new Date(deps.now()).toISOString() }),
        { ifMatch: current },
      );
      if (renewed.ok) {
        current = renewed.etag;
        lastOk = deps.now();
        return;
      }
      if (renewed.reason === 'changed') {
        const info = await inspectS3Lease(deps, staleMs).catch(() => undefined);
        const who =
          info?.holder && info.holder.token !== holder.token
            ? `it is now held by ${describeS3Holder(info)}`
            : 'it was broken (aurora-migrate unlock)';
        return compromised(who);
      }
    } catch {
      // a network hiccup: try again at the next beat, unless it lasts long enough for others to see the lease as stale
    }
    if (deps.now() - lastOk >= staleMs - heartbeatMs)
      compromised(`the heartbeat could not be renewed for ${formatDuration(deps.now() - lastOk)}`);
  };
  const timer = setInterval(() => {
    if (!beating) beating = beat().finally(() => (beating = undefined));
  }, heartbeatMs);
  timer.unref();

  return {
    holder,
    async release() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      await beating;
      try {
        await deps.beforeRelease?.();
      } finally {
        await deps.objects.delete(deps.lockKey, current);
      }
    },
  };
}

function lockedError(deps: S3LeaseDeps, info: S3LeaseInfo, options: LeaseOptions, staleMs: number): Locked {
  const plan = options.planFile;
  let hint: string;
  if (!info.stale) {
    hint = options.takeOver
      ? `--take-over only takes a lease whose heartbeat stopped ${formatDuration(staleMs)} ago; this one is live. Wait for that run to finish, or stop it (Ctrl-C there, or cancel its CI job).`
      : `Wait for it to finish, or stop it (Ctrl-C there, or cancel its CI job) and run apply again.`;
  } else {
    hint = `Its heartbeat stopped; if that run is gone, take the lease over with: aurora-migrate apply ${plan} --take-over (or break it with: aurora-migrate unlock ${plan}).`;
  }
  return new Locked(
    `another run holds the lease on ${deps.stateUrl} (${deps.lockUrl}): ${describeS3Holder(info)}. ${hint}`,
  );
}

/** `unlock`: deletes a stale lease (or one whose process on this machine is gone); refuses a live one. */
export async function breakS3Lease(
  deps: S3LeaseDeps,
  planFile: string,
  staleMs = STALE_MS,
): Promise<S3LeaseInfo | undefined> {
  const info = await inspectS3Lease(deps, staleMs);
  if (!info) return undefined;
  if (!info.stale && !info.holderGone) {
    throw new Locked(
      `the lease on ${deps.stateUrl} (${deps.lockUrl}) is live: ${describeS3Holder(info)}. ` +
        `Stop that run (Ctrl-C there, or cancel its CI job) instead; a lease can be broken once its heartbeat has stopped for ${formatDuration(staleMs)}. ` +
        `Then run: aurora-migrate apply ${planFile}`,
    );
  }
  if (!(await deps.objects.delete(deps.lockKey, info.etag))) {
    throw new Locked(
      `the lease ${deps.lockUrl} changed while unlock looked at it (its holder renewed it, or another run took it). Run aurora-migrate status ${planFile} to see who holds it.`,
    );
  }
  return info;
}
