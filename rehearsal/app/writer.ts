// A live application for the rehearsal: a small pg pool (default 3 connections) that commits
// numbered transactions in a loop (default 300 per second) into its own table
//   app_writes(seq bigint primary key, at timestamptz not null default now())
// through the application's name (the forwarder), and records every commit it saw acknowledged.
//
//   const writer = await startWriter({ connection: { host: fwd.host, port: fwd.port, database: 'orders', user, password } });
//   …                                   // the migration runs; the writer keeps writing
//   const run = await writer.stop();    // { acks: [{ seq, at }], errors: { readOnly, terminated, refused, other }, … }
//   const report = await buildReport({ run, target: promotedConnection, route: fwd.route });   // report.ts
//
// Each worker's driver may open its transactions READ WRITE (`mode`), which a read-only default
// does not stop. Like an application with a connection pool, on any error it throws the connection away, waits a
// little (20 ms, doubling to 500 ms) and retries the SAME seq on a fresh connection: read-only
// errors during a freeze (25006), terminated sessions (57P01), refused or reset connections.
//
// Ambiguous commits: each write is one autocommit INSERT … ON CONFLICT (seq) DO NOTHING. A seq is
// counted as acknowledged only when the server's reply to that statement arrived; if the connection
// is lost after the statement was sent, the outcome is unknown and the seq is NOT counted — it is
// retried with the same seq, and ON CONFLICT DO NOTHING makes the retry a no-op when the first try
// did commit, so the table never holds a duplicate and an acknowledgement always means "this row is
// committed". Seqs that were never acknowledged (the writer stopped while retrying) may still be on
// the target; report.ts counts them apart.
import pg from 'pg';

export interface WriterConnection {
  host: string;
  port: number;
  database: string;
  user: string;
  password?: string;
}

/**
 * How the writer's driver opens a transaction. `autocommit`: a plain INSERT (the freeze's read-only
 * default stops it). `begin-read-write`: `BEGIN READ WRITE; INSERT; COMMIT`, as drivers that open
 * every transaction explicitly do. `session-read-write`: `SET default_transaction_read_only = off`
 * right after connecting, then autocommit. The last two defeat a read-only default: only a fence
 * that takes CONNECT away stops them (DESIGN "The fence").
 */
export type WriterMode = 'autocommit' | 'begin-read-write' | 'session-read-write';

export interface WriterOptions {
  /** The driver's behaviour; a list gives worker i the mode modes[i % length]. Default autocommit. */
  mode?: WriterMode | WriterMode[];
  connection: WriterConnection;
  /** Connections (and concurrent writers), 2–4 is typical. Default 3. */
  poolSize?: number;
  /** Target commits per second over all connections. Default 300. */
  ratePerSecond?: number;
  /** Table name (plain identifier). Default app_writes. */
  table?: string;
  /** Create the table (through the connection) before writing. Default true. */
  createTable?: boolean;
  /** Clock for acknowledgement times (ms). Default Date.now. */
  now?: () => number;
}

export interface Ack {
  seq: number;
  /** When the acknowledgement arrived (ms since epoch). */
  at: number;
}

export interface WriterErrors {
  /** 25006: the database is read-only (a freeze, or a standby). */
  readOnly: number;
  /** 57P01/57P02/57P03 or "Connection terminated": the session was ended by the server. */
  terminated: number;
  /** Could not connect: refused, reset during connect, timeout, or CONNECT taken away (a fence). */
  refused: number;
  other: number;
  /** The last error message (never a password: pg does not put it in messages). */
  last?: string;
}

export interface WriterRun {
  table: string;
  startedAt: number;
  stoppedAt: number;
  acks: Ack[];
  /** Seqs tried but never acknowledged (in flight or retrying when the writer stopped). */
  unacknowledged: number[];
  errors: WriterErrors;
}

export interface Writer {
  /** Acknowledged commits so far. */
  readonly acknowledged: number;
  readonly errors: WriterErrors;
  /** Resolves once `n` more commits are acknowledged from now (for tests and the demo). */
  waitForAcks(n: number, timeoutMs?: number): Promise<void>;
  /** Stops writing, waits for in-flight statements (up to 5 s), closes the pool; returns the record. */
  stop(): Promise<WriterRun>;
}

