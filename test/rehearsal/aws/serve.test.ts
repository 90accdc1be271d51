// serve.ts as the rehearsal runs it: a separate process, seeded from a JSON file, reached through
// the env it prints, controlled over /_standin/, stopped by SIGTERM.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAwsApi } from '../../../src/aws/sdk-api.js';

let child: ChildProcess;
let dir: string | undefined;
let info: { endpoint: string; env: Record<string, string>; s3Root: string; timeScale: number };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'standin-serve-'));
  const config = join(dir, 'config.json');
  writeFileSync(
    config,
    JSON.stringify({
      seed: { instances: [{ id: 'orders-pg', engineVersion: '16.4' }], buckets: ['orders-archive'] },
      durations: { clusterCreating: 60_000, clusterBackingUp: 0 },
    }),
  );
  child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'rehearsal/aws/serve.ts',
      '--config',
      config,
      '--time-scale',
      '1',
      '--s3-root',
      join(dir, 's3'),
    ],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`serve.ts exited with ${code}`)));
  });
  info = JSON.parse(line);
});
afterAll(async () => {
  if (child && child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('serve.ts', () => {
  it('prints the endpoint env and answers the real SDK with the seeded world', async () => {
    expect(info.env.AWS_ENDPOINT_URL_RDS).toBe(info.endpoint);
    expect(info.s3Root).toMatch(/s3$/);
    const api = createAwsApi({ env: info.env, maxAttempts: 1 });
    try {
      const out = await api.send('rds', 'DescribeDBInstances', { DBInstanceIdentifier: 'orders-pg' });
      expect(out.DBInstances[0].EngineVersion).toBe('16.4');
      await api.send('rds', 'CreateDBCluster', {
        DBClusterIdentifier: 'c1',
        Engine: 'aurora-postgresql',
        ReplicationSourceIdentifier: 'arn:aws:rds:us-east-1:111122223333:db:orders-pg',
      });
      expect((await api.send('rds', 'DescribeDBClusters', { DBClusterIdentifier: 'c1' })).DBClusters[0].Status).toBe(
        'creating',
      );
      const advanced = await fetch(`${info.endpoint}/_standin/clock/advance?ms=120000`, { method: 'POST' });
      expect(advanced.status).toBe(200);
      expect((await api.send('rds', 'DescribeDBClusters', { DBClusterIdentifier: 'c1' })).DBClusters[0].Status).toBe(
        'available',
      );
      const calls = await (await fetch(`${info.endpoint}/_standin/calls`)).json();
      expect(calls.byOperation).toEqual({ DescribeDBInstances: 1, CreateDBCluster: 1, DescribeDBClusters: 2 });
    } finally {
      api.destroy();
    }
  });

  it('stops cleanly on SIGTERM', async () => {
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
