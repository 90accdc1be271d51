// Test-only CLI entry for the notification tests: `aurora-migrate apply` with the test step types
// and the REAL AWS client (so SNS Publish goes over HTTP to the stand-in named by
// AWS_ENDPOINT_URL_SNS in the environment). Never reachable from the production CLI.
//   node --import tsx test/notify/notify-cli-entry.ts apply PLAN [--state P] [--approve ID]...
import { parseArgs } from 'node:util';
import { runApply } from '../../src/cli/commands/apply.js';
import { processIo } from '../../src/cli/io.js';
import { reportError } from '../../src/cli/main.js';
import { lenientLoadPlan, testRegistry } from '../support/test-steps.js';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    state: { type: 'string' },
    approve: { type: 'string', multiple: true, default: [] },
    format: { type: 'string', default: 'text' },
  },
});
const [command, file] = positionals;
const io = processIo();
if (command !== 'apply' || !file) {
  io.stderr.write('usage: notify-cli-entry.ts apply PLAN [--state P] [--approve ID]...\n');
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
      yes: false,
    },
    io,
    { loadPlan: lenientLoadPlan, registry: testRegistry() },
  ).then(
    (code) => (process.exitCode = code),
    (err) => (process.exitCode = reportError(err, io)),
  );
}
