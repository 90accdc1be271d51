// `aurora-migrate apply`. Placeholder until its issue lands.
import type { ApplyOptions, Io } from '../io.js';
import { NotImplemented } from '../../errors.js';

export async function runApply(_arg: unknown, _opts: ApplyOptions, _io: Io): Promise<number> {
  throw new NotImplemented('"aurora-migrate apply" is not implemented yet');
}
