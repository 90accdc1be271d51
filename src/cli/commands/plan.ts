// `aurora-migrate plan`. Placeholder until its issue lands.
import type { PlanOptions, Io } from '../io.js';
import { NotImplemented } from '../../errors.js';

export async function runPlan(_arg: unknown, _opts: PlanOptions, _io: Io): Promise<number> {
  throw new NotImplemented('"aurora-migrate plan" is not implemented yet');
}
