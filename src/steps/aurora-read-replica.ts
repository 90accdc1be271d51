// Step type "aurora-read-replica". Placeholder: its real work is built in a later issue.
import { NotImplemented } from '../errors.js';
import type { AuroraReadReplicaSpec } from '../plan/types.js';
import type { StepModule } from './step.js';

export const auroraReadReplica: StepModule<AuroraReadReplicaSpec> = {
  type: 'aurora-read-replica',
  outputs: ['clusterId', 'clusterArn', 'instanceId', 'endpoint', 'readerEndpoint'],
  describe: () => [],
  run: async () => {
    throw new NotImplemented('step type "aurora-read-replica" is not implemented yet');
  },
};
