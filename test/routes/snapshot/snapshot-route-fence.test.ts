// The snapshot route with the fence, through the engine on the real-replication stand-in: freeze-writes
// (fence: connections) → snapshot-migrate (a fresh snapshot of the fenced source, restored as a new
// real server) → verify-data (which makes the target usable: setting and CONNECT back there) →
// switch-endpoint (the point of no return). The application logs in as its own role and its driver
// opens every transaction READ WRITE, which a read-only default would let through for the whole
// snapshot and restore. Proven: forward with every acknowledged write on the target, the application
// connects and writes there, the source stays fenced; and with fence: read-only the same writer
// gets writes into the source after the snapshot, which verify-data then finds before the switch.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAwsStandin, type AwsStandin } from '../../../rehearsal/aws/index.js';
import type { PgServer } from '../../../rehearsal/postgres/cluster.js';
import { startWriter } from '../../../rehearsal/app/writer.js';
import {
  liftFenceAsAdmin,
  prepareRdsDatabase,
  publicCanConnect,
  type RdsDatabase,
} from '../../../rehearsal/postgres/rds-roles.js';
import { createAwsApi } from '../../../src/aws/sdk-api.js';
import { createPgConnector } from '../../../src/db/pg-connector.js';
import { applyPlan } from '../../../src/engine/engine.js';
import { localRunStorage } from '../../../src/engine/run-storage.js';
import { Interrupted } from '../../../src/errors.js';
import { checkPlanText } from '../../../src/plan/load.js';
import { steps } from '../../../src/steps/index.js';

const SOURCE = 'billing-pg';
const ZONE = 'Z0123456789ABCDEFGHIJ';
const APP_NAME = 'billing-db.internal.example.com';
let aws: AwsStandin;
let api: ReturnType<typeof createAwsApi>;
let source: PgServer;
let roles: RdsDatabase;
let dir: string;
const db = createPgConnector();

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'am-snapshot-fence-'));
  aws = await startAwsStandin({
    manualClock: true,
    real: { sampleEveryMs: 0 },
    seed: {
      instances: [{ id: SOURCE, real: true }],
      hostedZones: [{ id: ZONE, name: 'internal.example.com' }],
      records: [{ zoneId: ZONE, name: APP_NAME, type: 'CNAME', ttl: 5, values: ['billing-pg.standin.invalid'] }],
    },
  });
  api = createAwsApi({ env: aws.env, maxAttempts: 3 });
  source = aws.real!.server(SOURCE)!;
  roles = await prepareRdsDatabase(source, 'billing');
}, 120_000);
afterAll(async () => {
  api?.destroy();
  await aws?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 60_000);

const login = 'user: master, password: "${env.PGPASSWORD}"';
const planText = (name: string, fence: 'connections' | 'read-only') => `
version: 1
name: ${name}
steps:
  - id: freeze
    type: freeze-writes
    connection: { host: ${source.address}, port: ${source.port}, database: postgres, ${login} }
    databases: [billing]
    fence: ${fence}
    drainTimeout: 10s
    window: 2h
  - id: restore
    type: snapshot-migrate
    source: ${SOURCE}
    cluster: ${name}-aurora
    instance: { class: db.r6g.large }
  - id: check
    type: verify-data
    source: { host: ${source.address}, port: ${source.port}, database: billing, ${login} }
    target: { host: "\${steps.restore.outputs.endpoint}", port: "\${steps.restore.outputs.port}", database: billing, ${login} }
    tables: [public.app_writes]
  - id: switch
    type: switch-endpoint
    hostedZoneId: ${ZONE}
    record: ${APP_NAME}
    target: \${steps.restore.outputs.endpoint}
`;

function apply(text: string) {
  const r = checkPlanText(`plans/${text.match(/name: (\S+)/)![1]}.yaml`, text);
  if (!r.ok) throw new Error(JSON.stringify(r.diagnostics));
  return applyPlan(
    { plan: r.plan, env: { PGPASSWORD: roles.master.password! } },
    {
      storage: localRunStorage(join(dir, `${r.plan.name}.state.json`)),
      registry: steps,
      aws: api,
      db,
      clock: { now: aws.clock.now },
      monotonic: aws.clock.now,
      delay: async (ms: number, signal: AbortSignal) => {
        if (signal.aborted) throw new Interrupted('interrupted');
        aws.clock.advance(ms);
        // Real time for the writer, which keeps trying through the whole snapshot and restore.
        await new Promise((r) => setTimeout(r, 20));
      },
      lock: false,
    },
  );
}

const appWriter = () =>
  startWriter({
    connection: {
      host: source.address,
      port: source.port,
      database: 'billing',
      user: roles.app.user,
      password: roles.app.password,
    },
    ratePerSecond: 200,
    mode: 'begin-read-write',
  });

describe('the snapshot route with the fence', () => {
  it('a BEGIN READ WRITE writer: forward, every acknowledged write on the target, the application connects and writes there', async () => {
    const writer = await appWriter();
    await writer.waitForAcks(50, 15_000);
    const r = await apply(planText('snap-fenced', 'connections'));
    const run = await writer.stop();
    expect(r.outcome, JSON.stringify(r.failed)).toBe('succeeded');
    expect(r.cutover).toMatchObject({ status: 'committed', pointOfNoReturn: { stepId: 'switch' } });
    expect(run.errors.refused).toBeGreaterThan(0); // the fence refused its reconnects

    const endpoint = r.steps.find((s) => s.id === 'restore')!.outputs!.endpoint as string;
    const target = aws.resolveEndpoint(endpoint)!;
    const admin = await db.connect({ host: target.host, port: target.port, database: 'billing', user: 'postgres' });
    const have = new Set(
      (await admin.query<{ seq: number }>('SELECT seq::int AS seq FROM app_writes')).rows.map((x) => x.seq),
    );
    await admin.close();
    expect(run.acks.length).toBeGreaterThan(50);
    expect(run.acks.filter((a) => !have.has(a.seq))).toEqual([]);
    // verify-data made the restored copy usable: the application's role connects and writes there.
    const app = await db.connect({ ...roles.app, host: target.host, port: target.port });
    await app.query('BEGIN READ WRITE');
    await app.query('INSERT INTO app_writes (seq) VALUES (-1)');
    await app.query('COMMIT');
    await app.close();
    // The source stays fenced (forward only).
    expect(await publicCanConnect(source, 'billing')).toBe(false);
    await liftFenceAsAdmin(source, ['billing']);
  }, 180_000);

  it('fence: read-only lets the same writer through after the snapshot: verify-data finds it before the switch, nothing is switched', async () => {
    aws.route53.seedRecord({
      zoneId: ZONE,
      name: APP_NAME,
      type: 'CNAME',
      ttl: 5,
      values: ['billing-pg.standin.invalid'],
    });
    const writer = await appWriter();
    await writer.waitForAcks(50, 15_000);
    const r = await apply(planText('snap-readonly', 'read-only'));
    await writer.stop();
    expect(r.outcome).toBe('rolled-back');
    expect(r.failed!.stepId).toBe('check');
    expect(r.failed!.error.message).toMatch(/public\.app_writes has \d+ rows on the source and \d+ on the target/);
    expect(aws.route53.record(APP_NAME, 'CNAME')?.values).toEqual(['billing-pg.standin.invalid']);
  }, 180_000);
});
