// The state document on S3, read and written with compare-and-swap (docs/design.md "Remote state
// (S3)"): PutObject If-Match the ETag this run last read or wrote, the first one If-None-Match: *.
// Losing it (412/404: someone else wrote or removed the state; 409: someone is writing it right now)
// is a StateConflict naming who else is at it; nothing is overwritten. A document that cannot be
// trusted (torn, foreign, another plan's) is reported like a corrupt local file.
import { isAwsError } from '../aws/errors.js';
import type { ReadStateResult, StateFile } from '../engine/state-file.js';
import { AuroraMigrateError, StateConflict } from '../errors.js';
import type { S3Objects } from './s3-objects.js';
import { parseStateDocument } from './state-document.js';

export interface S3StateObject {
  read(planName?: string): Promise<ReadStateResult>;
  write(state: StateFile): Promise<void>;
}

export interface S3StateObjectDeps {
  objects: S3Objects;
  key: string;
  /** "the S3 state object s3://…", for messages. */
  where: string;
  /** Who else is at it, for the conflict message. */
  otherWriter(): Promise<string>;
  /** Runs before each write (the event log is flushed first, so it is never behind the state). */
  beforeWrite(): Promise<void>;
}

export function s3StateObject(deps: S3StateObjectDeps): S3StateObject {
  const { objects, key, where } = deps;
  /** ETag of the state as this process last read or wrote it; undefined = it did not exist. */
  let etag: string | undefined;
  let lastBody: string | undefined;

  const unreadable = (err: unknown, what: string) =>
    err instanceof AuroraMigrateError && !isAwsError(err)
      ? err
      : new StateConflict(`cannot ${what} ${where}: ${(err as Error).message}`, { cause: err });

  return {
    async read(planName?: string): Promise<ReadStateResult> {
      let obj: Awaited<ReturnType<typeof objects.get>>;
      try {
        obj = await objects.get(key);
      } catch (err) {
        throw unreadable(err, 'read');
      }
      if (!obj) {
        etag = undefined;
        return { exists: false };
      }
      const state = parseStateDocument(obj.body, where, planName);
      etag = obj.etag;
      lastBody = obj.body;
      return { exists: true, state };
    },

    async write(state: StateFile): Promise<void> {
      await deps.beforeWrite();
      const body = JSON.stringify(state, null, 2) + '\n';
      const put = await objects.put(key, body, etag === undefined ? { ifNoneMatch: '*' } : { ifMatch: etag });
      if (put.ok) {
        etag = put.etag;
        lastBody = body;
        return;
      }
      // Our own earlier attempt may have landed before a retry saw 412: then the object is what we wrote.
      const current = await objects.get(key).catch(() => undefined);
      if (current && current.body === body) {
        etag = current.etag;
        lastBody = body;
        return;
      }
      const what =
        put.reason === 'in-flight'
          ? 'another writer was writing it at the same moment (409 ConditionalRequestConflict)'
          : current
            ? `it was changed by another writer since this run ${lastBody === undefined ? 'found it missing' : 'read it'} (${put.code})`
            : `it was deleted since this run read it (${put.code})`;
      throw new StateConflict(
        `${where} was not written: ${what}; ${await deps.otherWriter()}. Nothing was overwritten. ` +
          `This run stopped; check who is running the plan (aurora-migrate status), then run apply again.`,
      );
    },
  };
}
