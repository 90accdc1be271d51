// The plan language: load and validate a plan file, hash its steps, resolve its values.
export { loadPlan, checkPlanText, MAX_PLAN_BYTES, type Diagnostic, type LoadResult } from './load.js';
export { stepHash, canonicalJson } from './step-hash.js';
export { deepFreeze } from './freeze.js';
export type * from './types.js';
