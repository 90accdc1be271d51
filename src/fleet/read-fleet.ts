// Reads the states of many plans at once (local files or S3, each plan its own), a few at a time, and
// turns each into a fleet row. A state that cannot be read becomes a row saying why; the others are
// still read. Read-only: never takes a lock, never writes.
import type { Plan } from '../plan/types.js';
import type { RunStorage } from '../engine/run-storage.js';
import { fleetRowError, fleetRowFromState, type FleetRow } from './fleet-row.js';

/** A plan to show: loaded, or not (then `error` says why and the row shows it). */
export type FleetEntry = { planFile: string; plan: Plan } | { planFile: string; error: string };

export interface FleetStorage {
  storage: RunStorage;
  close(): void;
}

/** How many states are read at the same time (S3 GetObject + the lease's HeadObject/GetObject). */
export const FLEET_READ_CONCURRENCY = 8;

export async function readFleet(
  entries: readonly FleetEntry[],
  storageFor: (plan: Plan) => FleetStorage,
): Promise<FleetRow[]> {
  return mapLimit(entries, FLEET_READ_CONCURRENCY, async (entry) => {
    if ('error' in entry) return fleetRowError(entry.planFile, entry.planFile, undefined, entry.error, 'invalid-plan');
    const { plan, planFile } = entry;
    let chosen: FleetStorage;
    try {
      chosen = storageFor(plan);
    } catch (err) {
      return fleetRowError(plan.name, planFile, plan.state?.s3, (err as Error).message, 'unreadable');
    }
    const where = chosen.storage.location;
    try {
      const [read, lease] = await Promise.all([
        chosen.storage.read(plan.name),
        chosen.storage.inspectLease().catch(() => undefined),
      ]);
      return fleetRowFromState(plan, planFile, where, read.exists ? read.state : undefined, lease);
    } catch (err) {
      return fleetRowError(plan.name, planFile, where, (err as Error).message, 'unreadable');
    } finally {
      chosen.close();
    }
  });
}

/** Like Promise.all over `items`, with at most `limit` calls in flight; results in input order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
