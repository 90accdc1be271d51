// A fleet rehearsal: N small plans applied at once as N CLI processes (as N CI runners would, each
// with its own credentials), against one stand-in whose account-wide API rate limit is on. Each plan
// creates an Aurora read replica of its own source and waits for its lag. Afterwards: how every
// process ended, the peak calls per (real) second the stand-in saw, the throttled answers per plan
// (by the access key that signed them), whether anything was created twice, and `status` over the
// whole fleet. Used by `npm run bench:fleet` and test/fleet/fleet-throttle.test.ts.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { startAwsStandin, MINUTE, type AwsStandin } from '../aws/index.js';
import type { RateLimitOptions } from '../aws/rate-limit.js';
import type { CallRecord } from '../aws/calls.js';
import { runCli, type CliRunResult } from './cli-runner.js';
import { standinCliEnv } from './cli-env.js';

export interface FleetRunOptions {
  plans: number;
  /** AURORA_MIGRATE_TIME_SCALE for every process and the stand-in. */
  timeScale: number;
  /** The stand-in's account-wide limits (real seconds). */
  rateLimit: RateLimitOptions;
  /** Called with each child right after spawn (cleanup on failure). */
  onSpawn?(child: ChildProcess): void;
}

export interface FleetPlanResult {
  plan: string;
  exitCode: number | null;
  calls: number;
  throttled: number;
  /** Last lines of stderr when the process did not exit 0. */
  stderrTail?: string;
}

export interface FleetRunSummary {
  version: 1;
  plans: number;
  timeScale: number;
  rateLimit: RateLimitOptions;
  wallSeconds: number;
  succeeded: number;
  perPlan: FleetPlanResult[];
  totalCalls: number;
  totalThrottled: number;
  /** Most requests the stand-in received in one real second (all answers), and most it served (ok). */
  peakCallsPerSecond: number;
  peakServedPerSecond: number;
  /** "CreateDBCluster fleet-03-aurora" for every resource created by more than one successful call. */
  createdTwice: string[];
  clusters: number;
  instances: number;
  /** `status 'plans/*.yaml' --format json` afterwards: its exit code and each plan's phase. */
  status: { exitCode: number | null; phases: Record<string, string> };
}

const pad = (n: number) => String(n).padStart(2, '0');
const keyOf = (i: number) => `AKIAFLEET${String(i).padStart(11, '0')}`;

function planText(i: number): string {
  return `version: 1
name: fleet-${pad(i)}
steps:
  - id: replica
    type: aurora-read-replica
    source: src-${pad(i)}
    cluster: fleet-${pad(i)}-aurora
    instance: { class: db.r6g.large }
  - id: catch-up
    type: lag-watch
    replica: \${steps.replica.outputs.instanceId}
    maxLag: 5s
    stableFor: 2m
    pollEvery: 30s
`;
}

