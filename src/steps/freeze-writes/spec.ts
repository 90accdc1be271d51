// The plan fields of "freeze-writes" live with the other step specs in src/plan/types.ts.
export type { FreezeWritesSpec } from '../../plan/types.js';
