// The logical route's first two steps through the real CLI, against the stand-in backed by real
// PostgreSQL: the RDS source is a PostgreSQL 14 server taking writes from the rehearsal's writer,
// enable-logical-replication changes its parameter group and — only with `reboot: true` — really
// restarts it with wal_level = logical (the writer sees the outage and goes on); a SIGKILL right
// after the reboot request never leads to a second reboot; aurora-cluster starts an empty
// PostgreSQL 18 server whose RDS-like master user logs in with the password from the environment,
// which never appears in the tool's output, state or event log.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startAwsStandin, type AwsStandin } from '../../../rehearsal/aws/index.js';
import { startWriter, type Writer } from '../../../rehearsal/app/writer.js';
import { createAppRole, newPassword } from '../../../rehearsal/postgres/rds-roles.js';
import type { PgServer } from '../../../rehearsal/postgres/cluster.js';
import { ensureBuilt } from '../../../rehearsal/world/ensure-built.js';

const BIN = resolve(import.meta.dirname, '../../../bin/aurora-migrate.js');
const SCALE = 600;
const SOURCE = 'orders-pg';
const TARGET_PASSWORD = `Tgt-${newPassword()}`;

const enableStep = (reboot: boolean) => `
  - id: logical-source
    type: enable-logical-replication
    instance: ${SOURCE}
    parameterGroup: orders-pg-logical
    reboot: ${reboot}
    parameters: { max_replication_slots: 12 }`;

const clusterStep = `
  - id: target
    type: aurora-cluster
    cluster: orders-aurora-18
    engineVersion: "18.4"
    instance: { class: db.r6g.large }
    masterUsername: postgres
    masterPassword: \${env.TARGET_PASSWORD}
    clusterParameterGroup: orders-aurora-18-logical`;

const plan = (steps: string) => `version: 1\nname: logical\nregion: us-east-1\nsteps:${steps}\n`;

let aws: AwsStandin | undefined;
let dir: string | undefined;
let writer: Writer | undefined;
const children = new Set<ChildProcess>();

beforeAll(() => ensureBuilt(), 120_000);
afterEach(async () => {
  for (const c of children) c.kill('SIGKILL');
  children.clear();
  await writer?.stop();
  await aws?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  aws = dir = writer = undefined;
});
afterAll(async () => aws?.close());

async function world(): Promise<{ env: NodeJS.ProcessEnv; cwd: string; source: PgServer }> {
  aws = await startAwsStandin({
    timeScale: SCALE,
    real: { sampleEveryMs: 0 },
    seed: { instances: [{ id: SOURCE, real: true, major: 14 }] },
  });
  dir = mkdtempSync(join(tmpdir(), 'am-logical-'));
  const env = { ...process.env, ...aws.env, AURORA_MIGRATE_TIME_SCALE: String(SCALE), NO_COLOR: '1', TARGET_PASSWORD };
  return { env, cwd: dir, source: aws.real!.server(SOURCE)! };
}

function cli(args: string[], w: { env: NodeJS.ProcessEnv; cwd: string }, killWhen?: () => boolean) {
  return new Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string; err: string }>((done) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: w.env, cwd: w.cwd });
    children.add(child);
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const timer = killWhen ? setInterval(() => killWhen() && child.kill('SIGKILL'), 2) : undefined;
    child.on('close', (code, signal) => {
      if (timer) clearInterval(timer);
      children.delete(child);
      done({ code, signal, out, err });
    });
  });
}

const stateFile = (cwd: string) => join(cwd, '.aurora-migrate', 'logical.state.json');
const eventLog = (cwd: string) => `${stateFile(cwd)}.events.jsonl`;
const outputsOf = (cwd: string, step: string) =>
  JSON.parse(readFileSync(stateFile(cwd), 'utf8')).steps[step].outputs as Record<string, any>;
const show = async (server: PgServer, name: string) =>
  (await server.query<Record<string, string>>(`SHOW ${name}`))[0]![name];
const startedAt = async (server: PgServer) =>
  (await server.query<{ t: string }>(`SELECT pg_postmaster_start_time()::text AS t`))[0]!.t;

async function startAppWriter(source: PgServer): Promise<Writer> {
  const password = newPassword();
  await createAppRole(source, { user: 'app', password });
  await source.query('GRANT CREATE ON SCHEMA public TO app');
  return startWriter({
    connection: { host: source.address, port: source.port, database: 'postgres', user: 'app', password },
    ratePerSecond: 150,
    poolSize: 2,
  });
}

