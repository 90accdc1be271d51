// Step type "promote". Placeholder: its real work is built in a later issue.
import { NotImplemented } from '../errors.js';
import type { PromoteSpec } from '../plan/types.js';
import type { StepModule } from './step.js';

export const promote: StepModule<PromoteSpec> = {
  type: 'promote',
  outputs: ['clusterArn', 'endpoint', 'readerEndpoint', 'promotedAt'],
  describe: () => [],
  run: async () => {
    throw new NotImplemented('step type "promote" is not implemented yet');
  },
};
