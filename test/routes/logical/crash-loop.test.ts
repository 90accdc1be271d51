// logical-replica through the real CLI with SIGKILLs at random instants (roles, schema copy,
// publication, subscription, the copy, post-data, lag), each followed by a resume with the same
// command, while the application INSERTs, UPDATEs and DELETEs. After every kill the source has at
// most one slot and the target at most one subscription of this purpose (table-sync slots come and
// go); the last run ends with exactly one of each and the target equal to the source. Secrets never
// appear in output, state or event log. CRASH_LOOP_SEED replays a sequence of kill instants.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../../../rehearsal/world/ensure-built.js';
import { startChurn, type Churn } from '../../support/logical/churn.js';
import { countOn, replicationObjects, startLogicalWorld, type LogicalWorld } from '../../support/logical/world.js';

const BIN = resolve(import.meta.dirname, '../../../bin/aurora-migrate.js');
const NAME = 'aurora_migrate_crash_replicate';

let w: LogicalWorld | undefined;
let churn: Churn | undefined;
let dir: string | undefined;
const children = new Set<ChildProcess>();
beforeAll(() => ensureBuilt(), 120_000);
afterEach(async () => {
  for (const c of children) c.kill('SIGKILL');
  await churn?.stop();
  await w?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
  w = churn = dir = undefined;
});

const PLAN = `version: 1
name: crash
steps:
  - id: replicate
    type: logical-replica
    source: { host: "\${env.SRC_HOST}", port: "\${env.SRC_PORT}", database: orders, user: master, password: "\${env.SRC_PASSWORD}" }
    target: { host: "\${env.TGT_HOST}", port: "\${env.TGT_PORT}", database: orders, user: master, password: "\${env.TGT_PASSWORD}" }
    ddlGuardConnection: { host: "\${env.SRC_HOST}", port: "\${env.SRC_PORT}", database: orders, user: postgres }
    schemas: [public]
    rolePasswords: { app: "\${env.APP_TARGET_PASSWORD}" }
    replicaIdentityFull: [public.audit_log]
    maxLag: 1MiB
    stableFor: 2s
    pollEvery: 1s
    timeout: 10m
`;

function cli(args: string[], env: NodeJS.ProcessEnv, killAfterMs?: number) {
  return new Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string; err: string }>((done) => {
    const child = spawn(process.execPath, [BIN, ...args], { env, cwd: dir });
    children.add(child);
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const timer = killAfterMs !== undefined ? setTimeout(() => child.kill('SIGKILL'), killAfterMs) : undefined;
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      children.delete(child);
      done({ code, signal, out, err });
    });
  });
}

