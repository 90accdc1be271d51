// Issue 20, item 4: one crash campaign across the whole logical route. The real CLI
// (bin/aurora-migrate.js, a child process) runs ONE plan on the logical rehearsal world — a real
// PostgreSQL 14 RDS source behind the AWS stand-in, a new real PostgreSQL 18 Aurora cluster, the
// application's DNS name played by the forwarder — from the schema copy to reverse replication:
// logical-replica → approval (--approve) → freeze-writes → logical-switchover → verify-data →
// switch-endpoint → reverse-replication. The application writes through the DNS name the whole time
// (a writer that counts acknowledged commits, and traffic that UPDATEs and DELETEs).
//
// Each run is SIGKILLed at a random instant — a few milliseconds after a random one of the next few
// instants of the route read from the event log, or a random delay after spawn — and resumed with
// the same command, until a run exits 0. Once, the resume after a kill inside the window comes only
// after the window's deadline, so it rolls the cutover back (exit 2) — sometimes killed inside that
// rollback first, so the next run finishes it — and the campaign applies again (as it does after any
// rollback, e.g. a resume too slow on a loaded machine). After EVERY kill: at most one forward
// slot on the source and one forward subscription on Aurora (table-sync slots come and go), at most
// one reverse slot on Aurora and one reverse subscription on the old source, never the forward
// subscription enabled beside the reverse one (changes would loop), and before the point of no
// return never a fenced source without an open window in the state file. At the end: 0 lost
// acknowledged writes, the old source following Aurora, and no password in output, state or log.
//
//   npx vitest run test/routes/logical/route-crash-campaign.test.ts
//   LOGICAL_CAMPAIGN_SEED=123 …          # replay the choices of instants and delays (the seed is printed; where a kill lands also depends on timing)
//   LOGICAL_CAMPAIGN_BUDGET_MS=60000 …   # no kill after this much real time (then the run finishes)
//   LOGICAL_CAMPAIGN_VERBOSE=1 …         # print every run
import { readdirSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../../../rehearsal/aws/faults.js';
import { startWriter, type Writer } from '../../../rehearsal/app/writer.js';
import { startChurn, type Churn } from '../../../rehearsal/app/churn.js';
import { buildReport } from '../../../rehearsal/app/report.js';
import { createCleanupStack, type CleanupStack } from '../../../rehearsal/world/cleanup-stack.js';
import { REPO_ROOT } from '../../../rehearsal/world/cli-runner.js';
import { ensureBuilt } from '../../../rehearsal/world/ensure-built.js';
import { APP_NAME } from '../../../rehearsal/world/rehearsal-world.js';
import {
  LOGICAL_TARGET_CLUSTER,
  startLogicalRehearsalWorld,
  type LogicalRehearsalWorld,
} from '../../../rehearsal/world/logical-world.js';
import {
  CAMPAIGN_PLAN,
  FORWARD,
  REVERSE_SLOT,
  REVERSE_SUB,
  observe,
  runCampaignApply,
  toolStatementsRunning,
  type CampaignRun,
  type KillAt,
  type Observation,
} from '../../support/logical/route-campaign.js';

const SEED = Number(process.env.LOGICAL_CAMPAIGN_SEED ?? Math.floor(Math.random() * 2 ** 31));
/** No kill after this much real time from the first campaign run; the next run then goes to the end. */
const BUDGET_MS = Number(process.env.LOGICAL_CAMPAIGN_BUDGET_MS ?? 90_000);
const VERBOSE = Boolean(process.env.LOGICAL_CAMPAIGN_VERBOSE);
/** The AWS clock's speed and AURORA_MIGRATE_TIME_SCALE: the plan's 10-minute window is 10 s of real time. */
const TIME_SCALE = 60;
const MAX_RUNS = 60;

/** The route's instants in the order a run meets them (event-log lines; sql lines carry their step). */
const INSTANTS: Array<[string, RegExp]> = [
  ['replicate started', /"type":"status","stepId":"replicate","from":"pending"/],
  ['database created', /"type":"database-created"/],
  ['roles copied', /"type":"roles-copied"/],
  ['schema copied', /"type":"schema-copied"/],
  ['CREATE PUBLICATION sent', /"stepId":"replicate","sql":"CREATE PUBLICATION/],
  ['publication created', /"type":"publication-(created|adopted)"/],
  ['CREATE SUBSCRIPTION sent', /"stepId":"replicate","sql":"CREATE SUBSCRIPTION/],
  ['subscription created', /"type":"subscription-(created|adopted)"/],
  ['copy progress', /"type":"copy-progress"/],
  ['copy done', /"type":"copy-done"/],
  ['post-data done', /"type":"post-data-done"/],
  ['lag sampled', /"type":"lag-sample"/],
  ['replicate succeeded', /"stepId":"replicate","from":"running","to":"succeeded"/],
  ['approved', /"type":"approval"/],
  ['window opened', /"type":"cutover-window-opened"/],
  ['fence up', /"type":"fence-up"/],
  ['sessions terminated', /"type":"sessions-terminated"/],
  ['switchover started', /"type":"status","stepId":"switchover","from":"pending"/],
  ['marker written', /"type":"cutover-marker-written"/],
  ['caught up', /"type":"cutover-caught-up"/],
  ['sequences copied', /"type":"sequences-copied"/],
  ['subscription DISABLE sent', /ALTER SUBSCRIPTION .{1,80}? DISABLE/],
  ['role passwords set', /"type":"role-passwords-set"/],
  ['reverse CREATE PUBLICATION sent', /"stepId":"switchover","sql":"CREATE PUBLICATION/],
  ['reverse slot creation sent', /pg_create_logical_replication_slot/],
  ['reverse publication recorded', /"type":"reverse-publication"/],
  ['verify started', /"type":"status","stepId":"check","from":"pending"/],
  ['switch started', /"type":"status","stepId":"switch","from":"pending"/],
  ['last check', /"type":"cutover-last-check"/],
  ['point of no return', /"type":"cutover-point-of-no-return"/],
  ['DNS change sent', /"type":"change-sent"/],
  ['switched', /"type":"switched"/],
  ['fallback started', /"type":"status","stepId":"fallback","from":"pending"/],
  ['forward subscription dropped', /"type":"forward-subscription-dropped"/],
  ['old source session writable', /"stepId":"fallback","sql":"SET default_transaction_read_only = off"/],
  ['reverse subscription recorded', /"type":"reverse-subscription"/],
  ['fallback succeeded', /"stepId":"fallback","from":"running","to":"succeeded"/],
];
const APPROVED = INSTANTS.findIndex(([label]) => label === 'approved');
const VERIFY = INSTANTS.findIndex(([label]) => label === 'verify started');

let cleanup: CleanupStack;
let world: LogicalRehearsalWorld;
let writer: Writer | undefined;
let churn: Churn | undefined;
const children = new Set<ChildProcess>();

beforeAll(async () => {
  ensureBuilt();
  cleanup = createCleanupStack();
  world = await startLogicalRehearsalWorld({ timeScale: TIME_SCALE, cleanup, rows: 3000, appPort: 0 });
  // Registered after the servers, so these run first: no CLI or application outlives them.
  cleanup.add('stop the application', async () => {
    await writer?.stop();
    await churn?.stop();
  });
  cleanup.add('kill CLI children still running', () => {
    for (const c of children) c.kill('SIGKILL');
  });
}, 120_000);
afterAll(async () => {
  await cleanup?.run();
}, 60_000);

describe('one crash campaign across the whole logical route (14 → 18, SIGKILL anywhere, resumed)', () => {
  it(`every kill leaves at most one slot and subscription per purpose and no fence without a window; the run ends with 0 lost writes and the old source following Aurora (seed ${SEED})`, {
    timeout: 290_000,
  }, async () => {
    // Every event an instant names is one the code emits: a renamed event would quietly narrow the campaign.
    const source = sourceText(path.join(REPO_ROOT, 'src'));
    const named = INSTANTS.flatMap(([label, re]) => eventNames(re).map((name) => ({ label, name })));
    expect(named.length).toBeGreaterThan(20);
    expect(
      named.filter(({ name }) => !source.includes(`'${name}'`)),
      'instants naming no event of the code',
    ).toEqual([]);
    process.stdout.write(
      `logical route crash campaign: seed ${SEED} (replay with LOGICAL_CAMPAIGN_SEED=${SEED}), kills for ${BUDGET_MS / 1000} s\n`,
    );
    const planFile = path.join(world.workDir, 'campaign.yaml');
    await writeFile(planFile, CAMPAIGN_PLAN);
    const texts: string[] = [];
    const apply = (args: string[], kill?: KillAt) =>
      runCampaignApply({
        args: ['apply', planFile, '--state', world.statePath, ...args],
        env: world.env,
        cwd: world.workDir,
        eventLogPath: world.eventLogPath,
        children,
        kill,
      }).then((r) => {
        texts.push(r.stdout, r.stderr);
        return r;
      });

    // The application, through its DNS name, from before the first step to the end.
    writer = await startWriter({
      connection: world.app,
      poolSize: 3,
      ratePerSecond: 100,
      mode: ['begin-read-write', 'session-read-write', 'autocommit'],
    });
    churn = startChurn(world.app, { everyMs: 20 });
    await writer.waitForAcks(20, 20_000);

    // Not part of the campaign: logical replication on (a real reboot) and the new, empty cluster.
    const setup = await apply(['--until', 'target']);
    expect(setup.code, setup.stderr.slice(-3000)).toBe(0);
    const aurora = world.targetServer();
    if (!aurora) throw new Error(`the stand-in started no server for ${LOGICAL_TARGET_CLUSTER}`);
    // Stand-in of what Aurora's rds_superuser includes (rds_replication): the master user may create the reverse slot.
    await aurora.query('ALTER ROLE postgres REPLICATION');

    const rnd = seededRandom(SEED);
    const int = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
    const started = performance.now();
    /** The furthest instant of the route seen so far (back to the approval after a rollback). */
    let reached = -1;
    const tally = {
      runs: 0,
      kills: 0,
      killsBeforeWindow: 0,
      killsInWindow: 0,
      killsAfterPointOfNoReturn: 0,
      lateResumes: 0,
      killsInLateResume: 0,
      rollbacks: 0,
      endedBeforeKill: 0,
    };
    let lateNext = false;
    const lines: string[] = [];
    let last: CampaignRun | undefined;

    for (let run = 1; run <= MAX_RUNS; run++) {
      const killing = performance.now() - started < BUDGET_MS;
      const late = lateNext;
      lateNext = false;
      // A late resume rolls back at once; the first one sometimes dies a few lines in, inside its own rollback.
      const kill = !killing
        ? undefined
        : !late
          ? chooseKill()
          : tally.killsInLateResume === 0 && rnd() < 0.5
            ? lateKill()
            : undefined;
      const r = await apply(['--approve', 'gate'], kill);
      tally.runs++;
      const seen = INSTANTS.reduce((max, [, re], i) => (re.test(r.appended) ? i : max), -1);
      reached = Math.max(reached, seen);
      const where = `seed ${SEED}, run ${run} (${kill ? kill.label : 'no kill'}; reached "${INSTANTS[reached]?.[0] ?? 'nothing'}")`;
      if (!r.killedByUs && r.code !== 0 && r.code !== 2) {
        throw new Error(
          `${where}: apply ended with exit ${r.code} (${r.signal ?? 'no signal'}) instead of 0, 2 or our kill:\n${r.stderr.slice(-3000)}`,
        );
      }
      // A statement the killed CLI had sent may still be running: let it commit or abort before looking.
      for (let i = 0; i < 150 && (await toolStatementsRunning([world.source, aurora])) > 0; i++)
        await new Promise((res) => setTimeout(res, 20));
      const o = await observe(world.source, aurora);
      const window = readWindow(world.statePath);
      const note = `${late ? 'late ' : ''}${kill ? `[${kill.label}] ` : ''}→ ${r.killedByUs ? 'kill' : `exit ${r.code}`} (window ${window ?? 'none'}${o.fenced ? ', source fenced' : ''})`;
      lines.push(`run ${run}: ${note}`);
      if (VERBOSE) process.stdout.write(`  run ${run}: ${note}\n`);
      assertInvariants(o, window, `${where}: ${note}`);

      if (r.killedByUs && late) {
        tally.kills++;
        tally.killsInLateResume++;
        if (window === 'committed')
          throw new Error(`${where}: a resume after the deadline went past the point of no return`);
        if (window === 'rolled-back')
          reached = APPROVED; // the rollback was done: the next run starts the cutover afresh
        else lateNext = true; // still open or rolling back: the next run must finish the rollback (exit 2)
        continue;
      }
      if (r.killedByUs) {
        tally.kills++;
        if (window === 'committed') tally.killsAfterPointOfNoReturn++;
        else if (window === 'open' || window === 'rolling-back') tally.killsInWindow++;
        else tally.killsBeforeWindow++;
        // Once, a crash inside the window noticed late: the next run starts after the window's
        // deadline, so it must roll the cutover back (exit 2); the campaign then applies again.
        if (window === 'open' && tally.lateResumes === 0) {
          const deadline = Date.parse(readState(world.statePath).cutover!.deadline);
          await new Promise((res) => setTimeout(res, Math.max(0, deadline - Date.now()) + 500));
          tally.lateResumes++;
          lateNext = true;
        }
        continue;
      }
      if (kill) tally.endedBeforeKill++;
      if (late) {
        expect(
          r.code,
          `${where}: a resume after the deadline of an open window rolls back: ${r.stderr.slice(-1500)}`,
        ).toBe(2);
        expect(r.stderr, where).toMatch(/passed while no run was active|rollback was interrupted and is finished now/);
      }
      if (r.code === 2) {
        // Rolled back before the point of no return: the source is the application's again, the
        // forward subscription on, the reverse slot gone, the name still on the source. Apply again.
        tally.rollbacks++;
        expect(r.stderr, where).toMatch(/roll/i);
        expect(window, where).toBe('rolled-back');
        expect(o.fenced, `${where}: the source is unfenced after the rollback`).toBe(false);
        expect(o.auroraSubscriptions, `${where}: the forward subscription is on again`).toEqual([
          { name: FORWARD, enabled: true },
        ]);
        expect(o.auroraSlots, `${where}: the reverse slot is dropped with the rollback`).toEqual([]);
        expect(world.aws.route53.record(APP_NAME, 'CNAME')?.values, where).toEqual([world.source.address]);
        reached = APPROVED;
        continue;
      }
      last = r;
      break;
    }
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    process.stdout.write(
      `logical route crash campaign: ${tally.runs} runs in ${seconds} s, ${tally.kills} SIGKILLs (${tally.killsBeforeWindow} before the window, ${tally.killsInWindow} inside it before the point of no return, ` +
        `${tally.killsAfterPointOfNoReturn} after it, ${tally.killsInLateResume} in a late resume), ${tally.lateResumes} resume(s) after the deadline, ${tally.rollbacks} rollback(s) applied again, ${tally.endedBeforeKill} run(s) ended before their kill; seed ${SEED}\n`,
    );
    const budgetSpent = performance.now() - started >= BUDGET_MS;
    if (!VERBOSE) for (const l of lines) process.stdout.write(`  ${l}\n`);
    expect(last, `seed ${SEED}: no run finished within ${MAX_RUNS} runs`).toBeDefined();
    expect(tally.kills, 'kills landed').toBeGreaterThanOrEqual(5);
    expect(tally.killsBeforeWindow, 'kills before the window (the copy)').toBeGreaterThan(0);
    // Where the kills landed depends on timing as well as the seed (seed 1840931308 once landed none
    // inside the window on a busy CI machine): a stretch the walk missed is said, not failed, because
    // the safety checks above and below hold whatever it hit; the counts are printed either way.
    const rolledBack = readFileSync(world.eventLogPath, 'utf8').match(/"type":"cutover-rolled-back"/g)?.length ?? 0;
    const missed = [
      tally.killsInWindow === 0 ? 'no kill inside the window' : '',
      tally.killsAfterPointOfNoReturn === 0 ? 'no kill after the point of no return' : '',
      rolledBack === 0 ? 'no rollback' : '',
    ].filter(Boolean);
    if (!budgetSpent && missed.length)
      process.stdout.write(
        `  this campaign's walk missed: ${missed.join(', ')} (seed ${SEED}; replay it, or run again)\n`,
      );

    // The end: every step done, past the point of no return, the name on Aurora, only the reverse replication left.
    const state = readState(world.statePath);
    expect(Object.entries(state.steps).filter(([, s]) => s.status !== 'succeeded')).toEqual([]);
    expect(state.cutover?.status).toBe('committed');
    expect(state.steps.fallback!.outputs).toMatchObject({ subscription: REVERSE_SUB, slot: REVERSE_SLOT });
    const endpoint = state.steps.target!.outputs!.endpoint as string;
    expect(world.aws.route53.record(APP_NAME, 'CNAME')?.values).toEqual([endpoint]);
    const end = await observe(world.source, aurora);
    expect(end).toEqual({
      sourceSlots: [],
      auroraSubscriptions: [],
      auroraSlots: [REVERSE_SLOT],
      sourceSubscriptions: [REVERSE_SUB],
      fenced: true,
    });

    // The application goes on writing, now on Aurora (new connections follow the name).
    const finishedAt = Date.now();
    await writer.waitForAcks(50, 30_000);
    for (let i = 0; i < 100 && world.forwarder.route.at(-1) !== endpoint; i++)
      await new Promise((res) => setTimeout(res, 50));
    expect(world.forwarder.route.at(-1), 'new connections go to Aurora').toBe(endpoint);
    const runOfWriter = await writer.stop();
    writer = undefined;
    await churn.stop();
    // The application's inserts on Aurora take new keys: the sequences were copied, kills or not.
    expect(
      churn.errors.filter((e) => /duplicate key/i.test(e)),
      'duplicate keys on Aurora after the switch',
    ).toEqual([]);
    expect(churn.counts.insert).toBeGreaterThan(0);
    churn = undefined;
    const target = world.target()!;
    const report = await buildReport({
      run: runOfWriter,
      target: { ...target, password: undefined },
      route: world.forwarder.route,
    });
    process.stdout.write(
      `  ${report.acknowledgedWrites} acknowledged writes, ${report.foundOnTarget} on Aurora, lostWrites ${report.lostWrites}\n`,
    );
    expect(report.acknowledgedWrites).toBeGreaterThan(200);
    expect(
      report.lostWrites,
      `seed ${SEED}: acknowledged writes missing on Aurora: ${report.lostSeqs.join(', ')}`,
    ).toBe(0);

    // The old source follows Aurora: every acknowledged write reaches it, those made on Aurora after
    // the switch too (after the last run the old source is fenced: every write since is on Aurora).
    expect(
      runOfWriter.acks.filter((a) => a.at >= finishedAt).length,
      'writes acknowledged on Aurora after the end',
    ).toBeGreaterThanOrEqual(40);
    let missing: number[] = [];
    for (let i = 0; i < 200; i++) {
      const have = new Set(
        (await world.source.query<{ seq: string }>('SELECT seq::text AS seq FROM app_writes', [], 'orders')).map((x) =>
          Number(x.seq),
        ),
      );
      missing = runOfWriter.acks.filter((a) => !have.has(a.seq)).map((a) => a.seq);
      if (missing.length === 0) break;
      await new Promise((res) => setTimeout(res, 50));
    }
    expect(missing.slice(0, 10), `seed ${SEED}: acknowledged writes not on the old source (${missing.length})`).toEqual(
      [],
    );

    // The instants seen, for the record (a resume may skip one whose effect it adopts, so none is required).
    const eventLog = readFileSync(world.eventLogPath, 'utf8');
    const unseen = INSTANTS.filter(([, re]) => !re.test(eventLog)).map(([label]) => label);
    if (unseen.length) process.stdout.write(`  instants never seen in this campaign: ${unseen.join(', ')}\n`);

    // No password anywhere the tool wrote: its output of every run, the state file, the event log.
    const written = [...texts, readFileSync(world.statePath, 'utf8'), readFileSync(world.eventLogPath, 'utf8')];
    for (const secret of world.secrets)
      expect(written.filter((t) => t.includes(secret)).length, 'a password in output, state or event log').toBe(0);

    /**
     * Mostly a few milliseconds after the furthest instant seen or one of the next two, so the campaign
     * walks the whole route and lands between and inside every step, before, inside and after the
     * window. Sometimes, during the copy, a delay after the next instant (inside pg_dump, the copy
     * and the waits); and before the switch, after the k-th event-log line of the run (inside a
     * resume's own adoption of what it finds). Neither jumps far, so every stretch gets its kills.
     */
    function chooseKill(): KillAt {
      const u = rnd();
      // The same instant again now and then: a resume that meets it again (its own adoption) dies there too.
      const next = Math.min(INSTANTS.length - 1, Math.max(0, reached + int(0, 2)));
      const after = INSTANTS.slice(next).map(([, re]) => re);
      if (u < 0.2 && reached < APPROVED) {
        const jitterMs = int(20, 600);
        return { after, jitterMs, label: `${INSTANTS[next]![0]} + ${jitterMs} ms` };
      }
      if (u < 0.35 && reached < VERIFY) {
        const lines = int(1, 10);
        const jitterMs = int(0, 5);
        return { lines, jitterMs, label: `event-log line ${lines} + ${jitterMs} ms` };
      }
      const jitterMs = int(0, 20);
      return { after, jitterMs, label: `${INSTANTS[next]![0]} + ${jitterMs} ms` };
    }

    /** Inside the rollback a resume after the deadline starts with. */
    function lateKill(): KillAt {
      const lines = int(1, 6);
      const jitterMs = int(0, 3);
      return { lines, jitterMs, label: `event-log line ${lines} + ${jitterMs} ms` };
    }
  });
});

interface CampaignState {
  cutover?: { status: string; deadline: string };
  steps: Record<string, { status: string; outputs?: Record<string, unknown> }>;
}

function readState(statePath: string): CampaignState {
  return JSON.parse(readFileSync(statePath, 'utf8')) as CampaignState;
}

/** The event types an instant's pattern names (`"type":"a-(b|c)"` names a-b and a-c). */
function eventNames(re: RegExp): string[] {
  const m = /"type":"([^"]+)"/.exec(re.source);
  if (!m) return [];
  const alt = /^(.*)\(([^)]+)\)(.*)$/.exec(m[1]!);
  return alt ? alt[2]!.split('|').map((x) => alt[1]! + x + alt[3]!) : [m[1]!];
}

/** All TypeScript under a folder, as one text. */
function sourceText(dir: string): string {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => readFileSync(path.join(e.parentPath, e.name), 'utf8'))
    .join('\n');
}

