// The logical route's cutover through the real CLI with SIGKILLs at random instants from the freeze
// to the switch (freeze → logical-switchover → verify-data → switch-endpoint), each followed by a
// resume with the same command, while the application writes through a driver that opens every
// transaction READ WRITE. After every kill: at most one reverse slot and one reverse publication on
// the target, at most one forward slot on the source, and never a fenced source without an open (or
// rolling-back, or committed) window in the state. The last run ends switched over with every
// acknowledged write on the target. Each kill comes a few milliseconds (at random) after an instant
// of the switchover read from the event log; CRASH_LOOP_SEED replays the delays.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAwsStandin, type AwsStandin } from '../../../rehearsal/aws/index.js';
import { startWriter } from '../../../rehearsal/app/writer.js';
import { publicCanConnect } from '../../../rehearsal/postgres/rds-roles.js';
import { ensureBuilt } from '../../../rehearsal/world/ensure-built.js';
import { startLogicalWorld, type LogicalWorld } from '../../support/logical/world.js';

const BIN = resolve(import.meta.dirname, '../../../bin/aurora-migrate.js');
const ZONE = 'Z0123456789ABCDEFGHIJ';
const APP_NAME = 'orders-db.internal.example.com';
const TARGET_NAME = 'orders-aurora-18.cluster-abc.us-east-1.rds.amazonaws.com';
const FORWARD = 'aurora_migrate_crash_replicate';
const REVERSE = 'aurora_migrate_crash_switchover';

let w: LogicalWorld;
let aws: AwsStandin;
let dir: string;
const children = new Set<ChildProcess>();
beforeAll(async () => {
  await ensureBuilt();
  [w, aws] = await Promise.all([
    startLogicalWorld({ rows: 2000, targetWalLevel: 'logical' }),
    startAwsStandin({
      seed: {
        hostedZones: [{ id: ZONE, name: 'internal.example.com' }],
        records: [{ zoneId: ZONE, name: APP_NAME, type: 'CNAME', ttl: 5, values: ['orders-pg.standin.invalid'] }],
      },
      route53ChangePendingMs: 200,
    }),
  ]);
  await w.target.query(`ALTER ROLE ${w.targetMaster.user} REPLICATION`); // stand-in of GRANT rds_replication on Aurora
  dir = mkdtempSync(join(tmpdir(), 'am-switchover-crash-'));
}, 180_000);
afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  await Promise.all([w?.stop(), aws?.close()]);
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 60_000);

const src = (database: string) =>
  `{ host: "\${env.SRC_HOST}", port: "\${env.SRC_PORT}", database: ${database}, user: master, password: "\${env.SRC_PASSWORD}" }`;
const tgt = `{ host: "\${env.TGT_HOST}", port: "\${env.TGT_PORT}", database: orders, user: master, password: "\${env.TGT_PASSWORD}" }`;
const PLAN = `version: 1
name: crash
steps:
  - id: replicate
    type: logical-replica
    source: ${src('orders')}
    target: ${tgt}
    ddlGuardConnection: { host: "\${env.SRC_HOST}", port: "\${env.SRC_PORT}", database: orders, user: postgres }
    schemas: [public]
    rolePasswords: { app: "\${env.APP_TARGET_PASSWORD}" }
    replicaIdentityFull: [public.audit_log]
    maxLag: 1MiB
    stableFor: 2s
    pollEvery: 1s
  - id: freeze
    type: freeze-writes
    connection: ${src('postgres')}
    databases: [orders]
    drainTimeout: 10s
    window: 5m
  - id: switchover
    type: logical-switchover
    subscription: \${steps.replicate.outputs.subscription}
    source: ${src('orders')}
    target: ${tgt}
    rolePasswords: { app: "\${env.APP_TARGET_PASSWORD}" }
    reversePublication: true
  - id: check
    type: verify-data
    source: ${src('orders')}
    target: ${tgt}
    tables: [public.orders, public.customers, public.app_writes]
  - id: switch
    type: switch-endpoint
    hostedZoneId: ${ZONE}
    record: ${APP_NAME}
    target: ${TARGET_NAME}
`;

/** Runs the CLI; kills it `killAfterMs` after a new event-log line matches `killAfter` (or after the start). */
function cli(args: string[], env: NodeJS.ProcessEnv, killAfterMs?: number, killAfter?: RegExp) {
  return new Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string; err: string }>((done) => {
    const eventsFile = join(dir, '.aurora-migrate', 'crash.state.json.events.jsonl');
    const seen = existsSync(eventsFile) ? readFileSync(eventsFile, 'utf8').length : 0;
    const child = spawn(process.execPath, [BIN, ...args], { env, cwd: dir });
    let watch: ReturnType<typeof setInterval> | undefined;
    if (killAfter) {
      watch = setInterval(() => {
        if (existsSync(eventsFile) && killAfter.test(readFileSync(eventsFile, 'utf8').slice(seen))) {
          clearInterval(watch);
          setTimeout(() => child.kill('SIGKILL'), killAfterMs ?? 0);
        }
      }, 2);
    }
    children.add(child);
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const timer =
      killAfterMs !== undefined && !killAfter ? setTimeout(() => child.kill('SIGKILL'), killAfterMs) : undefined;
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      clearInterval(watch);
      children.delete(child);
      done({ code, signal, out, err });
    });
  });
}

