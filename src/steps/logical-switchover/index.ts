// Step type "logical-switchover" (docs/routes/logical.md "The switchover (`logical-switchover`)"): inside the cutover
// window, after freeze-writes, it proves the target caught up (marker AND slot position), copies the
// sequences, refreshes materialized views, disables the subscription, checks that every role that
// connects to the source can log in to the target, and — for a later reverse-replication — creates
// the reverse publication and slot on the target. Nothing here is irreversible: `undo` (called by
// the engine on a rollback, before the freeze's) takes it back. The point of no return stays the
// switch-endpoint step.
import type { LogicalSwitchoverSpec } from '../../plan/types.js';
import type { StepModule } from '../step.js';
import { describeSwitchover } from './describe.js';
import { switchoverPreflight } from './preflight.js';
import { runSwitchover, undoSwitchover } from './run.js';

export const LOGICAL_SWITCHOVER_OUTPUTS = ['caughtUpAt', 'sequencesCopied', 'switchedOverAt', 'reverseSlot'] as const;

export const logicalSwitchover: StepModule<LogicalSwitchoverSpec> = {
  type: 'logical-switchover',
  outputs: LOGICAL_SWITCHOVER_OUTPUTS,
  describe: describeSwitchover,
  preflight: switchoverPreflight,
  run: runSwitchover,
  undo: undoSwitchover,
};
