// Step type "snapshot-migrate". Placeholder: its real work is built in a later issue.
import { NotImplemented } from '../errors.js';
import type { SnapshotMigrateSpec } from '../plan/types.js';
import type { StepModule } from './step.js';

export const snapshotMigrate: StepModule<SnapshotMigrateSpec> = {
  type: 'snapshot-migrate',
  outputs: ['snapshotArn', 'clusterId', 'clusterArn', 'instanceId', 'endpoint', 'readerEndpoint'],
  describe: () => [],
  run: async () => {
    throw new NotImplemented('step type "snapshot-migrate" is not implemented yet');
  },
};
