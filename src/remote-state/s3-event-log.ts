// The event log on S3, append-only without a read-modify-write: S3 has no append, so every flush
// writes the lines buffered since the last one as a new object KEY.events/<sequence>.jsonl, created
// with If-None-Match: * (a sequence number is never written twice; a writer that finds its number
// taken — e.g. `unlock` recorded something meanwhile — lists again and takes the next). Reading
// lists the prefix (S3 lists in key order; the numbers are zero-padded) and concatenates the objects.
//
// Lines are buffered in memory and flushed when the run writes its state, when asked (run end, before
// the lease is released) and shortly after the last append; a crash can lose at most the lines
// appended since the last flush, never reorder or tear the ones written.
import { parseEventLog, type EventRecord } from '../engine/event-log.js';
import type { S3Objects } from './s3-objects.js';
import { present } from '../invariant.js';

const SEQ_DIGITS = 12;
/** Flush this long after an append when nothing else flushed (ms). */
export const EVENT_FLUSH_DELAY_MS = 1_000;

export interface S3EventLog {
  append(line: string): void;
  flush(): Promise<void>;
  read(): Promise<Array<EventRecord & { ts: string }>>;
  /** Stops the delayed flush timer (the buffer is kept; call flush() first to write it). */
  close(): void;
}

export function s3EventLog(objects: S3Objects, prefix: string, flushDelayMs = EVENT_FLUSH_DELAY_MS): S3EventLog {
  let buffer: string[] = [];
  let lastKey: string | undefined;
  let nextSeq: number | undefined;
  let chain: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;

  const seqOf = (key: string) => Number(key.slice(prefix.length).split('.')[0]);
  const keyOf = (seq: number) => `${prefix}${String(seq).padStart(SEQ_DIGITS, '0')}.jsonl`;

  /** Learns the next free sequence number from the listing (after the last key we know). */
  const refresh = async () => {
    const keys = (await objects.list(prefix, lastKey)).filter((k) => Number.isInteger(seqOf(k)));
    if (keys.length) lastKey = keys[keys.length - 1];
    nextSeq = lastKey ? seqOf(lastKey) + 1 : 1;
  };

  const writeOut = async () => {
    if (!buffer.length) return;
    const lines = buffer;
    buffer = [];
    try {
      const body = lines.map((l) => (l.endsWith('\n') ? l : l + '\n')).join('');
      for (let tries = 0; ; tries++) {
        if (nextSeq === undefined) await refresh();
        const seq = present(nextSeq, 'the next sequence number of the event log after listing it');
        const key = keyOf(seq);
        const put = await objects.put(key, body, { ifNoneMatch: '*' });
        if (put.ok) {
          lastKey = key;
          nextSeq = seq + 1;
          return;
        }
        if (tries >= 20)
          throw new Error(
            `could not append to the event log ${prefix}: sequence numbers kept being taken by another writer`,
          );
        nextSeq = undefined; // taken (412) or being written (409): list again
      }
    } catch (err) {
      buffer = [...lines, ...buffer]; // keep them for the next flush, in order
      throw err;
    }
  };

  const flush = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    chain = chain.catch(() => undefined).then(writeOut);
    return chain;
  };

  return {
    append(line) {
      buffer.push(line);
      if (!timer && flushDelayMs > 0) {
        timer = setTimeout(() => {
          timer = undefined;
          flush().catch(() => undefined); // retried at the next flush
        }, flushDelayMs);
        timer.unref();
      }
    },
    flush,
    async read() {
      const keys = (await objects.list(prefix)).filter((k) => Number.isInteger(seqOf(k)));
      const bodies: string[] = new Array(keys.length);
      let next = 0;
      const worker = async () => {
        while (next < keys.length) {
          const i = next++;
          bodies[i] = (await objects.get(keys[i]))?.body ?? '';
        }
      };
      await Promise.all(Array.from({ length: Math.min(8, keys.length) }, worker));
      return parseEventLog(bodies.join(''));
    },
    close() {
      if (timer) clearTimeout(timer);
      timer = undefined;
    },
  };
}
