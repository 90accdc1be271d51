// Issue 13 item 9: a crash campaign across the cutover window, on real replication, with a live writer.
// The real CLI (bin/aurora-migrate.js, a child process) runs replica → freeze-writes (window 5m) →
// promote (caught-up marker) → verify-data → switch-endpoint against a time-scaled stand-in (60×,
// like AURORA_MIGRATE_TIME_SCALE=60: the window is 5 s of real time) whose source is a real
// PostgreSQL server and whose replica a real streaming standby. The writer commits numbered rows
// the whole time through the application's name (the forwarder follows the Route 53 record, so it
// moves to the target after the switch).
//
// Each round SIGKILLs `apply` at a random instant inside the cutover (a delay after the window
// opened, k event-log lines after it, or a delay after spawn), maybe once more in a resume, and
// resumes it with the same command — sometimes only after the window's deadline — until it exits 0
// or 2. Every round must end EITHER rolled back (exit 2: the source's previous setting back, the
// application writing to it again, no promotion accepted, the cluster still a replica) OR forward
// (exit 0: promoted exactly once, the DNS name on the target, every acknowledged write there),
// never in between. Rounds share the replica until one goes forward; then a new plan (new cluster)
// builds the next replica, with the source thawed and the name pointed back at it.
//
//   npx vitest run test/engine/window-crash-campaign.test.ts
//   CUTOVER_CRASH_ROUNDS=12 CUTOVER_CRASH_SEED=123 …      # more rounds / replay (the seed is printed)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../../rehearsal/aws/faults.js';
import { startWriter, type Writer, type WriterRun } from '../../rehearsal/app/writer.js';
import { buildReport } from '../../rehearsal/app/report.js';
import { createCleanupStack, type CleanupStack } from '../../rehearsal/world/cleanup-stack.js';
import { ensureBuilt } from '../../rehearsal/world/ensure-built.js';
import { readState, type StateFile } from '../../src/engine/state-file.js';
import { liftFenceAsAdmin } from '../../rehearsal/postgres/rds-roles.js';
import {
  APP_NAME,
  FROZEN,
  clusterFacts,
  pointRecordAtSource,
  readEventLog,
  runApply,
  sourceOpen,
  sourceSetting,
  startCrashWorld,
  writeSegmentPlan,
  type ApplyRun,
  type CrashWorld,
  type KillAt,
  type Segment,
} from './support/window-crash-world.js';

const ROUNDS = Number(process.env.CUTOVER_CRASH_ROUNDS ?? 10);
const SEED = Number(process.env.CUTOVER_CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));
const TIME_SCALE = 60;
/** No new round starts after this much real time (the file should stay under ~3 minutes). */
const BUDGET_MS = Number(process.env.CUTOVER_CRASH_BUDGET_MS ?? 130_000);
const MAX_RUNS_PER_ROUND = 8;

let cleanup: CleanupStack;
let w: CrashWorld;

beforeAll(async () => {
  ensureBuilt();
  cleanup = createCleanupStack();
  w = await startCrashWorld(cleanup, TIME_SCALE);
}, 240_000);
afterAll(async () => {
  await cleanup?.run();
}, 60_000);

interface RunNote {
  kill?: string;
  killed: boolean;
  code: number | null;
  /** The window as the state shows it after the run. */
  window: string;
  late?: boolean;
}

