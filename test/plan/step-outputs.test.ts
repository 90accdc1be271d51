// validate checks ${steps.X.outputs.Y} against STEP_OUTPUTS without loading step modules; it must
// list exactly what each step module says it outputs.
import { describe, expect, it } from 'vitest';
import { STEP_OUTPUTS } from '../../src/plan/step-outputs.js';
import { steps } from '../../src/steps/index.js';

describe('STEP_OUTPUTS', () => {
  for (const [type, mod] of Object.entries(steps)) {
    it(`${type}: same outputs as its step module`, () => {
      expect([...STEP_OUTPUTS[type as keyof typeof STEP_OUTPUTS]].sort()).toEqual([...mod.outputs].sort());
    });
  }
  it('has no step type the registry lacks', () => {
    expect(Object.keys(STEP_OUTPUTS).sort()).toEqual(Object.keys(steps).sort());
  });
});