export async function startWriter(options: WriterOptions): Promise<Writer> {
  const now = options.now ?? Date.now;
  const table = options.table ?? 'app_writes';
  if (!/^[a-z_][a-z0-9_]*$/.test(table))
    throw new Error(`writer: table name ${JSON.stringify(table)} must be a plain identifier`);
  const poolSize = options.poolSize ?? 3;
  const rate = options.ratePerSecond ?? 300;
  const pool = new pg.Pool({
    ...options.connection,
    max: poolSize,
    connectionTimeoutMillis: 2000,
    query_timeout: 5000,
    idleTimeoutMillis: 0,
    application_name: 'rehearsal-writer',
  });
  pool.on('error', () => undefined); // idle clients killed by the server: the next checkout reconnects
  // A session ended between statements is reported by the next query; never as an unhandled event.
  pool.on('connect', (client) => client.on('error', () => undefined));

  if (options.createTable !== false) {
    await pool.query(
      `CREATE TABLE IF NOT EXISTS ${table} (seq bigint PRIMARY KEY, at timestamptz NOT NULL DEFAULT now())`,
    );
  }
  const seqBase = Number((await pool.query(`SELECT coalesce(max(seq), 0) AS m FROM ${table}`)).rows[0].m);

  const acks: Ack[] = [];
  const pending = new Set<number>();
  const errors: WriterErrors = { readOnly: 0, terminated: 0, refused: 0, other: 0 };
  const waiters: Array<{ target: number; resolve: () => void }> = [];
  const startedAt = now();
  const t0 = performance.now();
  let next = seqBase + 1;
  let stopping = false;
  let wake: (() => void)[] = [];

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        wake = wake.filter((w) => w !== done);
        resolve();
      }
      wake.push(done);
    });

  const acknowledge = (seq: number) => {
    acks.push({ seq, at: now() });
    pending.delete(seq);
    for (const w of [...waiters]) {
      if (acks.length >= w.target) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  };

  const classify = (err: unknown) => {
    const e = err as { code?: string; message?: string };
    errors.last = e.message ?? String(err);
    if (e.code === '25006') errors.readOnly++;
    else if (
      e.code === '57P01' ||
      e.code === '57P02' ||
      e.code === '57P03' ||
      /terminat|ended unexpectedly|ECONNRESET/i.test(e.message ?? '')
    )
      errors.terminated++;
    // 42501 "permission denied for database": the fence took CONNECT away.
    else if (e.code === '42501' || /ECONNREFUSED|timeout|connect|permission denied for database/i.test(e.message ?? ''))
      errors.refused++;
    else errors.other++;
  };

  const modes: WriterMode[] = Array.isArray(options.mode)
    ? options.mode.length
      ? options.mode
      : ['autocommit']
    : [options.mode ?? 'autocommit'];
  const readWriteSessions = new WeakSet<pg.PoolClient>();
  const insert = `INSERT INTO ${table} (seq) VALUES ($1) ON CONFLICT (seq) DO NOTHING`;
  /** One write in the worker's mode; resolves once the server acknowledged its commit. */
  const write = async (client: pg.PoolClient, mode: WriterMode, seq: number) => {
    if (mode === 'begin-read-write') {
      await client.query('BEGIN READ WRITE');
      await client.query(insert, [seq]);
      await client.query('COMMIT');
      return;
    }
    if (mode === 'session-read-write' && !readWriteSessions.has(client)) {
      await client.query('SET default_transaction_read_only = off');
      readWriteSessions.add(client);
    }
    await client.query(insert, [seq]);
  };

  const worker = async (mode: WriterMode) => {
    while (!stopping) {
      const seq = next++;
      // Pace: seq k is due at k / rate seconds after the start.
      const due = ((seq - seqBase - 1) / rate) * 1000 - (performance.now() - t0);
      if (due > 0) await sleep(due);
      if (stopping) break;
      pending.add(seq);
      let backoff = 20;
      while (!stopping) {
        let client: pg.PoolClient | undefined;
        try {
          client = await pool.connect();
          await write(client, mode, seq);
          client.release();
          acknowledge(seq);
          break;
        } catch (err) {
          client?.release(err as Error); // discard the connection, like a pool on a broken session
          classify(err);
          await sleep(backoff);
          backoff = Math.min(backoff * 2, 500);
        }
      }
    }
  };
  const workers = Array.from({ length: poolSize }, (_, i) => worker(modes[i % modes.length]));

  return {
    get acknowledged() {
      return acks.length;
    },
    errors,
    waitForAcks(n, timeoutMs = 30_000) {
      const target = acks.length + n;
      if (acks.length >= target) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const t = setTimeout(
          () =>
            reject(
              new Error(
                `writer: fewer than ${n} commits acknowledged in ${timeoutMs} ms (last error: ${errors.last ?? 'none'})`,
              ),
            ),
          timeoutMs,
        );
        waiters.push({
          target,
          resolve: () => {
            clearTimeout(t);
            resolve();
          },
        });
      });
    },
    async stop() {
      stopping = true;
      for (const w of [...wake]) w();
      await Promise.race([Promise.all(workers), new Promise((r) => setTimeout(r, 5000).unref())]);
      await pool.end().catch(() => undefined);
      return {
        table,
        startedAt,
        stoppedAt: now(),
        acks: [...acks],
        unacknowledged: [...pending].sort((a, b) => a - b),
        errors: { ...errors },
      };
    },
  };
}
