// Shared helpers for engine tests: a temp workspace, a fake clock whose sleeps advance it (no wall
// time passes), a recording fake AWS, and applyPlan with test defaults.
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AwsApi } from '../../src/aws/api.js';
import type { DbConnector } from '../../src/db/api.js';
import { Interrupted } from '../../src/errors.js';
import { applyPlan, type ApplyEngineOptions, type EngineDeps } from '../../src/engine/engine.js';
import { parseEventLog } from '../../src/engine/event-log.js';
import { localRunStorage } from '../../src/engine/run-storage.js';
import type { StateFile } from '../../src/engine/state-file.js';
import type { Plan } from '../../src/plan/types.js';
import { testRegistry } from '../support/test-steps.js';

export const T0 = Date.parse('2026-11-22T01:00:00.000Z');

export function workspace() {
  const dir = mkdtempSync(join(tmpdir(), 'am-engine-'));
  const statePath = join(dir, '.aurora-migrate', 'demo.state.json');
  return {
    dir,
    statePath,
    ledger: join(dir, 'ledger.txt'),
    state: (): StateFile => JSON.parse(readFileSync(statePath, 'utf8')),
    stateText: () => readFileSync(statePath, 'utf8'),
    events: () =>
      existsSync(statePath + '.events.jsonl') ? parseEventLog(readFileSync(statePath + '.events.jsonl', 'utf8')) : [],
    eventsText: () =>
      existsSync(statePath + '.events.jsonl') ? readFileSync(statePath + '.events.jsonl', 'utf8') : '',
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export function fakeTime(start = T0) {
  let t = start;
  return {
    now: () => t,
    advance: (ms: number) => {
      t += ms;
    },
    /** A delay that advances the fake clock instead of waiting; rejects if aborted. */
    delay: async (ms: number, signal: AbortSignal) => {
      if (signal.aborted) throw new Interrupted('interrupted');
      t += ms;
      await Promise.resolve();
      if (signal.aborted) throw new Interrupted('interrupted');
    },
  };
}

/** A fake AWS that remembers created clusters (so steps can observe and adopt) and records calls. */
export function fakeAws() {
  const calls: Array<{ service: string; operation: string; input: Record<string, unknown> }> = [];
  const clusters = new Set<string>();
  const api: AwsApi & { calls: typeof calls } = {
    calls,
    async send(service, operation, input) {
      calls.push({ service, operation, input });
      const id = String(input.DBClusterIdentifier ?? '');
      if (operation === 'CreateDBCluster') clusters.add(id);
      if (operation === 'DescribeDBClusters')
        return { DBClusters: clusters.has(id) ? [{ DBClusterIdentifier: id, Status: 'available' }] : [] } as never;
      return {} as never;
    },
  };
  return api;
}

export const noDb: DbConnector = {
  connect: async () => {
    throw new Error('this test has no database');
  },
};

let runs = 0;

/** Everything but the storage (applyWith gives each run the local files at its state path). */
export function engineDeps(time = fakeTime(), extra: Partial<EngineDeps> = {}): Omit<EngineDeps, 'storage'> {
  return {
    registry: testRegistry(),
    aws: fakeAws(),
    db: noDb,
    clock: { now: time.now },
    delay: time.delay,
    monotonic: time.now,
    user: () => 'alice',
    newRunId: () => `run-${++runs}-0000-0000`,
    ...extra,
  };
}

export function applyWith(
  plan: Plan,
  statePath: string,
  options: Partial<ApplyEngineOptions> = {},
  deps: Partial<EngineDeps> = {},
  time = fakeTime(),
) {
  return applyPlan(
    { plan, env: {}, ...options },
    { storage: localRunStorage(statePath), ...engineDeps(time), ...deps },
  );
}
