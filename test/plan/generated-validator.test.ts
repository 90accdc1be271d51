// The precompiled validator must be generated from the current schema (npx tsx src/plan/schema-codegen.ts).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GENERATED_FILE, generateValidatorSource } from '../../src/plan/schema-codegen.js';

describe('src/plan/schema-validator.generated.ts', () => {
  it('matches schemas/plan.schema.json; run `npx tsx src/plan/schema-codegen.ts` after editing the schema', () => {
    // Line by line, so a stale file shows the lines that differ.
    expect(readFileSync(GENERATED_FILE, 'utf8').split('\n')).toEqual(generateValidatorSource().split('\n'));
  });
});
