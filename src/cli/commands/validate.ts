// `aurora-migrate validate`. Placeholder until its issue lands.
import type { GlobalOptions, Io } from '../io.js';
import { NotImplemented } from '../../errors.js';

export async function runValidate(_arg: unknown, _opts: GlobalOptions, _io: Io): Promise<number> {
  throw new NotImplemented('"aurora-migrate validate" is not implemented yet');
}
