// `status PLAN... --format json`: one document, `{"version": 1, "plans": [...]}`, a row per plan.
import type { FleetRow } from '../fleet/fleet-row.js';

export function renderFleetJson(rows: readonly FleetRow[], options: { timeScale?: number } = {}): string {
  return (
    JSON.stringify(
      { version: 1, ...(options.timeScale !== undefined ? { timeScale: options.timeScale } : {}), plans: rows },
      null,
      2,
    ) + '\n'
  );
}
