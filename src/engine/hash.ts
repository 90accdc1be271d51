// Per-step content hashes as the state file records them: `sha256:<hex>` of the step as written in
// the plan (before any ${...} is resolved), via the plan module's stepHash (canonical JSON, so key
// order and YAML formatting do not matter). A step that already succeeded and whose hash changed
// makes `apply` stop with exit 4. `description` is left out: rewording it is not an edit.
import { stepHash } from '../plan/step-hash.js';
import type { StepSpec } from '../plan/types.js';

export function stepContentHash(step: object): string {
  const { description: _description, ...rest } = step as Record<string, unknown>;
  return 'sha256:' + stepHash(rest as unknown as StepSpec);
}
