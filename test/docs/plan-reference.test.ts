import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { REFERENCE_FILE, renderReference } from '../../scripts/plan-reference.js';

const schema = JSON.parse(readFileSync(new URL('../../schemas/plan.schema.json', import.meta.url), 'utf8'));
const committed = readFileSync(new URL(`../../${REFERENCE_FILE}`, import.meta.url), 'utf8');

describe('docs/plan-reference.md', () => {
  it('is what the schema generates (run `npm run docs:reference` when this fails)', () => {
    expect(committed).toBe(renderReference(schema));
  });

  it('documents every step type and every field of each', () => {
    const reference = renderReference(schema);
    for (const variant of schema.$defs.step.oneOf) {
      const def = schema.$defs[variant.$ref.replace('#/$defs/', '')];
      expect(reference).toContain(`## Step \`${def.properties.type.const}\``);
      for (const field of Object.keys(def.properties)) expect(reference).toContain(`| \`${field}\` |`);
    }
  });
});
