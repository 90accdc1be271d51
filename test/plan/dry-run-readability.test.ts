// Readability of what a reviewer and an operator read: `plan` text lists GetMetricData's queries one
// per line (not one JSON line), and lag-watch progress states the window's verdict plainly, naming the
// minute that is missing or over maxLag.
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { judgeLag, MINUTE, type Point } from '../../src/rds/metrics.js';
import { lagWindowText } from '../../src/steps/lag-watch/window-text.js';
import { memoryIo } from '../support/memory-io.js';

const example = fileURLToPath(new URL('../../plans/replica-with-backfill.yaml', import.meta.url));

describe('plan text: MetricDataQueries', () => {
  it('one line per query: id, namespace and metric, dimension, stat, period', async () => {
    const io = memoryIo({ cwd: fileURLToPath(new URL('.', import.meta.url)), env: { NO_COLOR: '1' } });
    expect(await main(['plan', example], io)).toBe(0);
    const lines = io.out().split('\n');
    const at = lines.indexOf('       MetricDataQueries:');
    expect(at).toBeGreaterThan(0);
    expect(lines.slice(at, at + 4)).toEqual([
      '       MetricDataQueries:',
      '         - lag: AWS/RDS RDSToAuroraPostgreSQLReplicaLag, DBInstanceIdentifier=<steps.replica.outputs.instanceId>, Maximum, period 60s',
      '         - g0: AWS/RDS FreeStorageSpace, DBInstanceIdentifier=orders-pg, Minimum, period 60s',
      '         - g1: AWS/RDS OldestReplicationSlotLag, DBInstanceIdentifier=orders-pg, Maximum, period 60s',
    ]);
    expect(io.out()).not.toMatch(/MetricDataQueries: \[/);
  });
});

describe('lag-watch progress: the window verdict', () => {
  // Newest first, one point per minute ending 06:08 UTC; null = no datapoint for that minute.
  const end = Date.UTC(2026, 10, 22, 6, 8);
  const pts = (values: Array<number | null>): Point[] =>
    values.flatMap((v, i) => (v === null ? [] : [{ t: end - i * MINUTE, v }]));
  const text = (values: Array<number | null>, maxLag = 0, needed = 5) => {
    const points = pts(values);
    return lagWindowText('orders-aurora-1', points, judgeLag(points, maxLag, needed), maxLag);
  };

  it('names a missing minute', () => {
    expect(text([0, 0, 0, 0, null, 0])).toBe(
      'replica orders-aurora-1 lag 0s, 4/5 minutes at or under 0s (06:04 UTC missing); steady 0s→0s over 5m',
    );
  });

  it('names the minute over maxLag with its value', () => {
    expect(text([0, 19.04, 30, 40])).toBe(
      'replica orders-aurora-1 lag 0s, 1/5 minutes at or under 0s (06:07 UTC was 19.0s, over 0s); falling 40s→0s over 3m',
    );
  });

  it('when the newest minute is over, the head says it all', () => {
    expect(text([12, 20, 40], 5)).toBe(
      'replica orders-aurora-1 lag 12s, 0/5 minutes at or under 5s; falling 40s→12s over 2m',
    );
  });

  it('no datapoints: unknown, never zero', () => {
    expect(text([])).toBe(
      'replica orders-aurora-1 lag unknown, 0/5 minutes at or under 0s (no datapoints yet: unknown, never zero)',
    );
  });

  it('a short window that has not filled yet names the minute it still needs', () => {
    expect(text([0, 0], 0, 3)).toBe(
      'replica orders-aurora-1 lag 0s, 2/3 minutes at or under 0s (06:06 UTC missing); steady 0s→0s over 1m',
    );
    expect(text([0], 0, 1)).toBe('replica orders-aurora-1 lag 0s, 1/1 minute at or under 0s');
  });
});
