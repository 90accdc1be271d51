// What the rehearsal's application saw, checked against the target after the run.
//
//   const run = await writer.stop();                                   // writer.ts
//   const report = await buildReport({ run, target, route: fwd.route }); // target: a direct connection
//   report.lostWrites === 0
//
// Figures (the demo's --json prints them as they are):
// - acknowledgedWrites: commits the writer got a success reply for (distinct seqs).
// - foundOnTarget: how many of those are in the target's table.
// - lostWrites / lostSeqs: acknowledged but missing on the target (the first 10 seqs).
// - unacknowledgedOnTarget: rows on the target whose commit the writer never saw acknowledged
//   (an ambiguous commit: the connection was lost after the statement was sent). Not an error.
// - writeDowntimeSeconds: the longest gap between consecutive acknowledged commits (by arrival
//   time), and when it started (downtimeFrom, ISO time).
// - route: the forwarder's targets in order (record values new connections were sent to).
import pg from 'pg';
import type { WriterConnection, WriterRun } from './writer.js';

export interface RehearsalReport {
  acknowledgedWrites: number;
  foundOnTarget: number;
  lostWrites: number;
  lostSeqs: number[];
  unacknowledgedOnTarget: number;
  writeDowntimeSeconds: number;
  downtimeFrom?: string;
  writerErrors: WriterRun['errors'];
  route: string[];
}

export interface BuildReportOptions {
  run: WriterRun;
  /** A direct connection to the target database (not through the forwarder). */
  target: WriterConnection;
  route?: string[];
}

export async function buildReport(options: BuildReportOptions): Promise<RehearsalReport> {
  const { run } = options;
  const client = new pg.Client({
    ...options.target,
    connectionTimeoutMillis: 5000,
    application_name: 'rehearsal-report',
  });
  await client.connect();
  let onTarget: Set<number>;
  try {
    const rows = (await client.query<{ seq: string }>(`SELECT seq FROM ${run.table}`)).rows;
    onTarget = new Set(rows.map((r) => Number(r.seq)));
  } finally {
    await client.end().catch(() => undefined);
  }
  const acked = new Set(run.acks.map((a) => a.seq));
  const lost = [...acked].filter((s) => !onTarget.has(s)).sort((a, b) => a - b);
  let unacknowledgedOnTarget = 0;
  for (const s of onTarget) if (!acked.has(s)) unacknowledgedOnTarget++;
  const { seconds, from } = longestGap(run.acks.map((a) => a.at));
  return {
    acknowledgedWrites: acked.size,
    foundOnTarget: acked.size - lost.length,
    lostWrites: lost.length,
    lostSeqs: lost.slice(0, 10),
    unacknowledgedOnTarget,
    writeDowntimeSeconds: seconds,
    downtimeFrom: from === undefined ? undefined : new Date(from).toISOString(),
    writerErrors: run.errors,
    route: [...(options.route ?? [])],
  };
}

/**
 * One record of several writer runs of the same application (stopped and started again, e.g. around
 * a cutover done by hand): the downtime then includes the time between the runs.
 */
export function mergeRuns(runs: WriterRun[]): WriterRun {
  if (runs.length === 0) throw new Error('mergeRuns: no runs');
  const errors = { readOnly: 0, terminated: 0, refused: 0, other: 0 } as WriterRun['errors'];
  for (const r of runs) {
    errors.readOnly += r.errors.readOnly;
    errors.terminated += r.errors.terminated;
    errors.refused += r.errors.refused;
    errors.other += r.errors.other;
    if (r.errors.last) errors.last = r.errors.last;
  }
  return {
    table: runs[0]!.table,
    startedAt: Math.min(...runs.map((r) => r.startedAt)),
    stoppedAt: Math.max(...runs.map((r) => r.stoppedAt)),
    acks: runs.flatMap((r) => r.acks),
    unacknowledged: runs.flatMap((r) => r.unacknowledged),
    errors,
  };
}

/** Longest gap between consecutive times (ms), in seconds rounded to ms, and where it started. */
export function longestGap(times: number[]): { seconds: number; from?: number } {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  let from: number | undefined;
  for (let i = 1; i < sorted.length; i++) {
    const gap = sorted[i] - sorted[i - 1];
    if (gap > best) {
      best = gap;
      from = sorted[i - 1];
    }
  }
  return { seconds: Math.round(best) / 1000, from };
}