describe('crash campaign across the cutover window (SIGKILL, real replication, live writer)', () => {
  it(`every round ends rolled back or forward, never in between (seed ${SEED})`, { timeout: 330_000 }, async () => {
    const started = performance.now();
    const rnd = seededRandom(SEED);
    const int = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
    process.stdout.write(
      `window crash campaign: seed ${SEED} (replay with CUTOVER_CRASH_SEED=${SEED}), up to ${ROUNDS} rounds\n`,
    );

    let segIndex = 0;
    let seg: Segment | undefined;
    let writer: Writer | undefined;
    const writerRuns: WriterRun[] = [];
    const stopWriter = async () => {
      const wr = writer;
      writer = undefined;
      if (wr) writerRuns.push(await wr.stop());
      return writerRuns.at(-1)!;
    };
    cleanup.add('stop the writer', async () => void (await stopWriter().catch(() => undefined)));

    /** A new plan (new cluster), the writer on the application's name, and its replica built (--until replica). */
    const startSegment = async () => {
      segIndex++;
      seg = await writeSegmentPlan(w, segIndex);
      // The application as its own role, its drivers opening transactions READ WRITE (two of three connections).
      writer = await startWriter({
        connection: {
          host: w.forwarder.host,
          port: w.forwarder.port,
          database: 'orders',
          user: w.roles.app.user,
          password: w.roles.app.password,
        },
        ratePerSecond: 100,
        mode: ['begin-read-write', 'session-read-write', 'autocommit'],
      });
      await writer.waitForAcks(20, 15_000);
      const setup = await runApply(w, seg, ['--until', 'replica']);
      expect(setup.code, `setup of ${seg.name}: ${setup.stderr.slice(-2000)}`).toBe(0);
      expect(clusterFacts(w.aws, seg.cluster)).toMatchObject({
        replica: true,
        status: 'available',
        promotionsAccepted: 0,
      });
    };

    const tally = {
      rounds: 0,
      rolledBack: 0,
      forward: 0,
      kills: 0,
      killsBeforePointOfNoReturn: 0,
      killsAfterPointOfNoReturn: 0,
      killsBeforeWindow: 0,
      killsInRollback: 0,
      killsAfterRollback: 0,
      forwardAfterUnreportedRollback: 0,
      lateResumes: 0,
      lateResumesOpen: 0,
      noKillLanded: 0,
      segments: 0,
    };
    const problems: string[] = [];

    for (let round = 1; round <= ROUNDS; round++) {
      if (performance.now() - started > BUDGET_MS) {
        process.stdout.write(`round ${round}: not started, the time budget (${BUDGET_MS / 1000} s) is spent\n`);
        break;
      }
      if (!seg) {
        await startSegment();
        tally.segments++;
      }
      const s = seg!;
      const where = `round ${round} (${s.name}, seed ${SEED})`;
      const notes: RunNote[] = [];
      let kills = 0;
      let lateNext = false;
      let lateFromOpen = false;
      let last: ApplyRun | undefined;
      let state: StateFile | undefined;

      for (let run = 1; run <= MAX_RUNS_PER_ROUND; run++) {
        // A late resume of an open window is sometimes killed too, a few event-log lines in: inside its rollback.
        const kill = lateNext
          ? lateFromOpen && kills < 2 && rnd() < 0.4
            ? ({ anchor: 'spawn', lines: int(1, 5), jitterMs: int(0, 3) } as const)
            : undefined
          : chooseKill(run, kills, round);
        const r = await runApply(w, s, [], kill);
        last = r;
        // The state file always parses (the engine's own reader throws on a torn or invalid one).
        const read = await readState(s.statePath, s.name).catch((err: Error) => {
          problems.push(`${where} run ${run}: state file unreadable: ${err.message}`);
          return undefined;
        });
        state = read?.exists ? read.state : undefined;
        expect(state, `${where} run ${run}: the state file exists`).toBeDefined();
        const log = readEventLog(s.eventLogPath);
        // A SIGKILL mid-append may cut the line being written (documented); it must stay on its own line,
        // never run into the next record.
        expect(
          log.torn.filter((l) => l.slice(1).includes('{"ts"')),
          `${where} run ${run}: no record runs into a torn one`,
        ).toEqual([]);
        expect(log.torn.length, `${where} run ${run}: at most one torn line per kill`).toBeLessThanOrEqual(
          tally.kills + 1,
        );
        // Never in between, at any instant we can look: the source writable while a promotion was accepted.
        const setting = await sourceSetting(w.source);
        const open = await sourceOpen(w.source);
        const facts = clusterFacts(w.aws, s.cluster);
        expect(
          facts.promotionsAccepted > 0 && (setting === null || open),
          `${where} run ${run}: source writable AND promoted`,
        ).toBe(false);
        const win = state!.cutover?.status ?? 'none';
        notes.push({
          kill: kill && describeKill(kill),
          killed: r.killedByUs,
          code: r.code,
          window: win,
          late: lateNext || undefined,
        });

        if (lateNext && lateFromOpen && !r.killedByUs) {
          // A resume after the deadline of a window that was still open: it rolls back at once.
          expect(r.code, `${where}: resume after the deadline of an open window: ${r.stderr.slice(-1500)}`).toBe(2);
          expect(r.stderr).toMatch(/passed while no run was active|rollback was interrupted and is finished now/);
        }
        const wasLate = lateNext;
        lateNext = false;
        lateFromOpen = false;
        if (r.killedByUs) {
          kills++;
          tally.kills++;
          if (win === 'committed') tally.killsAfterPointOfNoReturn++;
          else if (win === 'open') tally.killsBeforePointOfNoReturn++;
          else if (win === 'rolling-back') tally.killsInRollback++;
          else if (win === 'rolled-back' && wasLate) tally.killsAfterRollback++;
          else tally.killsBeforeWindow++;
          // Resume at once, or only after the window's deadline (a crash at 3 a.m. noticed late).
          const open = win === 'open' || win === 'rolling-back';
          const passed = open && Date.now() >= Date.parse(state!.cutover!.deadline);
          const late = open ? passed || tally.lateResumesOpen === 0 || rnd() < 0.5 : win === 'committed' && rnd() < 0.2;
          if (late) {
            const waitMs = Date.parse(state!.cutover!.deadline) - Date.now() + 400;
            if (waitMs > 0) await new Promise((res) => setTimeout(res, waitMs));
            tally.lateResumes++;
            if (open) tally.lateResumesOpen++;
            lateNext = true;
            lateFromOpen = open;
          }
          continue;
        }
        if (r.code === 0 || r.code === 2) break;
        throw new Error(
          `${where} run ${run}: apply ended with exit ${r.code} (${r.signal ?? 'no signal'}) instead of 0, 2 or our kill:\n${r.stderr.slice(-3000)}`,
        );
      }
      tally.rounds++;
      if (kills === 0) tally.noKillLanded++;
      process.stdout.write(
        `round ${round} (${s.name}): ${notes.map((n) => (n.killed ? `${n.late ? 'late ' : ''}[${n.kill}]→kill(window ${n.window})` : `${n.late ? 'late ' : ''}${n.kill ? `[${n.kill}, ended first] ` : ''}exit ${n.code}`)).join(' → ')}\n`,
      );
      expect(last?.killedByUs, `${where}: the round ended within ${MAX_RUNS_PER_ROUND} runs`).toBe(false);
      const code = last!.code;
      const facts = clusterFacts(w.aws, s.cluster);
      const setting = await sourceSetting(w.source);
      const record = w.aws.route53.record(APP_NAME, 'CNAME');

      if (code === 2) {
        // Rolled back: what the DBA sees and what the application sees.
        tally.rolledBack++;
        expect(last!.stderr, where).toMatch(
          /Writes are back on the source \(orders have their previous settings\) and nothing was promoted/,
        );
        expect(state!.cutover?.status, `${where}: the state says rolled back`).toBe('rolled-back');
        expect(state!.steps.freeze.status).toBe('rolled-back');
        expect(setting, `${where}: pg_db_role_setting of orders has its previous value (none)`).toBeNull();
        expect(await sourceOpen(w.source), `${where}: CONNECT is back for PUBLIC`).toBe(true);
        expect(facts, `${where}: nothing promoted, still a replica`).toMatchObject({
          promotionsAccepted: 0,
          replica: true,
        });
        expect(record?.values, `${where}: the DNS name still points at the source`).toEqual([w.source.address]);
        // This window is rolled back; the ones rolled back before it (earlier rounds of this replica) are its history.
        const rolledBackWindows = readEventLog(s.eventLogPath).events.filter(
          (e) => e.type === 'cutover-rolled-back',
        ).length;
        expect(rolledBackWindows, `${where}: the rollback is in the event log`).toBeGreaterThanOrEqual(1);
        expect(state!.cutover?.history?.map((h) => h.status) ?? [], `${where}: earlier windows of this plan`).toEqual(
          Array(rolledBackWindows - 1).fill('rolled-back'),
        );
        await writer!.waitForAcks(10, 15_000); // the application writes to the source again
      } else {
        // Forward: promoted once, the name on the target, every acknowledged write there.
        tally.forward++;
        expect(code, where).toBe(0);
        expect(state!.cutover?.status, `${where}: past the point of no return`).toBe('committed');
        expect(
          Object.values(state!.steps).map((x) => x.status),
          `${where}: every step succeeded`,
        ).toEqual(Array(5).fill('succeeded'));
        expect(facts, `${where}: promoted exactly once, standalone`).toMatchObject({
          promotionsAccepted: 1,
          replica: false,
          status: 'available',
        });
        expect(setting, `${where}: forward only — the source stays frozen`).toEqual(FROZEN);
        expect(await sourceOpen(w.source), `${where}: forward only — the source stays fenced`).toBe(false);
        // Every window of this replica rolled back before (earlier rounds, or a rollback in this round whose
        // run was killed before it could exit 2: the next apply then started the cutover afresh) is in the
        // history; this one is a new freeze.
        const rolledBackWindows = readEventLog(s.eventLogPath).events.filter(
          (e) => e.type === 'cutover-rolled-back',
        ).length;
        expect(state!.cutover?.history?.map((h) => h.status) ?? [], `${where}: earlier windows of this plan`).toEqual(
          Array(rolledBackWindows).fill('rolled-back'),
        );
        if (notes.some((n) => n.killed && n.window === 'rolled-back' && n.late)) tally.forwardAfterUnreportedRollback++;
        for (const op of ['CreateDBCluster', 'CreateDBInstance'])
          expect(
            w.aws.calls.filter(op).filter((c) => c.outcome === 'ok' && JSON.stringify(c.params).includes(s.cluster)),
            `${where}: ${op} accepted once`,
          ).toHaveLength(1);
        const endpoint = state!.steps.promote.outputs!.endpoint as string;
        expect(record?.values, `${where}: the DNS name points at the promoted cluster`).toEqual([endpoint]);
        await writer!.waitForAcks(10, 15_000); // the application writes again, now on the target
        // New connections follow the name to the target (give a reconnect in flight a moment to land).
        for (let i = 0; i < 100 && w.forwarder.route.at(-1) !== endpoint; i++)
          await new Promise((r) => setTimeout(r, 50));
        expect(
          w.forwarder.route.at(-1),
          `${where}: new connections go to the target (route …${w.forwarder.route.slice(-4).join(' → ')}; connections ${JSON.stringify(w.forwarder.connectionsByTarget)}; writer errors ${JSON.stringify(writer!.errors)})`,
        ).toBe(endpoint);
        const run = await stopWriter();
        const target = w.aws.resolveEndpoint(endpoint)!;
        const report = await buildReport({
          run,
          target: { ...target, database: 'orders', user: 'postgres' },
          route: w.forwarder.route,
        });
        process.stdout.write(
          `    ${s.name}: ${report.acknowledgedWrites} acknowledged writes, ${report.foundOnTarget} on the target, lostWrites ${report.lostWrites}, longest write gap ${report.writeDowntimeSeconds} s\n`,
        );
        expect(report.acknowledgedWrites, where).toBeGreaterThan(50);
        expect(
          report.lostWrites,
          `${where}: acknowledged writes missing on the target: ${report.lostSeqs.join(', ')}`,
        ).toBe(0);
        // The next segment: the source thawed by hand (a forward cutover leaves it frozen), the name back on it, a new replica.
        await liftFenceAsAdmin(w.source, ['orders']);
        pointRecordAtSource(w);
        seg = undefined;
      }
    }

    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    process.stdout.write(
      `window crash campaign: ${tally.rounds} rounds in ${seconds} s over ${tally.segments} replica(s): ${tally.rolledBack} rolled back, ${tally.forward} forward; ` +
        `${tally.kills} SIGKILLs (${tally.killsBeforeWindow} before the window opened, ${tally.killsBeforePointOfNoReturn} inside it before the point of no return, ${tally.killsAfterPointOfNoReturn} after it, ${tally.killsInRollback} during a rollback, ${tally.killsAfterRollback} right after one, ${tally.forwardAfterUnreportedRollback} of them then a fresh cutover that went forward); ` +
        `${tally.lateResumes} resumes after the deadline (${tally.lateResumesOpen} of an open window); ${tally.noKillLanded} round(s) ended before the kill; seed ${SEED}\n`,
    );
    expect(problems).toEqual([]);
    // The DNS change is convergent: one accepted UPSERT per forward cutover, whatever the kills.
    expect(
      w.aws.calls.succeeded('ChangeResourceRecordSets'),
      'ChangeResourceRecordSets accepted once per forward round',
    ).toBe(tally.forward);
    expect(tally.rounds).toBeGreaterThanOrEqual(Math.min(ROUNDS, 4));
    expect(tally.kills).toBeGreaterThan(0);
    expect(tally.lateResumes, 'at least one resume after the deadline').toBeGreaterThan(0);

    /** First run of a round: mostly inside the window (k lines or a delay after it opened), sometimes from spawn. Resumes: sometimes once more. */
    function chooseKill(run: number, killsSoFar: number, round: number): KillAt | undefined {
      if (run > 1) {
        if (killsSoFar >= 2 || rnd() >= 0.35) return undefined;
        return rnd() < 0.5
          ? { anchor: 'spawn', ms: int(300, 3000) }
          : { anchor: 'spawn', lines: int(1, 20), jitterMs: int(0, 10) };
      }
      // Until both outcomes were seen, every other round aims at the short stretch before the point of no return.
      const aimEarly = tally.rolledBack < 2 && round % 2 === 1;
      const u = rnd();
      if (aimEarly || u < 0.45) return { anchor: 'window', lines: int(0, aimEarly ? 6 : 14), jitterMs: int(0, 10) };
      if (u < 0.85) return { anchor: 'window', ms: int(0, 5000) };
      return { anchor: 'spawn', ms: int(0, 2000) };
    }
  });
});

function describeKill(k: KillAt): string {
  return 'ms' in k ? `${k.anchor}+${k.ms}ms` : `${k.anchor}+${k.lines} lines+${k.jitterMs}ms`;
}
