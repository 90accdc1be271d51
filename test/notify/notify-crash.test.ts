// Notifications across a crash campaign: the real CLI code in child processes (test step types, the
// real SNS client against the stand-in over HTTP), SIGKILLed at random instants and resumed until the
// plan is done — through a failing step, a two-person approval gate and the finish. Then: no
// notification arrived twice; none arrived without its key recorded in the state; every one whose
// send the event log confirms arrived exactly once; one that did not arrive was lost only to a kill
// between recording and sending (at most once, by design), never more of them than there were kills.
//   NOTIFY_CRASH_KILLS=40 NOTIFY_CRASH_SEED=123 npx vitest run test/notify/notify-crash.test.ts
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAwsStandin, type AwsStandin } from '../../rehearsal/aws/index.js';
import { seededRandom } from '../../rehearsal/aws/faults.js';
import { readState, type StateFile } from '../../src/engine/state-file.js';

const ROOT = resolve(import.meta.dirname, '../..');
const ENTRY = join(ROOT, 'test/notify/notify-cli-entry.ts');
const TSX = pathToFileURL(join(ROOT, 'node_modules/tsx/dist/esm/index.mjs')).href;
const TOPIC = 'arn:aws:sns:us-east-1:111122223333:db-migrations';
const KILLS = Number(process.env.NOTIFY_CRASH_KILLS ?? 12);
const SEED = Number(process.env.NOTIFY_CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));

const cleanup: string[] = [];
let aws: AwsStandin;
let childArgs: string[] = ['--import', TSX, ENTRY];

beforeAll(async () => {
  aws = await startAwsStandin({ manualClock: true, seed: { topics: ['db-migrations'] } });
  try {
    const esbuild = await import('esbuild' as string);
    const outfile = join(ROOT, 'node_modules/.cache/aurora-migrate-test', `notify-cli-entry-${process.pid}.mjs`);
    await esbuild.build({
      entryPoints: [ENTRY],
      outfile,
      bundle: true,
      platform: 'node',
      format: 'esm',
      packages: 'external',
      logLevel: 'silent',
    });
    childArgs = [outfile];
    cleanup.push(outfile);
  } catch {
    // keep tsx
  }
});
afterAll(async () => {
  await aws?.close();
  for (const p of cleanup) rmSync(p, { recursive: true, force: true });
});

/**
 * Runs apply once. `kill`: SIGKILL that many ms after spawn ('time'), or that many ms after the event
 * log shows the child recording a notification ('notify': the gap between recording and sending).
 */
function runChild(
  dir: string,
  approver: string,
  approve: boolean,
  kill: { on: 'time' | 'notify'; ms: number } | undefined,
) {
  return new Promise<{ code: number | null; killed: boolean; ms: number; stderr: string }>((done) => {
    const started = performance.now();
    const env: Record<string, string | undefined> = {
      ...process.env,
      ...aws.env,
      NO_COLOR: '1',
      AURORA_MIGRATE_APPROVER: approver,
      GITHUB_ACTIONS: undefined,
    };
    const logFile = join(dir, '.aurora-migrate', 'orders.state.json.events.jsonl');
    const logStart = existsSync(logFile) ? readFileSync(logFile, 'utf8').length : 0;
    const child = spawn(
      process.execPath,
      [...childArgs, 'apply', 'plan.yaml', ...(approve ? ['--approve', 'gate'] : [])],
      { cwd: dir, env, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    let killed = false;
    const doKill = () => (killed = child.kill('SIGKILL'));
    child.stderr.on('data', (d) => (stderr += d));
    let timer: ReturnType<typeof setTimeout> | undefined;
    let watch: ReturnType<typeof setInterval> | undefined;
    if (kill?.on === 'time') timer = setTimeout(doKill, kill.ms);
    if (kill?.on === 'notify') {
      watch = setInterval(() => {
        const text = existsSync(logFile) ? readFileSync(logFile, 'utf8').slice(logStart) : '';
        if (!text.includes('"type":"notification"')) return;
        clearInterval(watch);
        timer = setTimeout(doKill, kill.ms);
      }, 1);
    }
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      clearInterval(watch);
      done({ code, killed: killed && signal === 'SIGKILL', ms: performance.now() - started, stderr });
    });
  });
}

interface RoundReport {
  kills: number;
  runs: string[];
  lost: string[];
}