describe('the logical cutover through the CLI, killed at random instants (14 → 18)', () => {
  it('every resume converges: one reverse slot and publication, never a fenced source without a window, 0 lost writes', async () => {
    writeFileSync(join(dir, 'plan.yaml'), PLAN);
    const env = {
      ...process.env,
      ...aws.env,
      NO_COLOR: '1',
      AURORA_MIGRATE_TIME_SCALE: '10',
      SRC_HOST: w.source.address,
      SRC_PORT: String(w.source.port),
      SRC_PASSWORD: w.sourceMaster.password,
      TGT_HOST: w.target.address,
      TGT_PORT: String(w.target.port),
      TGT_PASSWORD: w.targetMaster.password,
      APP_TARGET_PASSWORD: 'app-on-target-5c1d',
    };
    const writer = await startWriter({
      connection: { ...w.app, host: w.source.address },
      ratePerSecond: 100,
      mode: 'begin-read-write',
    });
    const first = await cli(['apply', 'plan.yaml', '--until', 'replicate'], env);
    expect(first.code, first.err).toBe(0);

    let seed = Number(process.env.CRASH_LOOP_SEED ?? Date.now() % 100_000);
    const startSeed = seed;
    const random = () => {
      seed = (seed * 16807) % 2147483647;
      return seed / 2147483647;
    };
    const kills: number[] = [];
    const statePath = join(dir, '.aurora-migrate', 'crash.state.json');
    let last: Awaited<ReturnType<typeof cli>> | undefined;
    // Each round kills a few milliseconds (at random) after the next of the switchover's instants, in
    // order, until a resume gets to the end.
    const instants = [
      /"cutover-window-opened"/,
      /"cutover-marker-written"/,
      /"cutover-caught-up"/,
      /"sequences-copied"/,
      /ALTER SUBSCRIPTION .{1,80}? DISABLE/,
      /"role-passwords-set"/,
      /CREATE PUBLICATION/,
      /pg_create_logical_replication_slot/,
      /"stepId":"switchover","from":"running","to":"succeeded"/,
    ];
    for (let round = 0; round <= instants.length; round++) {
      const at = Math.round(random() * 15);
      const r = await cli(['apply', 'plan.yaml'], env, instants[round] ? at : undefined, instants[round]);
      const why = `seed ${startSeed}, round ${round} (${instants[round] ?? 'to the end'} + ${at} ms): ${r.code} ${r.err.split('\n').slice(-6).join('\n')}`;
      if (r.signal === 'SIGKILL') kills.push(at);
      if (process.env.CRASH_LOOP_VERBOSE)
        console.log(`round ${round}: ${instants[round] ?? 'to the end'} + ${at} ms → ${r.signal ?? `exit ${r.code}`}`);
      if (r.code !== 0 && r.signal !== 'SIGKILL') throw new Error(why);
      const slots = (await w.target.query<{ s: string }>('SELECT slot_name AS s FROM pg_replication_slots')).map(
        (x) => x.s,
      );
      const pubs = (await w.target.query<{ p: string }>('SELECT pubname AS p FROM pg_publication', [], 'orders')).map(
        (x) => x.p,
      );
      const forward = (
        await w.source.query<{ s: string }>(
          `SELECT slot_name AS s FROM pg_replication_slots WHERE slot_name = '${FORWARD}'`,
        )
      ).length;
      expect(slots.filter((s) => s === REVERSE).length, why).toBeLessThanOrEqual(1);
      expect(pubs.filter((p) => p === REVERSE).length, why).toBeLessThanOrEqual(1);
      expect(forward, why).toBe(1);
      const fenced = !(await publicCanConnect(w.source, 'orders'));
      const window = JSON.parse(readFileSync(statePath, 'utf8')).cutover as { status: string } | undefined;
      if (fenced) expect(['open', 'rolling-back', 'committed'], why).toContain(window?.status);
      if (r.code === 0) {
        // A resume skips what its checkpoint says is done (or adopts it), so a later instant may never come again.
        last = r;
        break;
      }
    }
    const run = await writer.stop();
    expect(last, `seed ${startSeed}: never finished (kills at ${kills.join(', ')})`).toBeDefined();
    expect(kills.length).toBeGreaterThanOrEqual(4);
    const state = JSON.parse(readFileSync(statePath, 'utf8'));
    expect(state.cutover).toMatchObject({ status: 'committed' });
    expect(state.steps.switchover.outputs).toMatchObject({ reverseSlot: REVERSE });
    expect(aws.route53.record(APP_NAME, 'CNAME')?.values).toEqual([TARGET_NAME]);
    expect(
      (await w.target.query<{ s: string }>('SELECT slot_name AS s FROM pg_replication_slots')).map((x) => x.s),
    ).toEqual([REVERSE]);
    const have = new Set(
      (await w.target.query<{ seq: string }>('SELECT seq::text AS seq FROM app_writes', [], 'orders')).map((x) =>
        Number(x.seq),
      ),
    );
    expect(
      run.acks.filter((a) => !have.has(a.seq)),
      `seed ${startSeed}`,
    ).toEqual([]);
    const log = readFileSync(`${statePath}.events.jsonl`, 'utf8');
    for (const secret of [w.sourceMaster.password!, w.targetMaster.password!, 'app-on-target-5c1d'])
      expect(log).not.toContain(secret);
    if (process.env.CRASH_LOOP_VERBOSE) console.log('kills at', kills, 'seed', startSeed);
  }, 150_000);
});
