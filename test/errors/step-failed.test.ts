// StepFailed builds a step failure's message once (src/errors.ts): what happened, then the remedy,
// under the step's name. A message that names the step by hand would name it twice.
import { readFileSync } from 'node:fs';
import { glob } from 'tinyglobby';
import { describe, expect, it } from 'vitest';
import { failureText, StepFailed, stepFailureMessage } from '../../src/errors.js';

describe('StepFailed', () => {
  it('reads step "<id>" failed: <what>. <remedy>, and keeps the parts and the cause', () => {
    const cause = new Error('InvalidDBClusterStateFault');
    const err = new StepFailed('promote', 'cluster orders-aurora is in state "modifying" (expected "available")', {
      remedy: 'Wait for the modification to finish, then run aurora-migrate apply again.',
      cause,
    });
    expect(err.message).toBe(
      'step "promote" failed: cluster orders-aurora is in state "modifying" (expected "available"). Wait for the modification to finish, then run aurora-migrate apply again.',
    );
    expect(err).toMatchObject({
      code: 'STEP_FAILED',
      stepId: 'promote',
      what: 'cluster orders-aurora is in state "modifying" (expected "available")',
      cause,
    });
    expect(failureText(err)).toBe(
      'cluster orders-aurora is in state "modifying" (expected "available"). Wait for the modification to finish, then run aurora-migrate apply again.',
    );
  });

  it('says how the step ended when "failed" says too little, and adds no second full stop', () => {
    expect(
      new StepFailed('switch', 'the record is an A record.', {
        outcome: 'refused to switch:',
        remedy: 'Nothing was changed in Route 53.',
      }).message,
    ).toBe('step "switch" refused to switch: the record is an A record. Nothing was changed in Route 53.');
    expect(stepFailureMessage('catch-up', 'waiting for replica r lag', { outcome: 'timed out after 2h' })).toBe(
      'step "catch-up" timed out after 2h waiting for replica r lag',
    );
    expect(failureText(new Error('plain'))).toBe('plain');
  });

  it('no code (src, its tests, the rehearsal) names the step in a failure by hand', async () => {
    const files = await glob(['src/**/*.ts', 'test/**/*.ts', 'rehearsal/**/*.ts'], {
      ignore: ['src/**/*.generated.ts'],
    });
    const found: string[] = [];
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      // `step "${…}" failed: ` typed into a message, or a StepFailed whose text starts with the step's name.
      for (const m of text.matchAll(/`step "\$\{[^}]+\}" failed: |new StepFailed\(\s*[^,]+,\s*`step "/g)) {
        const line = text.slice(0, m.index).split('\n').length;
        if (!text.split('\n')[line - 1].trimStart().startsWith('/')) found.push(`${file}:${line}`);
      }
    }
    expect(found, 'let StepFailed name the step: new StepFailed(id, what, { remedy, outcome, cause })').toEqual([]);
  });
});
