// `aurora-migrate unlock`. Placeholder until its issue lands.
import type { GlobalOptions, Io } from '../io.js';
import { NotImplemented } from '../../errors.js';

export async function runUnlock(_arg: unknown, _opts: GlobalOptions, _io: Io): Promise<number> {
  throw new NotImplemented('"aurora-migrate unlock" is not implemented yet');
}
