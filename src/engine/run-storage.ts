// Where a run keeps its state document, its lease and its event log. The engine, `status`, `plan`
// and `unlock` reach them only through this seam: the local files (below) or S3 (src/remote-state/,
// docs/design.md "Remote state (S3)"), one picked by the CLI (src/cli/run-storage-for.ts) and passed
// in; the engine never picks. Same state format either way.
import { eventLogPath, readState, writeState, type ReadStateResult, type StateFile } from './state-file.js';
import { appendEventLine, parseEventLog, type EventRecord } from './event-log.js';
import { acquireLease, breakLease, inspectLease, type AcquireOptions, type Lease, type LeaseInfo } from './lock.js';
import { removeStaleTemps } from './atomic-write.js';
import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';

export interface RunStorage {
  /** What users read in messages: the state file's path, or s3://bucket/key. */
  readonly location: string;
  /** Where the event log is, for messages. */
  readonly eventLogLocation: string;
  /** Reads and checks the state (StateConflict, exit 4, for anything unusable; never overwrites it). */
  read(planName?: string): Promise<ReadStateResult>;
  /**
   * Writes the whole state document. Local: atomic rename. S3: compare-and-swap against the version
   * last read or written; another writer in between → Locked/StateConflict (exit 4), nothing overwritten.
   */
  write(state: StateFile): Promise<void>;
  /** Appends one already-redacted, stamped JSON line. Must not reorder lines; may buffer (then flush). */
  appendEvent(line: string): void;
  /** Waits until appended events are durable (S3: written as objects). Local: no-op. */
  flushEvents?(): Promise<void>;
  /** The event log, in order (status, export). */
  readEvents(): Promise<Array<EventRecord & { ts: string }>>;
  /** Takes the run lease (Locked, exit 4, naming the holder when someone else holds it). */
  acquireLease(options: AcquireOptions & { takeOver?: boolean }): Promise<Lease>;
  /** What the lease says now, or undefined when nobody holds it. */
  inspectLease(): Promise<LeaseInfo | undefined>;
  /** `unlock`: breaks a stale lease (refuses a live one); undefined when there was none. */
  breakLease(planFile: string): Promise<LeaseInfo | undefined>;
  /** Housekeeping only the lease holder may do (local: temp files left by a crashed write). */
  afterLeaseAcquired?(): Promise<void>;
}

/** The default: `<state file>`, `<state file>.lock/`, `<state file>.events.jsonl` on local disk. */
export function localRunStorage(statePath: string): RunStorage {
  const logPath = eventLogPath(statePath);
  // The folder (.aurora-migrate/ by default) appears with the first write, also for a run without a lock.
  let folderMade = false;
  return {
    location: statePath,
    eventLogLocation: logPath,
    read: (planName) => readState(statePath, planName),
    async write(state) {
      if (!folderMade) await mkdir(dirname(statePath), { recursive: true });
      folderMade = true;
      await writeState(statePath, state);
    },
    appendEvent: (line) => appendEventLine(logPath, line),
    async readEvents() {
      try {
        return parseEventLog(await readFile(logPath, 'utf8'));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw err;
      }
    },
    acquireLease: (options) => acquireLease(statePath, options),
    inspectLease: () => inspectLease(statePath),
    breakLease: (planFile) => breakLease(statePath, planFile),
    afterLeaseAcquired: () => removeStaleTemps(statePath),
  };
}