/** One round on a fresh workspace: runs until the plan finishes, killing while the budget lasts. */
async function round(rnd: () => number, budget: number): Promise<RoundReport> {
  const dir = mkdtempSync(join(tmpdir(), 'am-notify-crash-'));
  cleanup.push(dir);
  const blocker = join(dir, 'table-locked');
  writeFileSync(blocker, '');
  const ledger = join(dir, 'ledger');
  writeFileSync(
    join(dir, 'plan.yaml'),
    stringify({
      version: 1,
      name: 'orders',
      notify: [TOPIC],
      steps: [
        { id: 'load', type: 'test-effect', units: 6, ledger, sleepMs: 50, failWhileExists: blocker },
        {
          id: 'gate',
          type: 'approval',
          message: 'Stop writes, then approve.',
          approvers: ['alice', 'bob'],
          required: 2,
        },
        { id: 'finish', type: 'test-effect', units: 4, ledger, sleepMs: 50 },
      ],
    }),
  );
  const statePath = join(dir, '.aurora-migrate', 'orders.state.json');
  const readNow = async (): Promise<StateFile | undefined> => {
    const r = await readState(statePath, 'orders');
    return r.exists ? r.state : undefined;
  };
  const before = aws.sns.messages.length;

  let kills = 0;
  let window = 1500;
  let sawFailure = false;
  let sawGate = false;
  let sawAliceGate = false;
  const runs: string[] = [];
  for (let run = 1; run <= 200; run++) {
    const state = await readNow();
    const aliceApproved = !!state?.approvals.some((a) => a.approvedBy === 'alice');
    const approver = sawAliceGate && aliceApproved ? 'bob' : 'alice';
    const dice = kills < budget ? rnd() : 1;
    const kill =
      dice < 0.45
        ? { on: 'time' as const, ms: Math.floor(rnd() * window) }
        : dice < 0.85
          ? { on: 'notify' as const, ms: Math.floor(rnd() * 8) }
          : undefined;
    const r = await runChild(dir, approver, sawGate, kill);
    runs.push(
      r.killed
        ? `kill@${kill!.on === 'notify' ? 'notification+' : ''}${kill!.ms}ms`
        : `exit ${r.code}${sawGate ? ` (${approver})` : ''}`,
    );
    if (r.killed) {
      kills++;
      continue;
    }
    window = Math.max(300, Math.round(r.ms * 1.3));
    if (r.code === 2) {
      sawFailure = true;
      rmSync(blocker, { force: true });
    } else if (r.code === 3) {
      if (sawGate && approver === 'alice') sawAliceGate = true;
      sawGate = true;
    } else if (r.code === 0) {
      break;
    } else {
      throw new Error(`unexpected exit ${r.code}: ${r.stderr}`);
    }
  }
  expect(sawFailure && sawGate, 'the round went through the failure and the gate').toBe(true);
  const final = (await readNow())!;
  expect(final.finishedAt, 'the plan finished').toBeDefined();

  const keys = final.notifications!.map((n) => n.key);
  expect(new Set(keys).size, 'no key recorded twice').toBe(keys.length);
  const kinds = keys.map((k) => k.split('/').slice(1).join('/'));
  expect(kinds).toEqual(
    expect.arrayContaining(['awaiting-approval/gate/0', 'awaiting-approval/gate/1', 'plan-finished']),
  );
  expect(kinds.some((k) => k.startsWith('step-failed/load/'))).toBe(true);

  const received = aws.sns.messages.slice(before).map((m) => /Notification id: (\S+)$/.exec(m.message)?.[1]);
  const count = (k: string) => received.filter((r) => r === k).length;
  for (const k of received) expect(keys, 'every message arrived with its key recorded first').toContain(k);
  for (const k of keys) expect(count(k), `${k} arrived at most once`).toBeLessThanOrEqual(1);

  const log = readFileSync(`${statePath}.events.jsonl`, 'utf8')
    .split('\n')
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as { type: string; key?: string }];
      } catch {
        return [];
      }
    });
  const sent = new Set(log.filter((e) => e.type === 'notification-sent').map((e) => e.key!));
  for (const k of sent) expect(count(k), `${k}: the log says sent, so it arrived exactly once`).toBe(1);
  const lost = keys.filter((k) => count(k) === 0);
  expect(lost.filter((k) => sent.has(k))).toEqual([]);
  expect(lost.length, `lost to kills: ${lost.join(', ')}`).toBeLessThanOrEqual(kills);
  expect(
    log.some((e) => e.type === 'notification-failed'),
    'no send failed',
  ).toBe(false);
  expect(existsSync(`${statePath}.lock`)).toBe(false);
  return { kills, runs, lost };
}

describe('notifications across SIGKILLs', () => {
  it(`each notification at most once, and exactly once unless a kill fell between record and send (seed ${SEED})`, {
    timeout: 60_000 + KILLS * 3_000,
  }, async () => {
    const rnd = seededRandom(SEED);
    let kills = 0;
    const lost: string[] = [];
    for (let n = 1; kills < KILLS && n <= 20; n++) {
      const r = await round(rnd, KILLS - kills);
      kills += r.kills;
      lost.push(...r.lost);
      process.stdout.write(
        `notify crash round ${n} (seed ${SEED}): ${r.kills} kills, ${r.runs.length} runs, lost ${r.lost.length}: ${r.runs.join(', ')}\n`,
      );
    }
    expect(kills).toBeGreaterThanOrEqual(KILLS);
  });
});
