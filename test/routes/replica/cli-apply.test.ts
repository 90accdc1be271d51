// The real CLI (bin/aurora-migrate.js over dist/) against the time-scaled stand-in, the way a user
// rehearses: AWS_ENDPOINT_URL_* + AURORA_MIGRATE_TIME_SCALE. The CLI keeps its own clock
// (docs/design.md "Rehearsal time scale"), and the stand-in reads the metric and event windows it
// asks for on that clock (caller-clock.ts).
// Covers: the replica route to the end, a SIGKILL right after CreateDBCluster then resume, zero AWS
// calls when the finished plan is applied again, and `plan --preflight` exiting 2 on a taken name.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../../../rehearsal/world/ensure-built.js';
import { startAwsStandin, type AwsStandin } from '../../../rehearsal/aws/index.js';

const BIN = resolve(import.meta.dirname, '../../../bin/aurora-migrate.js');
const SCALE = 600;
const PLAN = `version: 1
name: orders
region: us-east-1
steps:
  - id: replica
    type: aurora-read-replica
    source: orders-pg
    cluster: orders-aurora
    instance: { class: db.r6g.large }
  - id: catch-up
    type: lag-watch
    replica: \${steps.replica.outputs.instanceId}
    source: orders-pg
    stableFor: 5m
    guards:
      - { metric: FreeStorageSpace, on: source, below: 20GiB }
  - id: promote
    type: promote
    cluster: \${steps.replica.outputs.clusterId}
    replica: \${steps.replica.outputs.instanceId}
  - id: export
    type: cluster-export
    cluster: \${steps.replica.outputs.clusterId}
    bucket: orders-archive
    iamRole: arn:aws:iam::111122223333:role/rds-s3-export
    kmsKey: alias/exports
`;

let aws: AwsStandin | undefined;
let dir: string | undefined;
afterEach(async () => {
  await aws?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  aws = dir = undefined;
});
beforeAll(() => ensureBuilt(), 120_000);

async function world() {
  aws = await startAwsStandin({
    timeScale: SCALE,
    seed: { instances: [{ id: 'orders-pg', engineVersion: '16.4' }], buckets: ['orders-archive'] },
  });
  dir = mkdtempSync(join(tmpdir(), 'am-cli-aws-'));
  writeFileSync(join(dir, 'orders.yaml'), PLAN);
  const env = {
    ...process.env,
    ...aws.env,
    AURORA_MIGRATE_TIME_SCALE: String(SCALE),
    NO_COLOR: '1',
  };
  return { env, cwd: dir };
}

function cli(args: string[], opts: { env: NodeJS.ProcessEnv; cwd: string }, killWhen?: () => boolean) {
  return new Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string; err: string }>((done) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: opts.env, cwd: opts.cwd });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const timer = killWhen ? setInterval(() => killWhen() && child.kill('SIGKILL'), 5) : undefined;
    child.on('close', (code, signal) => {
      if (timer) clearInterval(timer);
      done({ code, signal, out, err });
    });
  });
}

describe('aurora-migrate apply (real CLI) against the stand-in', () => {
  it('runs the replica route, survives a SIGKILL after CreateDBCluster, and makes no AWS call when applied again', async () => {
    const w = await world();
    const killed = await cli(['apply', 'orders.yaml'], w, () => aws!.calls.count('CreateDBCluster') > 0);
    expect(killed.signal).toBe('SIGKILL');

    const resumed = await cli(['apply', 'orders.yaml'], w);
    expect(resumed.code, resumed.err).toBe(0);
    expect(aws!.calls.count('CreateDBCluster')).toBe(1);
    expect(aws!.calls.succeeded('CreateDBInstance')).toBe(1);
    expect(aws!.calls.succeeded('PromoteReadReplicaDBCluster')).toBe(1);
    expect(aws!.calls.succeeded('StartExportTask')).toBe(1);
    expect(resumed.err).toMatch(/orders-aurora/);

    const before = aws!.calls.records.length;
    const again = await cli(['apply', 'orders.yaml'], w);
    expect(again.code, again.err).toBe(0);
    expect(aws!.calls.records.length).toBe(before);
  }, 120_000);

  it('plan --preflight exits 2 when the cluster name belongs to someone else', async () => {
    const w = await world();
    await takeClusterName(aws!);
    const r = await cli(['plan', 'orders.yaml', '--preflight'], w);
    expect(r.code, r.out + r.err).toBe(2);
    expect(r.out + r.err).toMatch(
      /DB cluster orders-aurora already exists and is not tagged as this plan's step "replica"/,
    );
  }, 60_000);
});

/** Creates a same-named cluster without our tags, directly in the stand-in's world. */
async function takeClusterName(standin: AwsStandin) {
  const { createAwsApi } = await import('../../../src/aws/sdk-api.js');
  const api = createAwsApi({ env: standin.env, maxAttempts: 3 });
  await api.send('rds', 'CreateDBCluster', {
    DBClusterIdentifier: 'orders-aurora',
    Engine: 'aurora-postgresql',
    EngineVersion: '16.4',
  });
  api.destroy();
}
