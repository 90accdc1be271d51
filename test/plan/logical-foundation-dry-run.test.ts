// The dry-run of the logical route's first steps: every AWS call with its parameters, the master
// password as *** in every format, and the reboot only where the plan allows it.
import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { main } from '../../src/cli/main.js';
import { memoryIo } from '../support/memory-io.js';

const dir = fileURLToPath(new URL('../fixtures/plans/valid/', import.meta.url));
const PASSWORD = 'Dry-run-secret-4711';

describe('plan of enable-logical-replication and aurora-cluster', () => {
  for (const format of ['text', 'markdown', 'json']) {
    it(`shows every call and masks the master password (${format})`, async () => {
      const io = memoryIo({ cwd: dir, env: { TARGET_PASSWORD: PASSWORD } });
      const code = await main(['plan', 'logical-foundation.yaml', '--format', format], io);
      expect(code, io.err()).toBe(0);
      const out = io.out();
      expect(out + io.err()).not.toContain(PASSWORD);
      for (const op of [
        'CreateDBParameterGroup',
        'ModifyDBInstance',
        'ModifyDBParameterGroup',
        'RebootDBInstance',
        'CreateDBClusterParameterGroup',
        'ModifyDBClusterParameterGroup',
        'CreateDBCluster',
        'CreateDBInstance',
      ]) {
        expect(out).toContain(op);
      }
      if (format === 'json') {
        const doc = JSON.parse(out);
        const create = doc.steps
          .find((x: any) => x.id === 'target')
          .actions.find((a: any) => a.operation === 'CreateDBCluster');
        expect(create.params).toMatchObject({
          MasterUsername: 'postgres',
          MasterUserPassword: '***',
          DBClusterParameterGroupName: 'orders-aurora-17-logical',
          EngineVersion: '17.4',
        });
      } else {
        expect(out).toMatch(/"?MasterUserPassword"?: "?\*\*\*"?/);
      }
    });
  }
});
