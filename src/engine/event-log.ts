// The event log: `<state file>.events.jsonl`, append-only, one JSON object per line (DESIGN.md).
// Records every mutating AWS call (before it is sent), SQL statements steps report, status changes,
// approvals (with the OS user), warnings, errors, lock recovery and unlock. Every line is redacted.
// Lines are appended synchronously so the record of an AWS call is on disk before the call leaves,
// and a crash can at worst lose a line that was being written, never reorder lines.
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

export interface EventRecord {
  type: string;
  [key: string]: unknown;
}

export interface EventLog {
  append(event: EventRecord): void;
}

const readyDirs = new Set<string>();

/** Appends one already-redacted line (the engine redacts and stamps it). */
export function appendEventLine(path: string, line: string): void {
  const dir = dirname(path);
  if (!readyDirs.has(dir)) {
    mkdirSync(dir, { recursive: true });
    readyDirs.add(dir);
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
