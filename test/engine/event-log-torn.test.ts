// A SIGKILL in the middle of an append leaves the last line of the event log without its newline.
// The next run's first append ends that line first, so only the cut line is lost, never the next record.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { appendEventLine, parseEventLog } from '../../src/engine/event-log.js';

let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));

it('a torn last line stays on its own line; the next records are whole', () => {
  dir = mkdtempSync(join(tmpdir(), 'am-evlog-'));
  const path = join(dir, 'x.state.json.events.jsonl');
  writeFileSync(path, '{"ts":"t0","type":"run-start"}\n{"ts":"t1","type":"chec');
  appendEventLine(path, JSON.stringify({ ts: 't2', type: 'run-start' }));
  appendEventLine(path, JSON.stringify({ ts: 't3', type: 'status' }));
  expect(readFileSync(path, 'utf8').split('\n')).toEqual([
    '{"ts":"t0","type":"run-start"}',
    '{"ts":"t1","type":"chec',
    '{"ts":"t2","type":"run-start"}',
    '{"ts":"t3","type":"status"}',
    '',
  ]);
  expect(parseEventLog(readFileSync(path, 'utf8')).map((e) => e.ts)).toEqual(['t0', 't2', 't3']);
});