/** The cutover window as the state file says (undefined before the freeze). */
function readWindow(statePath: string): string | undefined {
  return readState(statePath).cutover?.status;
}

/** What must hold after every kill, whatever the instant. */
function assertInvariants(o: Observation, window: string | undefined, why: string): void {
  expect(
    o.sourceSlots.filter((s) => s !== FORWARD),
    `${why}: a slot of unknown purpose on the source`,
  ).toEqual([]);
  expect(o.sourceSlots.length, `${why}: forward slots on the source`).toBeLessThanOrEqual(1);
  expect(
    o.auroraSubscriptions.map((s) => s.name).filter((s) => s !== FORWARD),
    `${why}: a subscription of unknown purpose on Aurora`,
  ).toEqual([]);
  expect(o.auroraSubscriptions.length, `${why}: forward subscriptions on Aurora`).toBeLessThanOrEqual(1);
  expect(
    o.auroraSlots.filter((s) => s !== REVERSE_SLOT),
    `${why}: a slot of unknown purpose on Aurora`,
  ).toEqual([]);
  expect(o.auroraSlots.length, `${why}: reverse slots on Aurora`).toBeLessThanOrEqual(1);
  expect(
    o.sourceSubscriptions.filter((s) => s !== REVERSE_SUB),
    `${why}: a subscription of unknown purpose on the old source`,
  ).toEqual([]);
  expect(o.sourceSubscriptions.length, `${why}: reverse subscriptions on the old source`).toBeLessThanOrEqual(1);
  const forwardOn = o.auroraSubscriptions.some((s) => s.enabled);
  expect(
    forwardOn && o.sourceSubscriptions.length > 0,
    `${why}: the forward subscription enabled beside the reverse one (changes would loop)`,
  ).toBe(false);
  if (window !== 'committed' && o.fenced)
    expect(
      ['open', 'rolling-back'],
      `${why}: a fenced source before the point of no return needs an open window in the state`,
    ).toContain(window);
}
