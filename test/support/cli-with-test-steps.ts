// Test-only CLI entry: `aurora-migrate apply` with the test step types registered, for child-process
// tests (SIGKILL at random instants). Never reachable from the production CLI (src/ never imports it).
//   node --import tsx test/support/cli-with-test-steps.ts apply PLAN [--state P] [--approve ID]... [--until ID] [--format json]
import { parseArgs } from 'node:util';
import { runApply } from '../../src/cli/commands/apply.js';
import { processIo } from '../../src/cli/io.js';
import { reportError } from '../../src/cli/main.js';
import { lenientLoadPlan, testRegistry } from './test-steps.js';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    state: { type: 'string' },
    approve: { type: 'string', multiple: true, default: [] },
    until: { type: 'string' },
    format: { type: 'string', default: 'text' },
  },
});
const [command, file] = positionals;
const io = processIo();
if (command !== 'apply' || !file) {
  io.stderr.write('usage: cli-with-test-steps.ts apply PLAN [--state P] [--approve ID]... [--until ID]\n');
  process.exitCode = 1;
} else {
  runApply(
    file,
    {
      state: values.state,
      format: values.format as 'text' | 'json',
      color: false,
      verbose: false,
      approve: values.approve as string[],
      until: values.until,
      yes: false,
    },
    io,
    {
      loadPlan: lenientLoadPlan,
      registry: testRegistry(),
      aws: { send: async () => Promise.reject(new Error('no AWS in child-process tests')) },
    },
  ).then(
    (code) => (process.exitCode = code),
    (err) => (process.exitCode = reportError(err, io)),
  );
}