describe('logical route foundation on real servers (PostgreSQL 14 source, 18 target)', () => {
  it('enables logical replication: stops for the reboot without reboot: true, then reboots the live source once with it, and creates the empty target', async () => {
    const w = await world();
    writer = await startAppWriter(w.source);
    await writer.waitForAcks(50, 10_000);
    expect(w.source.version).toMatch(/^14\./);
    const bootedAt = await startedAt(w.source);
    writeFileSync(join(w.cwd, 'logical.yaml'), plan(enableStep(false) + clusterStep));

    const held = await cli(['apply', 'logical.yaml'], w);
    expect(held.code, held.err).toBe(2);
    expect(held.err).toMatch(
      /rds.logical_replication = 1 is set in parameter group orders-pg-logical, but it takes effect only when orders-pg is rebooted/,
    );
    expect(held.err).toMatch(/set "reboot: true" on this step, then run aurora-migrate apply again/);
    expect(held.err).not.toMatch(/\n\s+at /); // no stack trace
    expect(aws!.calls.count('RebootDBInstance')).toBe(0);
    expect(aws!.calls.count('CreateDBCluster')).toBe(0);
    expect(await show(w.source, 'wal_level')).toBe('replica');
    expect(await startedAt(w.source)).toBe(bootedAt);

    // Allowed to reboot now: the real server restarts, the writer loses its connections and goes on.
    writeFileSync(join(w.cwd, 'logical.yaml'), plan(enableStep(true) + clusterStep));
    const errorsBefore = writer.errors.terminated + writer.errors.refused;
    const applied = await cli(['apply', 'logical.yaml'], w);
    expect(applied.code, applied.err).toBe(0);
    expect(aws!.calls.count('RebootDBInstance')).toBe(1);
    expect(await show(w.source, 'wal_level')).toBe('logical');
    expect(await show(w.source, 'max_replication_slots')).toBe('12');
    expect(await startedAt(w.source)).not.toBe(bootedAt);
    expect(writer.errors.terminated + writer.errors.refused).toBeGreaterThan(errorsBefore);
    await writer.waitForAcks(50, 10_000); // writes go on after the outage

    const enabled = outputsOf(w.cwd, 'logical-source');
    expect(enabled).toEqual({
      parameterGroup: 'orders-pg-logical',
      walLevel: 'logical',
      rebootedAt: expect.any(String),
    });

    // The target: a real, empty PostgreSQL 18 server; the master user logs in with its password and is no superuser.
    const target = outputsOf(w.cwd, 'target');
    expect(target).toMatchObject({
      clusterId: 'orders-aurora-18',
      instanceId: 'orders-aurora-18-1',
      engineVersion: '18.4',
      port: expect.any(Number),
    });
    const client = new pg.Client({
      host: target.endpoint,
      port: target.port,
      user: 'postgres',
      password: TARGET_PASSWORD,
      database: 'postgres',
    });
    await client.connect();
    try {
      const [me] = (
        await client.query(`SELECT current_user AS u, rolsuper, rolcreatedb, rolcreaterole, pg_has_role('rds_superuser', 'MEMBER') AS rds,
        current_setting('server_version_num')::int / 10000 AS major, current_setting('wal_level') AS wal FROM pg_roles WHERE rolname = current_user`)
      ).rows;
      expect(me).toEqual({
        u: 'postgres',
        rolsuper: false,
        rolcreatedb: true,
        rolcreaterole: true,
        rds: true,
        major: 18,
        wal: 'logical',
      });
      const tables = (
        await client.query(
          `SELECT count(*)::int AS n FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')`,
        )
      ).rows[0].n;
      expect(tables).toBe(0);
    } finally {
      await client.end();
    }
    const wrong = new pg.Client({
      host: target.endpoint,
      port: target.port,
      user: 'postgres',
      password: 'not-the-password',
      database: 'postgres',
    });
    await expect(wrong.connect()).rejects.toThrow(/password authentication failed/);

    // The event log records CreateDBCluster with the password masked.
    const firstLog = readFileSync(eventLog(w.cwd), 'utf8');
    const firstState = readFileSync(stateFile(w.cwd), 'utf8');
    expect(firstLog).toMatch(/"operation":"CreateDBCluster".*"MasterUserPassword":"\*\*\*"/);

    // A rerun with the state lost adopts everything and creates or reboots nothing.
    rmSync(join(w.cwd, '.aurora-migrate'), { recursive: true, force: true });
    const before = {
      reboot: aws!.calls.count('RebootDBInstance'),
      cluster: aws!.calls.count('CreateDBCluster'),
      instance: aws!.calls.count('CreateDBInstance'),
    };
    const again = await cli(['apply', 'logical.yaml'], w);
    expect(again.code, again.err).toBe(0);
    expect({
      reboot: aws!.calls.count('RebootDBInstance'),
      cluster: aws!.calls.count('CreateDBCluster'),
      instance: aws!.calls.count('CreateDBInstance'),
    }).toEqual(before);
    expect(aws!.calls.count('CreateDBClusterParameterGroup')).toBe(1);
    expect(outputsOf(w.cwd, 'target').endpoint).toBe(target.endpoint);

    // The master password is nowhere in what the tool wrote.
    for (const text of [
      held.out,
      held.err,
      applied.out,
      applied.err,
      again.out,
      again.err,
      firstLog,
      firstState,
      readFileSync(stateFile(w.cwd), 'utf8'),
      readFileSync(eventLog(w.cwd), 'utf8'),
    ]) {
      expect(text).not.toContain(TARGET_PASSWORD);
    }
  }, 120_000);

  it('a SIGKILL right after RebootDBInstance was sent: the resume waits for that reboot and never reboots again', async () => {
    const w = await world();
    writer = await startAppWriter(w.source);
    writeFileSync(join(w.cwd, 'logical.yaml'), plan(enableStep(true)));
    const rebootLogged = () =>
      existsSync(eventLog(w.cwd)) && readFileSync(eventLog(w.cwd), 'utf8').includes('"operation":"RebootDBInstance"');
    const killed = await cli(
      ['apply', 'logical.yaml'],
      w,
      () => aws!.calls.count('RebootDBInstance') > 0 || rebootLogged(),
    );
    expect(killed.signal).toBe('SIGKILL');

    const resumed = await cli(['apply', 'logical.yaml'], w);
    expect(resumed.code, resumed.err).toBe(0);
    expect(aws!.calls.count('RebootDBInstance')).toBe(1);
    expect(await show(w.source, 'wal_level')).toBe('logical');
    expect(outputsOf(w.cwd, 'logical-source')).toMatchObject({ walLevel: 'logical', rebootedAt: expect.any(String) });
    await writer.waitForAcks(30, 10_000);
  }, 90_000);
});
