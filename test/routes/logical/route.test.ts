// The logical route's built steps through the real CLI against the AWS stand-in backed by real
// PostgreSQL: enable-logical-replication reboots the real PostgreSQL 14 source with wal_level =
// logical, aurora-cluster starts an empty real PostgreSQL 18 target with its RDS-like master user,
// and logical-replica copies the application's database into it from the outputs of those steps
// (endpoint, port), while the application keeps writing; drop-replication then leaves nothing.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startAwsStandin, type AwsStandin } from '../../../rehearsal/aws/index.js';
import { newPassword, prepareRdsDatabase } from '../../../rehearsal/postgres/rds-roles.js';
import { ensureBuilt } from '../../../rehearsal/world/ensure-built.js';
import { startChurn, type Churn } from '../../support/logical/churn.js';
import { SCHEMA_SQL, asRole, countOn, replicationObjects, seedSql } from '../../support/logical/world.js';

const BIN = resolve(import.meta.dirname, '../../../bin/aurora-migrate.js');
const SCALE = 600;
let aws: AwsStandin | undefined;
let churn: Churn | undefined;
let dir: string | undefined;
beforeAll(() => ensureBuilt(), 120_000);
afterEach(async () => {
  await churn?.stop();
  await aws?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  aws = churn = dir = undefined;
});

const PLAN = `version: 1
name: route
region: us-east-1
steps:
  - id: logical-source
    type: enable-logical-replication
    instance: orders-pg
    parameterGroup: orders-pg-logical
    reboot: true
  - id: target
    type: aurora-cluster
    cluster: orders-aurora-18
    engineVersion: "18.4"
    instance: { class: db.r6g.large }
    masterUsername: postgres
    masterPassword: \${env.TARGET_PASSWORD}
    clusterParameterGroup: orders-aurora-18-logical
  - id: replicate
    type: logical-replica
    source: { host: "\${env.SOURCE_HOST}", port: "\${env.SOURCE_PORT}", database: orders, user: master, password: "\${env.SOURCE_PASSWORD}" }
    target: { host: "\${steps.target.outputs.endpoint}", port: "\${steps.target.outputs.port}", database: orders, user: postgres, password: "\${env.TARGET_PASSWORD}" }
    ddlGuardConnection: { host: "\${env.SOURCE_HOST}", port: "\${env.SOURCE_PORT}", database: orders, user: postgres }
    schemas: [public]
    rolePasswords: { app: "\${env.APP_PASSWORD}" }
    replicaIdentityFull: [public.audit_log]
    instance: orders-pg
    guards: [{ metric: FreeStorageSpace, on: source, below: 5GiB }]
    maxLag: 1MiB
    stableFor: 2s
    pollEvery: 5s
  - id: cleanup-target
    type: drop-replication
    connection: { host: "\${steps.target.outputs.endpoint}", port: "\${steps.target.outputs.port}", database: orders, user: postgres, password: "\${env.TARGET_PASSWORD}" }
    subscriptions: ["\${steps.replicate.outputs.subscription}"]
  - id: cleanup-source
    type: drop-replication
    connection: { host: "\${env.SOURCE_HOST}", port: "\${env.SOURCE_PORT}", database: orders, user: postgres }
    publications: ["\${steps.replicate.outputs.publication}"]
    slots: ["\${steps.replicate.outputs.slot}"]
    ddlGuard: true
`;

function cli(args: string[], env: NodeJS.ProcessEnv) {
  return new Promise<{ code: number | null; out: string; err: string }>((done) => {
    const child = spawn(process.execPath, [BIN, ...args], { env, cwd: dir });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) => done({ code, out, err }));
  });
}