export async function runFleet(options: FleetRunOptions): Promise<FleetRunSummary> {
  const n = options.plans;
  let aws: AwsStandin | undefined;
  const root = mkdtempSync(join(tmpdir(), 'am-fleet-run-'));
  try {
    aws = await startAwsStandin({
      timeScale: options.timeScale,
      durations: { lagCatchUp: 5 * MINUTE },
      seed: { instances: Array.from({ length: n }, (_, i) => ({ id: `src-${pad(i + 1)}`, engineVersion: '16.4' })) },
      faults: { rateLimit: options.rateLimit },
    });
    const cwd = join(root, 'repo');
    mkdirSync(join(cwd, 'plans'), { recursive: true });
    mkdirSync(join(root, 'home'));
    for (let i = 1; i <= n; i++) writeFileSync(join(cwd, 'plans', `fleet-${pad(i)}.yaml`), planText(i));
    const baseEnv = standinCliEnv(aws.env, join(root, 'home'), options.timeScale);
    const started = performance.now();
    const results: CliRunResult[] = await Promise.all(
      Array.from({ length: n }, (_, k) =>
        runCli(['apply', `plans/fleet-${pad(k + 1)}.yaml`], {
          env: { ...baseEnv, AWS_ACCESS_KEY_ID: keyOf(k + 1) },
          cwd,
          onSpawn: options.onSpawn,
        }),
      ),
    );
    const wallSeconds = (performance.now() - started) / 1000;
    const records = aws.calls.records.filter((r) => r.service !== 's3');
    const perPlan: FleetPlanResult[] = results.map((r, k) => {
      const mine = records.filter((c) => c.accessKeyId === keyOf(k + 1));
      return {
        plan: `fleet-${pad(k + 1)}`,
        exitCode: r.code,
        calls: mine.length,
        throttled: mine.filter((c) => c.outcome === 'Throttling').length,
        ...(r.code !== 0 ? { stderrTail: r.stderr.trim().split('\n').slice(-4).join('\n') } : {}),
      };
    });
    const status = await runCli(['status', 'plans/*.yaml', '--format', 'json'], {
      env: baseEnv,
      cwd,
      onSpawn: options.onSpawn,
    });
    let phases: Record<string, string> = {};
    try {
      phases = Object.fromEntries(
        (JSON.parse(status.stdout).plans as Array<{ plan: string; phase: string }>).map((p) => [p.plan, p.phase]),
      );
    } catch {
      // left empty: the test shows status's exit code and output
    }
    return {
      version: 1,
      plans: n,
      timeScale: options.timeScale,
      rateLimit: options.rateLimit,
      wallSeconds,
      succeeded: results.filter((r) => r.code === 0).length,
      perPlan,
      totalCalls: records.length,
      totalThrottled: records.filter((r) => r.outcome === 'Throttling').length,
      peakCallsPerSecond: peakPerSecond(records),
      peakServedPerSecond: peakPerSecond(records.filter((r) => r.outcome === 'ok')),
      createdTwice: createdTwice(records),
      clusters: aws.rds.clusters.size,
      instances: [...aws.rds.instances.values()].filter((i) => i.id.startsWith('fleet-')).length,
      status: { exitCode: status.code, phases },
    };
  } finally {
    await aws?.close();
    rmSync(root, { recursive: true, force: true });
  }
}

/** The most calls in any one-second window (sliding, by wall clock). */
export function peakPerSecond(records: readonly CallRecord[]): number {
  const times = records.map((r) => r.wallAt ?? 0).sort((a, b) => a - b);
  let peak = 0;
  for (let lo = 0, hi = 0; hi < times.length; hi++) {
    while (times[hi] - times[lo] >= 1000) lo++;
    peak = Math.max(peak, hi - lo + 1);
  }
  return peak;
}

function createdTwice(records: readonly CallRecord[]): string[] {
  const counts = new Map<string, number>();
  for (const r of records) {
    if (!/^Create|^Restore/.test(r.operation) || r.outcome !== 'ok') continue;
    const key = `${r.operation} ${r.resourceId}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].filter(([, c]) => c > 1).map(([k]) => k);
}

const limitText = (l: RateLimitOptions) =>
  Object.entries(l)
    .map(([s, b]) => `${s} ${b!.perSecond}/s (burst ${b!.burst})`)
    .join(', ');

/** The summary as a few lines for a terminal or a test log. */
export function formatFleetSummary(s: FleetRunSummary): string {
  const lines = [
    `fleet: ${s.plans} plans applied at once as ${s.plans} CLI processes, time scale ${s.timeScale}, account rate limit ${limitText(s.rateLimit)}`,
    `  ${s.succeeded} of ${s.plans} exited 0 in ${s.wallSeconds.toFixed(1)} s; ${s.clusters} clusters, ${s.instances} instances; created twice: ${s.createdTwice.length ? s.createdTwice.join(', ') : 'nothing'}`,
    `  peak ${s.peakCallsPerSecond} calls/s received, ${s.peakServedPerSecond} calls/s served; ${s.totalThrottled} of ${s.totalCalls} calls throttled`,
    `  throttled per plan: ${s.perPlan.map((p) => `${p.plan.replace('fleet-', '')}=${p.throttled}/${p.calls}`).join(' ')}`,
  ];
  for (const p of s.perPlan.filter((x) => x.exitCode !== 0))
    lines.push(`  ${p.plan} exited ${p.exitCode}: ${p.stderrTail}`);
  return lines.join('\n');
}
