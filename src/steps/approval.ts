// Step type "approval". Placeholder: its real work is built in a later issue.
import { NotImplemented } from '../errors.js';
import type { ApprovalSpec } from '../plan/types.js';
import type { StepModule } from './step.js';

export const approval: StepModule<ApprovalSpec> = {
  type: 'approval',
  outputs: ['approvedBy', 'approvedAt'],
  describe: () => [],
  run: async () => {
    throw new NotImplemented('step type "approval" is not implemented yet');
  },
};
