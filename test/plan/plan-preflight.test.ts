// plan --preflight: renders pass/warn/fail per check; exit 2 on a failure or when preflight cannot run.
import { fileURLToPath } from 'node:url';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { NotImplemented } from '../../src/errors.js';
import { main } from '../../src/cli/main.js';
import { memoryIo } from '../support/memory-io.js';

// A plain function rather than a vi.fn() implementation that throws: the latter is reported by vitest
// as the test's own failure even when the code under test catches it.
type Behaviour = { throws?: Error; report?: unknown };
let behaviour: Behaviour = {};
const calls: unknown[][] = [];
vi.mock('../../src/preflight/run-preflight.js', () => ({
  runPreflight: async (...args: unknown[]) => {
    calls.push(args);
    if (behaviour.throws) throw behaviour.throws;
    return behaviour.report;
  },
}));

const example = fileURLToPath(new URL('../../plans/exports.yaml', import.meta.url));

async function plan(extra: string[] = []) {
  const io = memoryIo({ env: { NO_COLOR: '1' } });
  const code = await main(['plan', example, '--preflight', ...extra], io);
  return { code, out: io.out(), err: io.err() };
}

describe('plan --preflight', () => {
  beforeEach(() => {
    behaviour = {};
    calls.length = 0;
  });

  it('exits 2 and prints the message when preflight is not implemented', async () => {
    behaviour = {
      throws: new NotImplemented('plan --preflight is not implemented yet: it arrives with the AWS steps'),
    };
    const r = await plan();
    expect(r.code).toBe(2);
    expect(r.err).toContain('error: plan --preflight is not implemented yet: it arrives with the AWS steps');
    expect(r.out).toContain('Preflight:\n  could not run: plan --preflight is not implemented yet');
  });

  it('renders each check and exits 2 when one fails', async () => {
    behaviour.report = {
      failed: true,
      steps: [
        {
          stepId: 'lake-export',
          type: 'cluster-export',
          checks: [
            { status: 'pass', check: 'bucket', detail: 'exists' },
            { status: 'warn', check: 'kms', detail: 'alias' },
            { status: 'fail', check: 'cluster exists', detail: 'not found' },
          ],
        },
      ],
    };
    const r = await plan();
    expect(r.code).toBe(2);
    expect(r.out).toContain(
      '    PASS  bucket: exists\n    WARN  kms: alias\n    FAIL  cluster exists: not found\nPreflight failed',
    );
    const json = JSON.parse((await plan(['--format', 'json'])).out);
    expect(json.preflight.failed).toBe(true);
    expect(json.preflight.steps[0].checks).toHaveLength(3);
  });

  it('exits 0 when every check passes, and hands preflight the plan and region', async () => {
    behaviour.report = {
      failed: false,
      steps: [
        {
          stepId: 'lake-export',
          type: 'cluster-export',
          checks: [{ status: 'pass', check: 'bucket', detail: 'exists' }],
        },
      ],
    };
    const r = await plan(['--format', 'markdown']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('### Preflight');
    expect(r.out).toContain('Preflight passed.');
    expect((calls[0][0] as { name: string }).name).toBe('orders-exports');
    expect((calls[0][1] as { region: string }).region).toBe('us-east-1');
  });
});