describe("the logical route's built steps through the CLI (real 14 source and 18 target behind the stand-in)", () => {
  it("enable → cluster → replicate (from the cluster step's outputs) → drop-replication, with the application writing", async () => {
    aws = await startAwsStandin({
      timeScale: SCALE,
      real: { sampleEveryMs: 0 },
      seed: { instances: [{ id: 'orders-pg', real: true, major: 14, allocatedStorageGiB: 100 }] },
    });
    const source = aws.real!.server('orders-pg')!;
    const { master, app } = await prepareRdsDatabase(source, 'orders');
    await source.query(`ALTER ROLE ${master.user} REPLICATION`); // stand-in of GRANT rds_replication TO master
    await source.query(`GRANT ${app.user} TO ${master.user}`);
    await asRole(app, async (c) => {
      await c.query(SCHEMA_SQL);
      await c.query(seedSql(5000));
    });
    churn = startChurn(app, { everyMs: 5 });
    dir = mkdtempSync(join(tmpdir(), 'am-logical-route-'));
    writeFileSync(join(dir, 'plan.yaml'), PLAN);
    const secrets = {
      TARGET_PASSWORD: `Tgt-${newPassword()}`,
      SOURCE_PASSWORD: master.password!,
      APP_PASSWORD: `App-${newPassword()}`,
    };
    const env = {
      ...process.env,
      ...aws.env,
      ...secrets,
      AURORA_MIGRATE_TIME_SCALE: String(SCALE),
      NO_COLOR: '1',
      SOURCE_HOST: source.address,
      SOURCE_PORT: String(source.port),
    };

    // plan --preflight before anything exists: the source is checked now (wal_level will be set by the
    // earlier enable step), the target's checks wait for it.
    const preflight = await cli(['plan', 'plan.yaml', '--preflight'], env);
    expect(preflight.code, preflight.err).toBe(0);
    expect(preflight.out).toMatch(
      /wal_level.*replica now; step "logical-source" \(enable-logical-replication\) sets rds\.logical_replication = 1 before this step/,
    );
    expect(preflight.out).toMatch(/table ownership for the publication.*master may publish every table/);
    expect(preflight.out).toMatch(
      /target checks.*skipped: the target \(<steps\.target\.outputs\.endpoint>\) is known only after an earlier step has run/,
    );

    const r = await cli(['apply', 'plan.yaml', '--until', 'replicate'], env);
    expect(r.code, r.err).toBe(0);
    expect(aws.calls.count('RebootDBInstance')).toBe(1);
    const state = JSON.parse(readFileSync(join(dir, '.aurora-migrate', 'route.state.json'), 'utf8'));
    const target = aws.real!.server('orders-aurora-18')!;
    expect(target.major).toBe(18);
    expect(state.steps.replicate.outputs).toMatchObject({
      subscription: 'aurora_migrate_route_replicate',
      rowsCopied: expect.any(Number),
    });

    await churn.stop();
    await source.query(`INSERT INTO aurora_migrate.cutover_marker (run_id, token) VALUES ('t', 'route')`, [], 'orders');
    for (
      let i = 0;
      i < 200 &&
      (await target.query(`SELECT 1 FROM aurora_migrate.cutover_marker WHERE token = 'route'`, [], 'orders')).length ===
        0;
      i++
    )
      await new Promise((res) => setTimeout(res, 50));
    for (const t of ['customers', 'orders', 'events', 'audit_log'])
      expect(await countOn(target, t), t).toBe(await countOn(source, t));
    expect(churn.counts.update).toBeGreaterThan(0);

    const cleanup = await cli(['apply', 'plan.yaml'], env);
    expect(cleanup.code, cleanup.err).toBe(0);
    expect(await replicationObjects({ source, target })).toEqual({ slots: [], publications: [], subscriptions: [] });
    const texts = [
      r.out,
      r.err,
      cleanup.out,
      cleanup.err,
      readFileSync(join(dir, '.aurora-migrate', 'route.state.json'), 'utf8'),
      readFileSync(join(dir, '.aurora-migrate', 'route.state.json.events.jsonl'), 'utf8'),
    ];
    for (const text of texts) for (const secret of Object.values(secrets)) expect(text).not.toContain(secret);
  }, 120_000);

  it('apply checks logical-replica first: a table without a replica identity stops the run before the reboot or the new cluster (exit 2, nothing changed)', async () => {
    aws = await startAwsStandin({
      timeScale: SCALE,
      real: { sampleEveryMs: 0 },
      seed: { instances: [{ id: 'orders-pg', real: true, major: 14, allocatedStorageGiB: 100 }] },
    });
    const source = aws.real!.server('orders-pg')!;
    const { master, app } = await prepareRdsDatabase(source, 'orders');
    await source.query(`ALTER ROLE ${master.user} REPLICATION`);
    await source.query(`GRANT ${app.user} TO ${master.user}`);
    await asRole(app, async (c) => {
      await c.query(SCHEMA_SQL);
      await c.query(seedSql(100));
    });
    dir = mkdtempSync(join(tmpdir(), 'am-logical-route-'));
    writeFileSync(join(dir, 'plan.yaml'), PLAN.replace('    replicaIdentityFull: [public.audit_log]\n', ''));
    const env = {
      ...process.env,
      ...aws.env,
      TARGET_PASSWORD: `Tgt-${newPassword()}`,
      SOURCE_PASSWORD: master.password!,
      APP_PASSWORD: `App-${newPassword()}`,
      AURORA_MIGRATE_TIME_SCALE: String(SCALE),
      NO_COLOR: '1',
      SOURCE_HOST: source.address,
      SOURCE_PORT: String(source.port),
    };
    const r = await cli(['apply', 'plan.yaml'], env);
    expect(r.code, r.err).toBe(2);
    expect(r.out + r.err).toMatch(
      /nothing was changed: a check that must pass before apply starts failed — step "replicate": .*audit_log/,
    );
    for (const op of [
      'ModifyDBParameterGroup',
      'CreateDBParameterGroup',
      'ModifyDBInstance',
      'RebootDBInstance',
      'CreateDBCluster',
      'CreateDBInstance',
    ]) {
      expect(aws.calls.count(op), op).toBe(0);
    }
    const state = JSON.parse(readFileSync(join(dir, '.aurora-migrate', 'route.state.json'), 'utf8'));
    expect(Object.values(state.steps).map((s) => (s as { status: string }).status)).toEqual(Array(5).fill('pending'));
  }, 120_000);
});
