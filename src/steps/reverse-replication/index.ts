// Step type "reverse-replication" (docs/routes/logical.md "The fallback"): after the switch, the old
// source subscribes to the reverse publication and slot the logical-switchover created on Aurora, so
// every write made on Aurora since the switch reaches it and the fallback plan
// (plans/logical-fallback.yaml) can switch back losing nothing.
import type { ReverseReplicationSpec } from '../../plan/types.js';
import type { StepModule } from '../step.js';
import { describeReverse } from './describe.js';
import { reversePreflight } from './preflight.js';
import { runReverse } from './run.js';

export const REVERSE_REPLICATION_OUTPUTS = ['publication', 'subscription', 'slot'] as const;

export const reverseReplication: StepModule<ReverseReplicationSpec> = {
  type: 'reverse-replication',
  outputs: REVERSE_REPLICATION_OUTPUTS,
  describe: describeReverse,
  preflight: reversePreflight,
  run: runReverse,
};
