// `aurora-migrate status`. Placeholder until its issue lands.
import type { GlobalOptions, Io } from '../io.js';
import { NotImplemented } from '../../errors.js';

export async function runStatus(_arg: unknown, _opts: GlobalOptions, _io: Io): Promise<number> {
  throw new NotImplemented('"aurora-migrate status" is not implemented yet');
}
