// The copy's wait (waitForCopy) notices the last table becoming ready within READY_CHECK_MS, not up
// to pollEvery later, while the source — production — is still read only once per pollEvery
// (bench:logical-copy measured 2.4 s of a 7 s copy lost to a 5 s poll). Scripted sessions and a
// fake clock: the tables become ready at 7.3 s.
import { describe, expect, it } from 'vitest';
import type { DbConnector, ResolvedConnection } from '../../../src/db/api.js';
import { createStepContext, memoryCheckpoint } from '../../../src/engine/step-context.js';
import type { LogicalReplicaSpec } from '../../../src/plan/types.js';
import type { SourceTable } from '../../../src/steps/logical-replica/catalog.js';
import { logicalSettings } from '../../../src/steps/logical-replica/spec.js';
import { READY_CHECK_MS, waitForCopy, watcher } from '../../../src/steps/logical-replica/waits.js';

const READY_AT_MS = 7_300;
const conn = (host: string): ResolvedConnection => ({
  host,
  port: 5432,
  database: 'orders',
  user: 'master',
  ssl: false,
});
const table = (name: string): SourceTable => ({
  oid: 1,
  schema: 'public',
  name,
  sql: `"public"."${name}"`,
  display: `public.${name}`,
  kind: 'table',
  owner: 'app',
  owned: true,
  identity: 'primary key',
  reltuples: 10,
});

function world() {
  let now = 0;
  const reads = { source: 0, targetFull: 0, targetReady: 0 };
  const ready = () => now >= READY_AT_MS;
  const db: DbConnector = {
    async connect(c) {
      return {
        async query(sql: string) {
          const rows = (r: unknown[]) => ({ rows: r as never[], rowCount: r.length });
          if (c.host === 'source') {
            reads.source++;
            return rows([]); // no slot yet, no guard bound: nothing trips
          }
          if (/FILTER \(WHERE sr\.srsubstate = 'r'\)/.test(sql)) {
            reads.targetReady++;
            return rows([{ n: 2, ready: ready() ? 2 : 0 }]);
          }
          if (/FROM pg_subscription_rel/.test(sql)) {
            reads.targetFull++;
            return rows(['a', 'b'].map((name) => ({ schema: 'public', name, state: ready() ? 'r' : 'd' })));
          }
          if (/count\(\*\)/.test(sql)) return rows([{ n: '10' }]);
          if (/pg_stat_subscription_stats/.test(sql)) return rows([{ ok: false }]);
          return rows([]);
        },
        async close() {},
      };
    },
  };
  const ctx = createStepContext({
    planName: 'orders',
    stepId: 'replicate',
    attempt: 1,
    runId: 'run-1',
    aws: { send: () => Promise.reject(new Error('no AWS here')) },
    db,
    clock: { now: () => now },
    timeScale: 1,
    signal: new AbortController().signal,
    checkpoint: memoryCheckpoint() as never,
    onEvent: () => undefined,
    delay: async (ms) => {
      now += ms;
    },
    monotonic: () => now,
  });
  return { ctx, reads, now: () => now };
}

describe('logical-replica: waiting for the copy', () => {
  it('notices the last table ready within READY_CHECK_MS, and reads the source only every pollEvery', async () => {
    const { ctx, reads, now } = world();
    const spec = {
      id: 'replicate',
      type: 'logical-replica',
      source: {},
      target: {},
      pollEvery: '5s',
    } as unknown as LogicalReplicaSpec;
    const s = logicalSettings(spec);
    const names = { publication: 'p', subscription: 's', slot: 's' };
    const counted = await waitForCopy(
      ctx,
      { source: conn('source'), target: conn('target') } as never,
      s,
      names,
      [table('a'), table('b')],
      watcher(ctx, spec, s, names, 42),
    );
    expect([...counted.values()]).toEqual([10, 10]);
    // Ready at 7.3 s: seen at the next 250 ms check, not at the 10 s poll.
    expect(now()).toBeGreaterThanOrEqual(READY_AT_MS);
    expect(now()).toBeLessThanOrEqual(READY_AT_MS + READY_CHECK_MS);
    // Full observations at 0 s, 5 s and when ready: the source (slots, guards) was read three times.
    expect(reads.targetFull).toBe(3);
    expect(reads.source).toBe(3);
    // A readiness check at every other 250 ms step up to 7.5 s (31 checks, two of them full).
    expect(reads.targetReady).toBe(Math.ceil(READY_AT_MS / READY_CHECK_MS) + 1 - 2);
  });
});
