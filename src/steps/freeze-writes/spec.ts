// The plan fields of "freeze-writes" (DESIGN.md "Cutover"). Kept here until the step is added to
// the StepSpec union in src/plan/types.ts and schemas/plan.schema.json (a touch point shared with
// the other cutover steps); the shape is the one those will hold.
import type { ConnectionSpec, StepBase } from '../../plan/types.js';

export interface FreezeWritesSpec extends StepBase {
  type: 'freeze-writes';
  /** The source, as the RDS master user or another rds_superuser (any database, e.g. postgres). */
  connection: ConnectionSpec;
  /** Databases to freeze, names as in pg_database. */
  databases: string[];
  /** Wait this long for write transactions to end after terminating sessions (default 30s). */
  drainTimeout?: string;
  /** The cutover window: roll back if the point of no return is not reached by then (default 5m). */
  window?: string;
}
