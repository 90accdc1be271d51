// The event log: `<state file>.events.jsonl`, append-only, one JSON object per line (docs/design.md "Event log").
// Records every mutating AWS call (before it is sent), SQL statements steps report, status changes,
// approvals (with the OS user), warnings, errors, lock recovery and unlock. Every line is redacted.
// Lines are appended synchronously so the record of an AWS call is on disk before the call leaves,
// and a crash can at worst lose a line that was being written, never reorder lines.
import { appendFileSync, closeSync, fstatSync, mkdirSync, openSync, readSync } from 'node:fs';
import { dirname } from 'node:path';

export interface EventRecord {
  type: string;
  [key: string]: unknown;
}

export interface EventLog {
  append(event: EventRecord): void;
}

const readyDirs = new Set<string>();
const checkedEnds = new Set<string>();

/** True for a missing or empty file, or one whose last byte is a newline. */
function endsWithNewline(path: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return true;
  }
  try {
    const size = fstatSync(fd).size;
    if (size === 0) return true;
    const last = Buffer.alloc(1);
    readSync(fd, last, 0, 1, size - 1);
    return last[0] === 0x0a;
  } finally {
    closeSync(fd);
  }
}

/** Appends one already-redacted line (the engine redacts and stamps it). */
export function appendEventLine(path: string, line: string): void {
  const dir = dirname(path);
  if (!readyDirs.has(dir)) {
    mkdirSync(dir, { recursive: true });
    readyDirs.add(dir);
  }
  if (!checkedEnds.has(path)) {
    checkedEnds.add(path);
    // A crash mid-append leaves a last line without its newline: end it, so that line stays the only
    // torn one instead of swallowing the next record.
    if (!endsWithNewline(path)) appendFileSync(path, '\n', { encoding: 'utf8', mode: 0o600 });
  }
  appendFileSync(path, line.endsWith('\n') ? line : line + '\n', { encoding: 'utf8', mode: 0o600 });
}

/** Reads an event log back (tests, status). Skips a torn last line. */
export function parseEventLog(text: string): Array<EventRecord & { ts: string }> {
  const out: Array<EventRecord & { ts: string }> = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line));
    } catch {
      // a line cut short by a crash
    }
  }
  return out;
}
