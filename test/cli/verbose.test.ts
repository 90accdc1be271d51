// --verbose through the real CLI: every AWS call (service, operation, resource, duration, attempts,
// outcome) and every SQL statement (who@where, duration, rows, text, parameters) on stderr, one line
// each, while stdout stays what it was; the plan's secrets (here the master user's password from
// PGPASSWORD) never appear.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_BIN } from '../../rehearsal/world/cli-runner.js';
import { ensureBuilt } from '../../rehearsal/world/ensure-built.js';
import { startAwsStandin, type AwsStandin } from '../../rehearsal/aws/index.js';
import { startPostgres, type TestPostgres } from '../../rehearsal/postgres/server.js';
import { createRdsMasterUser, newPassword } from '../../rehearsal/postgres/rds-roles.js';

let dir: string;
let aws: AwsStandin;
let pg: TestPostgres;
let password: string;

beforeAll(async () => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'am-verbose-'));
  aws = await startAwsStandin({
    timeScale: 600,
    seed: {
      instances: [
        { id: 'orders-pg', engineVersion: '16.4' },
        { id: 'remote-pg', engineVersion: '16.4' },
      ],
      buckets: ['migrations'],
    },
  });
  pg = await startPostgres();
  password = newPassword();
  await createRdsMasterUser(
    {
      admin: pg.admin,
      query: (sql, params, database) => pg.query({ ...pg.admin, database: database ?? 'postgres' }, sql, params),
    },
    { user: 'master', password },
  );
  await pg.query(pg.admin, 'CREATE DATABASE orders OWNER master');
}, 120_000);
afterAll(async () => {
  await aws?.close();
  await pg?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 60_000);

/** The CLI as a child process, asynchronously: the AWS stand-in answers from this process. */
function cli(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [CLI_BIN, ...args], {
      cwd: dir,
      env: { ...process.env, ...aws.env, AURORA_MIGRATE_TIME_SCALE: '600', NO_COLOR: '1', PGPASSWORD: password },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) => done({ code, out, err }));
  });
}

describe('--verbose', () => {
  it('apply: one line per AWS call with its resource, duration, attempts and outcome', async () => {
    writeFileSync(
      join(dir, 'replica.yaml'),
      'version: 1\nname: replica\nsteps:\n  - { id: replica, type: aurora-read-replica, source: orders-pg, cluster: orders-aurora, instance: { class: db.r6g.large } }\n',
    );
    const r = await cli(['apply', 'replica.yaml', '--verbose']);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(
      /^verbose: aws rds CreateDBCluster orders-aurora arn:aws:rds:us-east-1:\d+:db:orders-pg \d+ ms, 1 attempt, ok$/m,
    );
    expect(r.err).toMatch(/^verbose: aws rds DescribeDBClusters orders-aurora \d+ ms, 1 attempt, ok$/m);
    const quiet = await cli(['apply', 'replica.yaml']);
    expect(quiet.err).not.toContain('verbose:');
  }, 60_000);

  it("remote state: the state's own S3 calls are traced too, by apply and by status", async () => {
    writeFileSync(
      join(dir, 'remote.yaml'),
      'version: 1\nname: remote\nsteps:\n  - { id: replica, type: aurora-read-replica, source: remote-pg, cluster: orders-remote, instance: { class: db.r6g.large } }\n',
    );
    const state = 's3://migrations/orders/remote.state.json';
    const r = await cli(['apply', 'remote.yaml', '--state', state, '--verbose']);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/^verbose: aws s3 PutObject .*\d+ ms, 1 attempt, ok$/m);
    const status = await cli(['status', 'remote.yaml', '--state', state, '--verbose']);
    expect(status.code, status.err).toBe(0);
    expect(status.err).toMatch(/^verbose: aws s3 GetObject .*\d+ ms, 1 attempt, ok$/m);
    expect((await cli(['status', 'remote.yaml', '--state', state])).err).not.toContain('verbose:');
  }, 60_000);

  it('plan --preflight: every SQL statement with who and where, parameters included, the password masked', async () => {
    writeFileSync(
      join(dir, 'freeze.yaml'),
      `version: 1\nname: freeze\nsteps:\n  - id: freeze\n    type: freeze-writes\n    connection: { host: ${pg.admin.host}, port: ${pg.admin.port}, database: postgres, user: master, password: "\${env.PGPASSWORD}" }\n    databases: [orders]\n`,
    );
    const r = await cli(['plan', 'freeze.yaml', '--preflight', '--verbose']);
    expect(r.code, r.out + r.err).toBe(0);
    expect(r.err).toContain(`verbose: sql master@${pg.admin.host}:${pg.admin.port}/postgres connected`);
    expect(r.err).toMatch(
      new RegExp(
        `^verbose: sql master@${pg.admin.host.replace(/\./g, '\\.')}:${pg.admin.port}/postgres \\d+ ms, 0 rows: BEGIN READ ONLY$`,
        'm',
      ),
    );
    expect(r.err).toMatch(
      /rows?: SELECT d\.datname, pg_get_userbyid\(d\.datdba\) AS owner.* \[params: \[\["orders"\],\["orders"\]\]\]$/m,
    );
    expect(r.out + r.err).not.toContain(password);
    expect((await cli(['plan', 'freeze.yaml', '--preflight'])).err).not.toContain('verbose:');
  }, 60_000);
});
