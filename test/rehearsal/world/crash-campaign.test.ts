// The crash campaign (issue 7): SIGKILL the real CLI at random instants across the whole rehearsal
// plan (replica, catch-up, approval gate, promote, backfill), resume each time until it finishes,
// and check that nothing happened twice. Rounds on fresh worlds (new AWS stand-in with a real
// source and replica, new state file) until the wanted number of kills is reached.
//
//   npx vitest run test/rehearsal                         # ≥ 30 kills (default)
//   CRASH_CAMPAIGN_KILLS=300 npx vitest run test/rehearsal/world/crash-campaign.test.ts
//   CRASH_CAMPAIGN_SEED=12345 …                           # replay a campaign (the seed is printed)
import { existsSync, readdirSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createCleanupStack } from '../../../rehearsal/world/cleanup-stack.js';
import { ensureBuilt } from '../../../rehearsal/world/ensure-built.js';
import { MANUAL_CUTOVER_PLAN, startRehearsalWorld } from '../../../rehearsal/world/rehearsal-world.js';
import { summarizeWorld } from '../../../rehearsal/world/world-summary.js';
import { killLoop, seededRandom, type RoundResult } from './kill-loop.js';
import { mutationCounts, unexplainedRepeats } from './state-log-checks.js';

const KILLS = Number(process.env.CRASH_CAMPAIGN_KILLS ?? 30);
const SEED = Number(process.env.CRASH_CAMPAIGN_SEED ?? Math.floor(Math.random() * 2 ** 31));
const TIME_SCALE = 1200;
const MUTATING_AWS = ['CreateDBCluster', 'CreateDBInstance', 'PromoteReadReplicaDBCluster', 'AddRoleToDBCluster'];

describe('crash campaign: SIGKILL the CLI anywhere in the rehearsal plan, resume until done', () => {
  beforeAll(() => {
    ensureBuilt();
  });

  it(`survives at least ${KILLS} SIGKILLs with every effect exactly once (seed ${SEED})`, {
    timeout: 60_000 + KILLS * 8_000,
  }, async () => {
    const started = performance.now();
    const rnd = seededRandom(SEED);
    let kills = 0;
    const rounds: Array<{ round: number; result: RoundResult }> = [];
    const findings: string[] = [];
    const windows = { plain: 3000, approving: 3000 };
    process.stdout.write(
      `crash campaign: seed ${SEED} (replay with CRASH_CAMPAIGN_SEED=${SEED}), ${KILLS} kills wanted\n`,
    );

    for (let round = 1; kills < KILLS; round++) {
      const cleanup = createCleanupStack();
      try {
        const world = await startRehearsalWorld({
          timeScale: TIME_SCALE,
          cleanup,
          files: 16,
          customers: 2000,
          planFile: MANUAL_CUTOVER_PLAN,
        });
        const result = await killLoop(
          world,
          rnd,
          { budget: KILLS - kills, timeWindowMs: windows, maxEventLines: 20 },
          300,
        );
        kills += result.kills;
        rounds.push({ round, result });
        const runs = result.runs
          .map((r) =>
            r.killed
              ? `${r.trigger === 'time' ? `t+${r.at}ms` : `+${r.at} lines`}→kill[${r.statuses}]`
              : `exit ${r.code}`,
          )
          .join('\n    ');
        const orphans = readdirSync(world.workDir).filter((n) => n.endsWith('.tmp'));
        process.stdout.write(
          `round ${round}: ${result.kills} kills, ${result.runs.length} runs` +
            (orphans.length
              ? `, ${orphans.length} orphaned state temp file(s) (a kill between write and rename; harmless)`
              : '') +
            `\n    ${runs}\n`,
        );

        const where = `round ${round} (seed ${SEED})`;
        // Lock leftovers are collected over the whole campaign (the round could go on); anything else stops it here.
        const lockFindings = result.problems.filter((p) => p.includes('run lock half-made'));
        findings.push(...lockFindings.map((p) => `${where}: ${p}`));
        expect(
          result.problems.filter((p) => !lockFindings.includes(p)),
          `${where}: problems after individual runs`,
        ).toEqual([]);
        expect(result.sawGate, `${where}: the approval gate answered exit 3 at least once`).toBe(true);
        expect(result.last?.code, `${where}: the last run finished the plan`).toBe(0);
        expect(
          Object.values(result.final!.steps).map((s) => s.status),
          `${where}: every step succeeded`,
        ).toEqual(Array(5).fill('succeeded'));
        expect(existsSync(`${world.statePath}.lock`), `${where}: the run lock is released at the end`).toBe(false);

        // The world: one cluster, one instance in it, each change accepted once, each file imported once.
        const summary = await summarizeWorld(world);
        expect(
          summary.checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`),
          `${where}: world checks`,
        ).toEqual([]);

        // The event log: every mutating call the stand-in received is logged; repeats are explained.
        const logged = mutationCounts(result.log);
        for (const op of MUTATING_AWS) {
          const inLog = [...logged].filter(([k]) => k.startsWith(`${op} `)).reduce((n, [, c]) => n + c, 0);
          expect(inLog, `${where}: ${op} logged at least as often as the stand-in received it`).toBeGreaterThanOrEqual(
            world.aws.calls.count(op),
          );
        }
        expect(unexplainedRepeats(result.log), `${where}: mutations logged twice without a restart between`).toEqual(
          [],
        );
        const imports = [...logged].filter(([k]) => k.startsWith('import '));
        expect(imports.length, `${where}: an import logged for every backfill file`).toBe(world.backfill.length);
      } finally {
        await cleanup.run();
      }
    }

    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    const runs = rounds.reduce((n, r) => n + r.result.runs.length, 0);
    const killed = rounds.flatMap((r) => r.result.runs.filter((x) => x.killed));
    const tally = (key: (r: (typeof killed)[number]) => string) =>
      Object.entries(
        killed.reduce<Record<string, number>>((m, r) => {
          m[key(r)] = (m[key(r)] ?? 0) + 1;
          return m;
        }, {}),
      )
        .map(([k, n]) => `${k} ${n}`)
        .join(', ');
    process.stdout.write(
      `crash campaign: ${kills} SIGKILLs over ${rounds.length} rounds and ${runs} runs in ${seconds} s, seed ${SEED}\n` +
        `  by trigger: ${tally((r) => (r.trigger === 'time' ? 'random time' : 'after random event-log line'))}\n` +
        `  by step the state showed unfinished after the kill: ${tally((r) => r.phase)}\n`,
    );
    expect(kills).toBeGreaterThanOrEqual(KILLS);
    expect(findings, 'runs that could not resume after a kill without a manual unlock').toEqual([]);
  });
});
