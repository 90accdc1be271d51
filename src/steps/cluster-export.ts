// Step type "cluster-export". Placeholder: its real work is built in a later issue.
import { NotImplemented } from '../errors.js';
import type { ClusterExportSpec } from '../plan/types.js';
import type { StepModule } from './step.js';

export const clusterExport: StepModule<ClusterExportSpec> = {
  type: 'cluster-export',
  outputs: ['exportId', 'totalExtractedGB', 'warnings'],
  describe: () => [],
  run: async () => {
    throw new NotImplemented('step type "cluster-export" is not implemented yet');
  },
};
