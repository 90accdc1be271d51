// RunStorage on S3 (src/engine/run-storage.ts; docs/design.md "Remote state (S3)"): the state document at
// KEY, the lease at KEY.lock, the event log under KEY.events/ — the same state format and commands
// as the local file, for a team (or a CI runner and a laptop) sharing one migration.
//
// Every state write is a compare-and-swap: PutObject If-Match the ETag this run last read or wrote,
// the first one If-None-Match: *. Losing it (412/404: someone else wrote or removed the state; 409:
// someone is writing it right now) stops the run with StateConflict (exit 4) naming the lease holder;
// nothing is overwritten. A state object that cannot be trusted (torn, foreign, another plan's) is
// reported like a corrupt local file and never written over. Events are flushed before each state
// write, so the log is never behind the state by more than the lines of one write.
import type { AwsApi } from '../aws/api.js';
import type { RunStorage } from '../engine/run-storage.js';
import { s3Url, type S3Location } from './s3-location.js';
import { s3Objects, type S3Objects } from './s3-objects.js';
import { s3StateObject } from './s3-state-object.js';
import { acquireS3Lease, breakS3Lease, describeS3Holder, inspectS3Lease, type S3LeaseDeps } from './s3-lease.js';
import { s3EventLog, type S3EventLog } from './s3-event-log.js';

export interface S3RunStorageOptions {
  aws: AwsApi;
  location: S3Location;
  /** Region of the bucket's client (default: the AwsApi's). */
  region?: string;
  /** For the lease holder's CI job URL. */
  env: Readonly<Record<string, string | undefined>>;
  now?(): number;
  /** Delay before buffered events are flushed on their own (ms; tests pass 0 to flush only when asked). */
  eventFlushDelayMs?: number;
}

export interface S3RunStorage extends RunStorage {
  readonly bucket: string;
  /** A warning when the bucket does not keep versions (a state overwritten by mistake cannot be restored). */
  versioningWarning(): Promise<string | undefined>;
  /** Stops timers; call after the last flush. */
  close(): void;
}

export function s3RunStorage(options: S3RunStorageOptions): S3RunStorage {
  const { location } = options;
  const now = options.now ?? (() => Date.now());
  const objects: S3Objects = s3Objects(options.aws, location.bucket, options.region);
  const stateUrl = s3Url(location);
  const events: S3EventLog = s3EventLog(objects, `${location.key}.events/`, options.eventFlushDelayMs);
  const lease: S3LeaseDeps = {
    objects,
    lockKey: `${location.key}.lock`,
    lockUrl: s3Url(location, '.lock'),
    stateUrl,
    env: options.env,
    now,
    record: (event) => events.append(JSON.stringify({ ts: new Date(now()).toISOString(), ...event })),
    beforeRelease: () => events.flush(),
  };
  const state = s3StateObject({
    objects,
    key: location.key,
    where: `the S3 state object ${stateUrl}`,
    otherWriter: async () => {
      const info = await inspectS3Lease(lease).catch(() => undefined);
      return info
        ? `the lease ${lease.lockUrl} is held by ${describeS3Holder(info)}`
        : `nobody holds the lease ${lease.lockUrl} now (the state was changed without it)`;
    },
    beforeWrite: () => events.flush(),
  });

  return {
    location: stateUrl,
    eventLogLocation: s3Url(location, '.events/'),
    bucket: location.bucket,

    read: (planName) => state.read(planName),
    write: (st) => state.write(st),

    appendEvent: (line) => events.append(line),
    flushEvents: () => events.flush(),
    readEvents: () => events.read(),

    acquireLease: (opts) => acquireS3Lease(lease, opts),
    inspectLease: () => inspectS3Lease(lease),
    breakLease: (planFile) => breakS3Lease(lease, planFile),

    versioningWarning: () => versioningWarning(objects, location.bucket),

    close: () => events.close(),
  };
}

/** A warning when the bucket does not keep versions (a state overwritten by mistake cannot be restored). */
async function versioningWarning(objects: S3Objects, bucket: string): Promise<string | undefined> {
  let status: string | undefined;
  try {
    status = await objects.versioning();
  } catch (err) {
    const code = (err as { code?: string }).code ?? 'error';
    return `could not check versioning of the state bucket ${bucket} (${code}); without versioning a state overwritten or deleted by mistake cannot be restored.`;
  }
  if (status === 'Enabled') return undefined;
  return (
    `the state bucket ${bucket} has versioning ${status === 'Suspended' ? 'suspended' : 'off'}: a state overwritten or deleted by mistake cannot be restored. ` +
    `Turn it on: aws s3api put-bucket-versioning --bucket ${bucket} --versioning-configuration Status=Enabled`
  );
}
