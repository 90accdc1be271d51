import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { memoryIo } from '../support/memory-io.js';

describe('aurora-migrate --help', () => {
  it('starts with examples and lists every exit code', async () => {
    const io = memoryIo();
    expect(await main(['--help'], io)).toBe(0);
    const out = io.out();
    expect(out.startsWith('Examples:')).toBe(true);
    for (const code of ['0 ', '1 ', '2 ', '3 ', '4 ', '75 ', '130 ']) expect(out).toContain(`\n  ${code}`);
  });

  it('rejects an unknown command with a suggestion and exit 1', async () => {
    const io = memoryIo();
    expect(await main(['valdate', 'x.yaml'], io)).toBe(1);
    expect(io.err()).toContain('Did you mean validate?');
  });

  it('rejects an unknown flag with exit 1', async () => {
    const io = memoryIo();
    expect(await main(['status', 'x.yaml', '--bogus'], io)).toBe(1);
    expect(io.err()).toContain("unknown option '--bogus'");
  });
});
