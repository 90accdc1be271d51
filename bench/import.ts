// Benchmark: s3-import (aws_s3 stand-in + exactly-once ledger + worker pool) against direct
// `COPY table FROM 'file'` of the same files at the same concurrency, on the same embedded server.
//
//   npm run bench:import                       # 1,000,000 rows in 40 files, 7 rounds
//   BENCH_ROWS=2000000 BENCH_FILES=80 BENCH_ROUNDS=5 npm run bench:import
//
// Each round truncates the table (and the ledger) and runs direct COPY and s3-import alternately;
// the median of the rounds is reported. Goal: s3-import >= 0.95x direct COPY at concurrency 1, 2, 4.
// Listing: a folder-backed ListObjectsV2 in-process (ETag from size + mtime). The local AWS stand-in
// computes each ETag by reading and hashing the whole object on every listing, which real S3 does
// not do; with it the benchmark would time MD5 of the data set, not the step.
import { cpus } from 'node:os';
import { join } from 'node:path';
import { startPostgres } from '../rehearsal/postgres/server.js';
import { installAwsS3Standin } from '../rehearsal/postgres/aws-s3-extension.js';
import { readdir, stat } from 'node:fs/promises';
import type { AwsApi } from '../src/aws/api.js';
import { createPgConnector } from '../src/db/pg-connector.js';
import { createStepContext, memoryCheckpoint } from '../src/engine/step-context.js';
import { s3Import } from '../src/steps/s3-import/run.js';
import type { DbConnector, ResolvedConnection } from '../src/db/api.js';
import type { S3ImportSpec } from '../src/plan/types.js';

const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
const FILES = Number(process.env.BENCH_FILES ?? 40);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const CONCURRENCY = (process.env.BENCH_CONCURRENCY ?? '1,2,4').split(',').map(Number);
const BUCKET = 'bench';

function csvFile(from: number, to: number): string {
  const lines: string[] = [];
  for (let i = from; i < to; i++) {
    lines.push(
      `${i},kind-${i % 17},"payload for row ${i} with some text, quoted",2023-${String((i % 12) + 1).padStart(2, '0')}-15T10:00:00Z`,
    );
  }
  return lines.join('\n') + '\n';
}

