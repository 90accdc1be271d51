// Step type "lag-watch". Placeholder: its real work is built in a later issue.
import { NotImplemented } from '../errors.js';
import type { LagWatchSpec } from '../plan/types.js';
import type { StepModule } from './step.js';

export const lagWatch: StepModule<LagWatchSpec> = {
  type: 'lag-watch',
  outputs: [],
  describe: () => [],
  run: async () => {
    throw new NotImplemented('step type "lag-watch" is not implemented yet');
  },
};
