// maxSlotLag looks at the subscription's slot and its table-copy slots alike: whichever keeps the
// most WAL trips it, and a table-copy slot is named as what it is (its name alone means nothing).
import { describe, expect, it } from 'vitest';
import type { AwsApi } from '../../../src/aws/api.js';
import { trippedLogicalGuard } from '../../../src/steps/logical-replica/guards.js';
import type { SlotRow } from '../../../src/steps/logical-replica/subscription.js';

const slot = (name: string, retained: number): SlotRow => ({
  slot: name,
  active: true,
  pid: 1,
  retained,
  lag: retained,
});

async function trip(slots: SlotRow[]) {
  return trippedLogicalGuard({
    aws: {} as AwsApi, // no CloudWatch guard: never called
    signal: new AbortController().signal,
    now: Date.now(),
    guards: [],
    maxSlotLagBytes: 1024,
    slots,
    source: { read: async () => [] },
  });
}

describe('maxSlotLag', () => {
  it("names the subscription's slot when it keeps the most WAL", async () => {
    const r = await trip([slot('aurora_migrate_orders_replicate', 4096), slot('pg_16487_sync_16407_77159', 2048)]);
    expect(r?.message).toBe(
      'guard tripped: replication slot aurora_migrate_orders_replicate keeps 4KiB of WAL on the source, over maxSlotLag 1KiB',
    );
  });

  it('says what a table-copy slot is when that one keeps the most', async () => {
    const r = await trip([slot('aurora_migrate_orders_replicate', 2048), slot('pg_16487_sync_16407_77159', 44237)]);
    expect(r?.message).toBe(
      "guard tripped: replication slot pg_16487_sync_16407_77159 (the subscription's copy of one table) keeps 43.2KiB of WAL on the source, over maxSlotLag 1KiB",
    );
  });

  it('holds while every slot keeps no more than maxSlotLag', async () => {
    expect(await trip([slot('aurora_migrate_orders_replicate', 1024), slot('pg_1_sync_2_3', 100)])).toBeUndefined();
  });
});
