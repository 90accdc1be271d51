import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderReference, spliceReadme } from '../../scripts/plan-reference.js';

const schema = JSON.parse(readFileSync(new URL('../../schemas/plan.schema.json', import.meta.url), 'utf8'));
const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

describe('README plan reference', () => {
  it('is what the schema generates (run `npm run docs:reference` when this fails)', () => {
    expect(spliceReadme(readme, renderReference(schema))).toBe(readme);
  });

  it('documents every step type and every field of each', () => {
    const reference = renderReference(schema);
    for (const variant of schema.$defs.step.oneOf) {
      const def = schema.$defs[variant.$ref.replace('#/$defs/', '')];
      expect(reference).toContain(`### Step \`${def.properties.type.const}\``);
      for (const field of Object.keys(def.properties)) expect(reference).toContain(`| \`${field}\` |`);
    }
  });
});