describe('logical-replica crash loop through the CLI (14 → 18)', () => {
  it('SIGKILL at random instants, resumed each time: never a second slot or subscription, and the copy completes', async () => {
    w = await startLogicalWorld({ rows: 30_000 });
    churn = startChurn(w.app, { everyMs: 3 });
    dir = mkdtempSync(join(tmpdir(), 'am-logical-crash-'));
    writeFileSync(join(dir, 'plan.yaml'), PLAN);
    const env = {
      ...process.env,
      NO_COLOR: '1',
      AURORA_MIGRATE_TIME_SCALE: '10',
      SRC_HOST: w.source.address,
      SRC_PORT: String(w.source.port),
      SRC_PASSWORD: w.sourceMaster.password,
      TGT_HOST: w.target.address,
      TGT_PORT: String(w.target.port),
      TGT_PASSWORD: w.targetMaster.password,
      APP_TARGET_PASSWORD: 'app-on-target-7f3a',
    };
    let seed = Number(process.env.CRASH_LOOP_SEED ?? Date.now() % 100_000);
    const random = () => {
      seed = (seed * 16807) % 2147483647;
      return seed / 2147483647;
    };
    const kills: number[] = [];
    const texts: string[] = [];
    for (let round = 0; round < 6; round++) {
      const at = Math.round(150 + random() * 1500);
      const r = await cli(['apply', 'plan.yaml'], env, at);
      texts.push(r.out, r.err);
      if (r.signal === 'SIGKILL') kills.push(at);
      else if (r.code !== 0)
        throw new Error(
          `seed ${process.env.CRASH_LOOP_SEED}: exit ${r.code}: ${r.err
            .split('\n')
            .filter((l) => !/^!+$|AURORA_MIGRATE_TIME_SCALE/.test(l))
            .join('\n')
            .slice(-1500)}`,
        );
      const objects = await replicationObjects(w);
      expect(objects.slots.filter((s) => s === NAME).length, `seed ${seed}, kill at ${at} ms`).toBeLessThanOrEqual(1);
      expect(objects.subscriptions.filter((s) => s === NAME).length).toBeLessThanOrEqual(1);
      expect(objects.publications.filter((s) => s === NAME).length).toBeLessThanOrEqual(1);
      if (r.code === 0) break;
    }
    if (process.env.CRASH_LOOP_VERBOSE) console.log('kills at', kills, 'seed', process.env.CRASH_LOOP_SEED);
    const last = await cli(['apply', 'plan.yaml'], env);
    texts.push(last.out, last.err);
    expect(last.code, last.err).toBe(0);
    expect(kills.length).toBeGreaterThanOrEqual(1);
    expect(await replicationObjects(w)).toEqual({ slots: [NAME], publications: [NAME], subscriptions: [NAME] });

    await churn.stop();
    await w.source.query(
      `INSERT INTO aurora_migrate.cutover_marker (run_id, token) VALUES ('t', 'crash-done')`,
      [],
      'orders',
    );
    for (
      let i = 0;
      i < 200 &&
      (await w.target.query(`SELECT 1 FROM aurora_migrate.cutover_marker WHERE token = 'crash-done'`, [], 'orders'))
        .length === 0;
      i++
    )
      await new Promise((r) => setTimeout(r, 50));
    for (const t of ['customers', 'orders', 'events', 'audit_log'])
      expect(await countOn(w.target, t), t).toBe(await countOn(w.source, t));

    const state = readFileSync(join(dir, '.aurora-migrate', 'crash.state.json'), 'utf8');
    const log = readFileSync(join(dir, '.aurora-migrate', 'crash.state.json.events.jsonl'), 'utf8');
    expect(JSON.parse(state).steps.replicate.outputs).toMatchObject({
      subscription: NAME,
      slot: NAME,
      publication: NAME,
    });
    for (const text of [...texts, state, log]) {
      for (const secret of [w.sourceMaster.password!, w.targetMaster.password!, 'app-on-target-7f3a'])
        expect(text).not.toContain(secret);
    }
    expect(log).toMatch(/CREATE SUBSCRIPTION .*password=\*\*\*/);

    // The run report draws the copy and the slot lag from the event log.
    const report = await cli(['report', 'plan.yaml', '--format', 'markdown'], env);
    expect(report.code, report.err).toBe(0);
    if (process.env.CRASH_LOOP_VERBOSE) console.log(report.out);
    expect(report.out).toMatch(/public\.orders/);
    for (const secret of [w.sourceMaster.password!, w.targetMaster.password!, 'app-on-target-7f3a'])
      expect(report.out).not.toContain(secret);
  }, 120_000);

  it('apply --max-runtime stops at a safe point while waiting on replication (exit 75) and the next run adopts everything', async () => {
    w = await startLogicalWorld({ rows: 500 });
    dir = mkdtempSync(join(tmpdir(), 'am-logical-runtime-'));
    writeFileSync(join(dir, 'plan.yaml'), PLAN.replace('stableFor: 2s', 'stableFor: 1h'));
    const env = {
      ...process.env,
      NO_COLOR: '1',
      AURORA_MIGRATE_TIME_SCALE: '10',
      SRC_HOST: w.source.address,
      SRC_PORT: String(w.source.port),
      SRC_PASSWORD: w.sourceMaster.password,
      TGT_HOST: w.target.address,
      TGT_PORT: String(w.target.port),
      TGT_PASSWORD: w.targetMaster.password,
      APP_TARGET_PASSWORD: 'app-on-target-7f3a',
    };
    for (let run = 0; run < 2; run++) {
      const r = await cli(['apply', 'plan.yaml', '--max-runtime', '40s'], env);
      expect(r.code, r.err).toBe(75);
      expect(await replicationObjects(w)).toEqual({ slots: [NAME], publications: [NAME], subscriptions: [NAME] });
      const state = JSON.parse(readFileSync(join(dir, '.aurora-migrate', 'crash.state.json'), 'utf8'));
      expect(state.steps.replicate.status).toBe('running');
    }
    const log = readFileSync(join(dir, '.aurora-migrate', 'crash.state.json.events.jsonl'), 'utf8');
    expect(log.match(/"subscription-created"/g)?.length).toBe(1);
    expect(log).toMatch(/"subscription-adopted"/);
  }, 60_000);
});
