// switch-endpoint inside a cutover window, through the engine (applyPlan in-process, the production
// step registry): freeze-writes on a real (embedded) PostgreSQL, then the DNS switch against the
// Route 53 stand-in through the real client. With no promotion in between (the snapshot route's
// shape), the Route 53 change is the point of no return: the engine records it there, the outputs
// carry writeDowntime from the freeze; a deadline that passed before the change rolls the freeze
// back with nothing sent; a missing zone fails before the point of no return and rolls back too.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MINUTE, SECOND, startAwsStandin, type AwsStandin } from '../../../rehearsal/aws/index.js';
import { startPostgres, type TestPostgres } from '../../../rehearsal/postgres/server.js';
import type { AwsApi } from '../../../src/aws/api.js';
import { createAwsApi } from '../../../src/aws/sdk-api.js';
import { createPgConnector } from '../../../src/db/pg-connector.js';
import { applyPlan } from '../../../src/engine/engine.js';
import { localRunStorage } from '../../../src/engine/run-storage.js';
import { Interrupted } from '../../../src/errors.js';
import { checkPlanText } from '../../../src/plan/load.js';
import { steps } from '../../../src/steps/index.js';
import { liftFenceAsAdmin } from '../../../rehearsal/postgres/rds-roles.js';

const ZONE = 'Z0123456789ABCDEFGHIJ';
const RECORD = 'orders-db.internal.example.com';
const SOURCE_ENDPOINT = 'orders-pg.abc123.us-east-1.rds.amazonaws.com';
const TARGET = 'orders-aurora.cluster-xyz.us-east-1.rds.amazonaws.com';

let aws: AwsStandin;
let api: ReturnType<typeof createAwsApi>;
let pg: TestPostgres;
let dir: string;
const db = createPgConnector();

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'am-switch-window-'));
  pg = await startPostgres();
  await pg.query(pg.admin, 'CREATE DATABASE orders');
  aws = await startAwsStandin({
    manualClock: true,
    route53ChangePendingMs: 20 * SECOND,
    seed: { hostedZones: [{ id: ZONE, name: 'internal.example.com' }] },
  });
  api = createAwsApi({ env: aws.env, maxAttempts: 3 });
}, 120_000);
afterAll(async () => {
  api?.destroy();
  await aws?.close();
  await pg?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 60_000);

const planText = (name: string, zone = ZONE) => `
version: 1
name: ${name}
steps:
  - id: freeze
    type: freeze-writes
    connection: { host: ${pg.admin.host}, port: ${pg.admin.port}, database: postgres, user: ${pg.admin.user}, password: "\${env.PGPASSWORD}" }
    databases: [orders]
    drainTimeout: 5s
    window: 5m
  - id: switch
    type: switch-endpoint
    hostedZoneId: ${zone}
    record: ${RECORD}
    target: ${TARGET}
`;

function apply(text: string, awsApi: AwsApi = api) {
  const r = checkPlanText(`plans/${text.match(/name: (\S+)/)![1]}.yaml`, text);
  if (!r.ok) throw new Error(JSON.stringify(r.diagnostics));
  return applyPlan(
    { plan: r.plan, env: { PGPASSWORD: pg.admin.password ?? '' } },
    {
      storage: localRunStorage(join(dir, `${r.plan.name}.state.json`)),
      registry: steps,
      aws: awsApi,
      db,
      clock: { now: aws.clock.now },
      monotonic: aws.clock.now,
      delay: async (ms: number, signal: AbortSignal) => {
        if (signal.aborted) throw new Interrupted('interrupted');
        aws.clock.advance(ms);
      },
      lock: false,
    },
  );
}

const readOnlySetting = async () =>
  (
    await pg.query<{ setconfig: string[] | null }>(
      pg.admin,
      `SELECT s.setconfig FROM pg_database d LEFT JOIN pg_db_role_setting s ON s.setdatabase = d.oid AND s.setrole = 0 WHERE d.datname = 'orders'`,
    )
  )[0]?.setconfig ?? null;

function seedRecord() {
  aws.route53.seedRecord({ zoneId: ZONE, name: RECORD, type: 'CNAME', ttl: 60, values: [SOURCE_ENDPOINT] });
}

describe('switch-endpoint as the point of no return (freeze → switch)', () => {
  it('crosses the point of no return at the Route 53 change; writeDowntime runs from the freeze to INSYNC', async () => {
    seedRecord();
    const r = await apply(planText('switch-ok'));
    expect(r.outcome, JSON.stringify(r.failed)).toBe('succeeded');
    expect(r.cutover).toMatchObject({
      status: 'committed',
      pointOfNoReturn: { stepId: 'switch', what: 'Route 53 change sent' },
    });
    const freeze = r.steps.find((s) => s.id === 'freeze')!;
    const sw = r.steps.find((s) => s.id === 'switch')!;
    expect(sw.outputs).toMatchObject({
      previousValue: SOURCE_ENDPOINT,
      value: TARGET,
      changeId: expect.stringMatching(/^\/change\//),
    });
    const frozenAt = freeze.outputs!.frozenAt as string;
    const switchedAt = sw.outputs!.switchedAt as string;
    expect(sw.outputs!.writeDowntime).toBe(`${((Date.parse(switchedAt) - Date.parse(frozenAt)) / 1000).toFixed(1)}s`);
    expect(Date.parse(switchedAt) - Date.parse(frozenAt)).toBeGreaterThanOrEqual(20 * SECOND);
    expect(aws.route53.record(RECORD)?.values).toEqual([TARGET]);
    // After the point of no return nothing is rolled back: the source stays frozen.
    expect(await readOnlySetting()).toEqual(['default_transaction_read_only=on']);
    await liftFenceAsAdmin(
      {
        admin: pg.admin,
        query: (sql, params, database) => pg.query({ ...pg.admin, database: database ?? 'postgres' }, sql, params),
      },
      ['orders'],
    );
  });

  it('a deadline that passed before the change: rolled back, writes back on the source, nothing sent to Route 53', async () => {
    seedRecord();
    const before = aws.calls.count('ChangeResourceRecordSets');
    // The clock jumps past the window while the step reads the record (a stalled laptop, a slow API).
    const slow: AwsApi = {
      send: async (service, operation, input, options) => {
        const out = await api.send(service, operation, input, options);
        if (operation === 'ListResourceRecordSets') aws.clock.advance(10 * MINUTE);
        return out;
      },
    };
    const r = await apply(planText('switch-late'), slow);
    expect(r.outcome).toBe('rolled-back');
    expect(r.failed!.error.message).toMatch(
      /deadline .* passed before Route 53 change sent\. Writes are back on the source/,
    );
    expect(r.cutover).toMatchObject({ status: 'rolled-back' });
    expect(aws.calls.count('ChangeResourceRecordSets')).toBe(before);
    expect(aws.route53.record(RECORD)?.values).toEqual([SOURCE_ENDPOINT]);
    expect(await readOnlySetting()).toBeNull();
  });

  it('a missing hosted zone fails before the point of no return: rolled back with the zone named', async () => {
    const r = await apply(planText('switch-nozone', 'ZNOPE'));
    expect(r.outcome).toBe('rolled-back');
    expect(r.failed!.error.message).toMatch(
      /hosted zone "ZNOPE" was not found.* Nothing was changed in Route 53\. — rolled back: .*Writes are back on the source/,
    );
    expect(await readOnlySetting()).toBeNull();
  });
});