async function directCopy(
  db: DbConnector,
  conn: ResolvedConnection,
  files: string[],
  concurrency: number,
): Promise<number> {
  const queue = [...files];
  let rows = 0;
  const worker = async () => {
    const s = await db.connect(conn);
    try {
      for (let file = queue.shift(); file; file = queue.shift()) {
        // The benchmark's own generated paths; COPY FROM takes no parameters.
        const r = await s.query(
          `COPY events (id, kind, payload, created_at) FROM '${file.replace(/'/g, "''")}' (format csv)`,
        );
        rows += r.rowCount;
      }
    } finally {
      await s.close();
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return rows;
}

/** ListObjectsV2 over `<s3Root>/<bucket>/<prefix>` (one folder level, 1000 keys a page). */
function folderS3(s3Root: string): AwsApi {
  return {
    async send(_service, operation, input) {
      if (operation !== 'ListObjectsV2') throw new Error(`bench S3 double: ${operation} not supported`);
      const {
        Bucket,
        Prefix = '',
        ContinuationToken,
      } = input as { Bucket: string; Prefix?: string; ContinuationToken?: string };
      const dir = Prefix.replace(/[^/]*$/, '');
      const names = (await readdir(join(s3Root, Bucket, dir)))
        .map((n) => dir + n)
        .filter((k) => k.startsWith(Prefix))
        .sort();
      const start = ContinuationToken ? names.findIndex((k) => k > ContinuationToken) : 0;
      const page = names.slice(start < 0 ? names.length : start, (start < 0 ? names.length : start) + 1000);
      const Contents = await Promise.all(
        page.map(async (Key) => {
          const st = await stat(join(s3Root, Bucket, Key));
          return { Key, Size: st.size, ETag: `"${st.size.toString(16)}-${Math.round(st.mtimeMs).toString(16)}"` };
        }),
      );
      const more = start >= 0 && start + page.length < names.length;
      return { Contents, IsTruncated: more, NextContinuationToken: more ? page.at(-1) : undefined } as never;
    },
  };
}

/** Adds the time spent in data-loading statements (COPY / table_import_from_s3) to `load.ms`. */
function timeLoads(inner: DbConnector, load: { ms: number }): DbConnector {
  return {
    async connect(conn, options) {
      const s = await inner.connect(conn, options);
      return {
        async query(sql, params) {
          if (!/^COPY |table_import_from_s3/.test(sql)) return s.query(sql, params);
          const t0 = performance.now();
          try {
            return await s.query(sql, params);
          } finally {
            load.ms += performance.now() - t0;
          }
        },
        close: () => s.close(),
      } as typeof s;
    },
  };
}

async function main() {
  const pg = await startPostgres({ fast: false });
  const api = folderS3(pg.s3Root);
  const load = { ms: 0 };
  const db = timeLoads(createPgConnector(), load);
  try {
    await installAwsS3Standin(pg);
    const conn = await pg.createDatabase('bench');
    await pg.query(conn, 'CREATE TABLE events (id bigint, kind text, payload text, created_at timestamptz)');

    process.stderr.write(`generating ${ROWS.toLocaleString('en-US')} rows in ${FILES} files...\n`);
    const files: string[] = [];
    const per = Math.ceil(ROWS / FILES);
    for (let f = 0; f < FILES; f++) {
      const key = `events/part-${String(f).padStart(4, '0')}.csv`;
      await pg.putObject(BUCKET, key, csvFile(f * per, Math.min(ROWS, (f + 1) * per)));
      files.push(join(pg.s3Root, BUCKET, key));
    }

    const reset = async () => {
      await pg.query(conn, 'TRUNCATE events');
      await pg
        .query(conn, "SELECT 1 FROM pg_namespace WHERE nspname = 'aurora_migrate'")
        .then((r) => (r.length ? pg.query(conn, 'TRUNCATE aurora_migrate.s3_import_ledger') : undefined));
      await pg.query(conn, 'CHECKPOINT');
    };

    const viaStep = async (concurrency: number): Promise<number> => {
      const spec: S3ImportSpec = {
        id: 'bench',
        type: 's3-import',
        connection: { ...conn, ssl: false },
        concurrency,
        tables: [
          {
            table: 'public.events',
            columns: ['id', 'kind', 'payload', 'created_at'],
            options: '(format csv)',
            from: { bucket: BUCKET, region: 'us-east-1', prefix: 'events/' },
            expectRows: ROWS,
          },
        ],
      };
      const ctx = createStepContext({
        planName: 'bench',
        stepId: 'bench',
        attempt: 1,
        runId: 'bench',
        aws: api,
        db,
        clock: { now: () => Date.now() },
        timeScale: 1,
        signal: new AbortController().signal,
        checkpoint: memoryCheckpoint(),
        onEvent: () => undefined,
      });
      const out = await s3Import.run(spec, ctx);
      return Number(out.rowsImported);
    };

    // rows/s, and the wall time outside the loading statements (their summed time / concurrency):
    // what the tool itself adds around the server's COPY work, much less noisy than rows/s.
    const overheads = new Map<string, number[]>();
    const timed = async (fn: () => Promise<number>, label = '', concurrency = 1) => {
      await reset();
      load.ms = 0;
      const t0 = performance.now();
      const rows = await fn();
      const ms = performance.now() - t0;
      if (rows !== ROWS) throw new Error(`expected ${ROWS} rows, got ${rows}`);
      if (label) overheads.set(label, [...(overheads.get(label) ?? []), ms - load.ms / concurrency]);
      return rows / (ms / 1000);
    };
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

    // Warm-up (loads the AWS SDK and pg, creates the extension and the ledger): not timed.
    await timed(() => viaStep(1));
    await timed(() => directCopy(db, conn, files, 1));

    const results: Array<{
      concurrency: number;
      direct: number;
      step: number;
      ratio: number;
      directOverheadMs: number;
      stepOverheadMs: number;
    }> = [];
    for (const c of CONCURRENCY) {
      const direct: number[] = [];
      const step: number[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        // Alternate which goes first so warm caches favour neither.
        if (round % 2 === 0) {
          direct.push(await timed(() => directCopy(db, conn, files, c), `direct ${c}`, c));
          step.push(await timed(() => viaStep(c), `step ${c}`, c));
        } else {
          step.push(await timed(() => viaStep(c), `step ${c}`, c));
          direct.push(await timed(() => directCopy(db, conn, files, c), `direct ${c}`, c));
        }
        process.stderr.write(
          `concurrency ${c} round ${round + 1}: direct ${Math.round(direct.at(-1)!)} rows/s, s3-import ${Math.round(step.at(-1)!)} rows/s\n`,
        );
      }
      const ratios = direct.map((d, i) => step[i] / d);
      results.push({
        concurrency: c,
        direct: median(direct),
        step: median(step),
        ratio: median(ratios),
        directOverheadMs: median(overheads.get(`direct ${c}`)!),
        stepOverheadMs: median(overheads.get(`step ${c}`)!),
      });
    }

    const fmt = (n: number) => Math.round(n).toLocaleString('en-US').padStart(12);
    const cpu = cpus()[0]?.model ?? 'unknown';
    process.stdout.write(
      `\ns3-import vs direct COPY — ${ROWS.toLocaleString('en-US')} rows in ${FILES} CSV files, median of ${ROUNDS} rounds\n` +
        `machine: ${cpus().length} CPUs (${cpu}), node ${process.version}, PostgreSQL ${(await pg.query<{ v: string }>(conn, "SELECT current_setting('server_version') AS v"))[0].v} (embedded, fsync on)\n\n` +
        `ratio = median over rounds of (s3-import rows/s / direct COPY rows/s) of the same round\n\n` +
        `concurrency   direct COPY rows/s   s3-import rows/s   ratio\n` +
        results
          .map(
            (r) =>
              `${String(r.concurrency).padStart(11)}   ${fmt(r.direct)}         ${fmt(r.step)}       ${r.ratio.toFixed(3)}`,
          )
          .join('\n') +
        `\n\nwall time outside the loading statements (median ms per ${ROWS.toLocaleString('en-US')} rows)\n` +
        `concurrency   direct COPY   s3-import   added by s3-import\n` +
        results
          .map(
            (r) =>
              `${String(r.concurrency).padStart(11)}   ${r.directOverheadMs.toFixed(1).padStart(11)}   ${r.stepOverheadMs.toFixed(1).padStart(9)}   ${(r.stepOverheadMs - r.directOverheadMs).toFixed(1).padStart(18)}`,
          )
          .join('\n') +
        '\n',
    );
    const worst = Math.min(...results.map((r) => r.ratio));
    process.stdout.write(
      worst >= 0.95 ? `\ngoal met: every ratio >= 0.95\n` : `\ngoal NOT met: lowest ratio ${worst.toFixed(3)} < 0.95\n`,
    );
  } finally {
    await pg.stop();
  }
}

main().catch((err) => {
  process.stderr.write(`bench:import failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
