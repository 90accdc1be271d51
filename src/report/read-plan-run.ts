// Reads one plan's state and event log through its RunStorage (the local files, or S3 as `status`
// does) and collects the report's model of the run. Never takes the lease, never writes. A state
// or log that cannot be read becomes the run's `problem` (the command exits 4 after printing).
import type { Plan } from '../plan/types.js';
import type { RunStorage } from '../engine/run-storage.js';
import type { StateFile } from '../engine/state-file.js';
import type { EventRecord } from '../engine/event-log.js';
import { AuroraMigrateError } from '../errors.js';
import { collectPlanRun } from './collect.js';
import type { PlanRun } from './model.js';

export async function readPlanRun(plan: Plan, planArg: string, storage: RunStorage): Promise<PlanRun> {
  let state: StateFile | undefined;
  let events: Array<EventRecord & { ts: string }> = [];
  let problem: string | undefined;
  try {
    const read = await storage.read(plan.name);
    state = read.exists ? read.state : undefined;
    events = await storage.readEvents();
  } catch (err) {
    problem =
      err instanceof AuroraMigrateError
        ? err.message
        : `cannot read the state or event log of ${plan.name} at ${storage.location}: ${(err as Error).message}`;
    state = undefined;
    events = [];
  }
  return collectPlanRun({
    plan: {
      name: plan.name,
      ...(plan.description !== undefined ? { description: plan.description } : {}),
      steps: plan.steps as CollectSteps,
    },
    planFile: planArg,
    stateLocation: storage.location,
    eventLogLocation: storage.eventLogLocation,
    ...(state ? { state } : {}),
    events,
    ...(problem ? { problem } : {}),
  });
}

type CollectSteps = ReadonlyArray<{ id: string; type: string; maxLag?: string }>;
