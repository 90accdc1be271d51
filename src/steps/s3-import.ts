// Step type "s3-import". Placeholder: its real work is built in a later issue.
import { NotImplemented } from '../errors.js';
import type { S3ImportSpec } from '../plan/types.js';
import type { StepModule } from './step.js';

export const s3Import: StepModule<S3ImportSpec> = {
  type: 's3-import',
  outputs: ['filesImported', 'rowsImported'],
  describe: () => [],
  run: async () => {
    throw new NotImplemented('step type "s3-import" is not implemented yet');
  },
};
