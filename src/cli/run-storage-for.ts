// Which RunStorage a command uses (docs/design.md "Remote state (S3)"): `--state s3://BUCKET/KEY`, else
// `--state PATH` (a local file), else the plan's `state: { s3: … }`, else the default local file
// `.aurora-migrate/<plan name>.state.json` under the current folder. The flag always wins.
import { isAbsolute, relative } from 'node:path';
import type { AwsApi } from '../aws/api.js';
import type { Plan } from '../plan/types.js';
import { lazyAwsApi } from '../engine/adapters.js';
import { localRunStorage, type RunStorage } from '../engine/run-storage.js';
import { defaultStatePath } from '../engine/state-file.js';
import { isS3Url, parseS3Url } from '../remote-state/s3-location.js';
import { s3RunStorage, type S3RunStorage } from '../remote-state/s3-run-storage.js';
import type { GlobalOptions, Io } from './io.js';
import { traceAws, verboseTraceFor } from './verbose-trace.js';
import { present } from '../invariant.js';

export interface ChosenStorage {
  storage: RunStorage;
  /** Set when the state is in S3. */
  s3?: S3RunStorage;
  /** The location as `plan` shows it: the s3:// URL, or the state file relative to the current folder when inside it. */
  shown: string;
  /** Stops timers and closes the AWS client this created (not one passed in). */
  close(): void;
}

export function runStorageFor(
  plan: Plan,
  opts: Pick<GlobalOptions, 'state' | 'region' | 'profile'> & { verbose?: boolean },
  io: Io,
  aws?: AwsApi,
): ChosenStorage {
  const fromFlag = opts.state !== undefined && isS3Url(opts.state);
  const url = fromFlag ? opts.state : opts.state === undefined ? plan.state?.s3 : undefined;
  if (url === undefined) {
    const path = defaultStatePath(plan.name, io.cwd, opts.state);
    const inside = relative(io.cwd, path);
    const shown = inside && !inside.startsWith('..') && !isAbsolute(inside) ? inside : path;
    return { storage: localRunStorage(path), shown, close: () => undefined };
  }
  const location = parseS3Url(url, fromFlag ? '--state' : `the plan's state.s3`);
  const own = aws
    ? undefined
    : lazyAwsApi({
        region: opts.region ?? plan.region,
        profile: opts.profile,
        env: io.env as Record<string, string | undefined>,
      });
  // --verbose shows the state's own S3 calls too (GetObject, conditional PutObject, the lease), for
  // every command that reads or writes remote state.
  const client = own && opts.verbose ? traceAws(own, verboseTraceFor(io, plan)) : own;
  const s3 = s3RunStorage({ aws: aws ?? present(client, 'the AWS client of the S3 state'), location, env: io.env });
  return {
    storage: s3,
    s3,
    shown: s3.location,
    close() {
      s3.close();
      own?.close();
    },
  };
}
