// Runs apply/status/unlock in-process against a temp folder, with test step types, a fake clock and
// fake AWS; and normalises output (temp paths, times, run ids) for inline snapshots.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { runApply, type ApplyOverrides } from '../../src/cli/commands/apply.js';
import { exitCodeFor } from '../../src/cli/exit-codes.js';
import { runStatus } from '../../src/cli/commands/status.js';
import { runUnlock } from '../../src/cli/commands/unlock.js';
import type { ApplyOptions, GlobalOptions } from '../../src/cli/io.js';
import { lenientLoadPlan, testRegistry } from '../support/test-steps.js';
import { memoryIo } from '../support/memory-io.js';
import { fakeAws, fakeTime, noDb, workspace } from '../engine/harness.js';

export function cliWorkspace() {
  const ws = workspace();
  const time = fakeTime();
  const aws = fakeAws();
  let runs = 0;
  const writePlan = (plan: Record<string, unknown>, name = 'plan.yaml') => {
    writeFileSync(join(ws.dir, name), stringify({ version: 1, name: 'demo', ...plan }));
    return name;
  };
  const overrides = (extra: ApplyOverrides = {}): ApplyOverrides => ({
    loadPlan: lenientLoadPlan,
    registry: testRegistry(),
    aws,
    db: noDb,
    engine: {
      clock: { now: time.now },
      delay: time.delay,
      monotonic: time.now,
      user: () => 'alice',
      newRunId: () => `run${++runs}-aaaa-bbbb`,
    },
    ...extra,
  });
  const normalize = (text: string) =>
    text
      .split(ws.dir)
      .join('<dir>')
      .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/g, '<time>')
      .replace(/pid \d+/g, 'pid <pid>')
      .replace(/heartbeat \S+ ago/g, 'heartbeat <age> ago')
      .replace(/host [^\s()]+/g, 'host <host>')
      .replace(/user [^\s(),]+/g, 'user <user>');
  async function apply(
    planFile: string,
    opts: Partial<ApplyOptions> = {},
    io = memoryIo({ cwd: ws.dir }),
    extra: ApplyOverrides = {},
  ) {
    let code: number;
    try {
      code = await runApply(
        planFile,
        { format: 'text', color: false, verbose: false, approve: [], yes: false, ...opts },
        io,
        overrides(extra),
      );
    } catch (err) {
      code = exitCodeFor(err);
      io.stderr.write(`error: ${(err as Error).message}\n`);
    }
    return { code, out: normalize(io.out()), err: normalize(io.err()), io };
  }
  async function status(planFile: string, opts: Partial<GlobalOptions> = {}, io = memoryIo({ cwd: ws.dir })) {
    const code = await runStatus(planFile, { format: 'text', color: false, verbose: false, ...opts }, io, {
      loadPlan: lenientLoadPlan,
    });
    return { code, out: normalize(io.out()), err: normalize(io.err()) };
  }
  async function unlock(planFile: string, opts: Partial<GlobalOptions> = {}, io = memoryIo({ cwd: ws.dir })) {
    let code: number;
    try {
      code = await runUnlock(planFile, { format: 'text', color: false, verbose: false, ...opts }, io, {
        loadPlan: lenientLoadPlan,
        now: time.now,
      });
    } catch (err) {
      code = exitCodeFor(err);
      io.stderr.write(`error: ${(err as Error).message}\n`);
    }
    return { code, out: normalize(io.out()), err: normalize(io.err()) };
  }
  return { ...ws, time, aws, writePlan, apply, status, unlock, normalize };
}
