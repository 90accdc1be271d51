// Step type "freeze-writes": takes the application's writes away from the source databases for the
// cutover (DESIGN.md "Cutover", AWS-FACTS "Cutover facts"): the databases' default becomes
// read-only, the other sessions are terminated, open write transactions drained; the step opens the
// cutover window. `undo` puts the previous settings back (the engine calls it on a rollback).
import type { PlannedAction, StepModule } from '../step.js';
import type { FreezeWritesSpec } from './spec.js';
import { PREVIOUS_SETTINGS_SQL, TERMINATE_SQL, WAL_LSN_SQL, WRITERS_SQL, databaseNameProblem, freezeSql, restoreSql } from './sql.js';
import { DRAIN_POLL_MS, drainMs, runFreeze, undoFreeze, windowMs } from './run-freeze.js';
import { freezeWritesPreflight } from './preflight.js';

export type { FreezeWritesSpec } from './spec.js';
export { undoFreeze } from './run-freeze.js';

export const FREEZE_OUTPUTS = ['frozenAt', 'windowEndsAt', 'sourceLsn', 'previousSettings'] as const;

export function describeFreeze(spec: FreezeWritesSpec): PlannedAction[] {
  const dbs = [...new Set(spec.databases)];
  const safe = dbs.filter((d) => !databaseNameProblem(d));
  return [
    { kind: 'sql', sql: PREVIOUS_SETTINGS_SQL, params: [dbs], note: 'remember each database\'s previous setting (kept in the state for the rollback)' },
    ...safe.map((d): PlannedAction => ({ kind: 'sql', sql: freezeSql(d), note: 'new sessions start read-only' })),
    { kind: 'sql', sql: TERMINATE_SQL, params: [dbs, false], note: 'terminate the other sessions on these databases (never rdsadmin\'s, never our own)' },
    { kind: 'wait', for: 'no session on these databases with an open write transaction (backend_xid)', timeoutMs: drainMs(spec), pollEveryMs: DRAIN_POLL_MS, note: WRITERS_SQL },
    { kind: 'sql', sql: WAL_LSN_SQL, note: 'the source WAL position at the freeze' },
    { kind: 'check', description: `cutover window opens: deadline ${Math.round(windowMs(spec) / 1000)}s after the freeze; before the point of no return a failure, an interrupt or the deadline undoes the freeze: ${safe.map((d) => restoreSql(d, null)).join('; ')} (or the previous value)` },
  ];
}

export const freezeWrites: StepModule<FreezeWritesSpec> = {
  type: 'freeze-writes',
  outputs: FREEZE_OUTPUTS,
  opensCutoverWindow: true,
  describe: (spec) => describeFreeze(spec),
  preflight: freezeWritesPreflight,
  run: (spec, ctx) => runFreeze(spec, ctx),
  undo: (spec, ctx) => undoFreeze(spec, ctx),
};
