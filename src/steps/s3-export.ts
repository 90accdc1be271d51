// Step type "s3-export". Placeholder: its real work is built in a later issue.
import { NotImplemented } from '../errors.js';
import type { S3ExportSpec } from '../plan/types.js';
import type { StepModule } from './step.js';

export const s3Export: StepModule<S3ExportSpec> = {
  type: 's3-export',
  outputs: ['rowsUploaded', 'filesUploaded', 'bytesUploaded'],
  describe: () => [],
  run: async () => {
    throw new NotImplemented('step type "s3-export" is not implemented yet');
  },
};
