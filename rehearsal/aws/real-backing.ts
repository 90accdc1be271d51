// Real PostgreSQL servers behind the stand-in's RDS resources (opt-in; the synthetic world stays the
// default). A seeded instance with `real: true` is a real primary (rehearsal/postgres/cluster.ts);
// from then on the RDS operations on it move real data:
//
// - CreateDBCluster with ReplicationSourceIdentifier = that instance: a physical slot is created on
//   the source before the call answers, then a hot standby is made from an online base backup (the
//   source keeps taking writes) and streams through the slot. Until it runs, the cluster shows
//   "backing-up" and its instances "creating" whatever the clock says, so "available" always means
//   the standby is there. Endpoint, ReaderEndpoint, Port and the member instances' Endpoint are the
//   standby's own address (a spelling of 127.0.0.1) and port (one server: writer and reader reach the same one).
// - PromoteReadReplicaDBCluster: when the clock moves the status from promoting to available, the
//   standby gets pg_promote() (the status stays "promoting" until it has finished), then the slot is
//   dropped on the source. Writes the standby had not replayed by then are not on the target.
// - CreateDBSnapshot: a base backup with its WAL, kept on disk; the call answers once it has ended,
//   so the snapshot holds exactly what was committed before the answer. RestoreDBClusterFromSnapshot
//   starts a new server from it (recovery to the backup's end, then promotion).
// - Metrics, read from the servers every `sampleEveryMs` (and on sample()), kept as readings on the
//   stand-in clock and published like the synthetic ones (1-minute datapoints, same delay):
//   RDSToAuroraPostgreSQLReplicaLag of a replica's instances = whole seconds, rounded down, of
//   cluster.ts replicaLag(): 0 when the standby has replayed the source's current WAL position, else
//   the seconds since the standby's last replayed commit (pg_last_xact_replay_timestamp()); a standby
//   less than a second behind a busy source shows 0. OldestReplicationSlotLag and
//   ReplicationSlotDiskUsage of the source = pg_current_wal_lsn() - restart_lsn of its slots (bytes;
//   0 once the slot is dropped). A reading holds until the next one, for at most `holdMs`.
// - Parameter groups (rds-parameter-groups.ts): a source starts with its DB parameter group's
//   settings (wal_level=logical when rds.logical_replication = 1), and RebootDBInstance restarts it
//   in place (same data folder, address and port: a writer sees a real outage, then reconnects)
//   with the group's settings now; the instance shows "rebooting" until the server is back.
// - CreateDBCluster without a replication source: an empty PostgreSQL 18 server with the cluster
//   parameter group's settings and an RDS-like master user (rds-roles.ts) that logs in with
//   MasterUserPassword; the server's own superuser is `rdsadmin`, as on RDS. A source can be PostgreSQL 14 (seed `major: 14`) for the logical route.
import type { DbSession } from '../../src/db/api.js';
import {
  createPhysicalSlot,
  dropSlot,
  openSession,
  promote,
  replicaLag,
  slotLagBytes,
  startFromSnapshot,
  startSourceServer,
  startStandby,
  takeSnapshot,
  type PgServer,
  type QueryFn,
  type ServerOptions,
  type Snapshot as Backup,
} from '../postgres/cluster.js';
import { MINUTE } from './clock.js';
import type { StandinClock } from './clock.js';
import type { RealMetricSource } from './metrics.js';
import {
  ENDPOINT_SUFFIX,
  type Cluster,
  type Instance,
  type RdsWorld,
  type Snapshot,
  type WorldBacking,
} from './rds-model.js';
import { RdsFault } from './rds-errors.js';
import { majorOf, serverSettings } from './rds-parameters.js';
import { createRdsMasterUser } from '../postgres/rds-roles.js';
import type { Major } from '../postgres/cluster.js';

export interface RealOptions {
  /** Read lag and slot lag from the servers this often, in real ms (default 200; 0 = only on sample()). */
  sampleEveryMs?: number;
  /** Look for promotions that are due this often, in real ms (default 50). */
  tickMs?: number;
  /** How long (stand-in ms) a reading stands for the times after it (default: 2 min, or 3 samples at the time scale). */
  holdMs?: number;
  /** Extra `-c` settings for every server started. */
  settings?: ServerOptions['settings'];
}

interface ClusterWork {
  state: 'starting' | 'ready' | 'failed';
  server?: PgServer;
  error?: string;
  /** Replica clusters: the source and its slot. */
  sourceId?: string;
  slot?: string;
  promoting?: boolean;
  promoted?: boolean;
  dropping?: boolean;
  slotDropped?: boolean;
}

interface Reading {
  at: number;
  value: number;
}

const MAX_READINGS = 20_000;

export class RealBacking implements WorldBacking, RealMetricSource {
  private readonly sources = new Map<string, PgServer>();
  /** Sources whose server is restarting (RebootDBInstance). */
  private readonly rebooting = new Set<string>();
  private readonly clusters = new Map<string, ClusterWork>();
  private readonly backups = new Map<string, Backup>();
  private readonly lag = new Map<string, Reading[]>();
  private readonly slotLag = new Map<string, Reading[]>();
  private readonly sessions = new Map<PgServer, Promise<DbSession>>();
  private readonly pending = new Set<Promise<unknown>>();
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly holdMs: number;
  private sampling?: Promise<void>;
  private closed = false;

  constructor(
    private readonly world: RdsWorld,
    private readonly clock: StandinClock,
    private readonly options: RealOptions = {},
    private readonly onError: (err: unknown, what: string) => void = (err, what) =>
      process.stderr.write(
        `aws stand-in (real PostgreSQL): ${what}: ${err instanceof Error ? err.message : String(err)}\n`,
      ),
  ) {
    const sampleEvery = options.sampleEveryMs ?? 200;
    this.holdMs = options.holdMs ?? Math.max(2 * MINUTE, 3 * sampleEvery * (clock.manual ? 1 : clock.timeScale));
    const tick = setInterval(() => this.tick(), options.tickMs ?? 50);
    tick.unref();
    this.timers.push(tick);
    if (sampleEvery > 0) {
      const sampler = setInterval(() => void this.sample().catch(() => undefined), sampleEvery);
      sampler.unref();
      this.timers.push(sampler);
    }
  }

  /**
   * Starts the real server of a seeded instance with its parameter group's settings; its
   * EngineVersion becomes the server's (and a default group follows it: default.postgres14).
   */
  async startSource(inst: Instance, major: Major = 18): Promise<PgServer> {
    if (inst.parameterGroup.startsWith('default.')) inst.parameterGroup = `default.postgres${major}`;
    const group = this.world.parameterGroup(inst.parameterGroup, false);
    const server = await startSourceServer({
      major,
      settings: { ...(group ? serverSettings(group) : {}), ...this.options.settings },
    });
    if (this.closed) {
      await server.stop();
      throw new Error('the stand-in was closed while a source server started');
    }
    this.sources.set(inst.id, server);
    inst.engineVersion = server.version;
    return server;
  }

  /**
   * The settings of a source's DB parameter group, for a server made from its data (a standby, a
   * restore): recovery refuses to start with fewer WAL senders or worker processes than the source.
   */
  private sourceSettings(instanceId: string): Record<string, string> {
    const inst = this.world.instances.get(instanceId);
    const group = inst && this.world.parameterGroup(inst.parameterGroup, false);
    return group ? serverSettings(group) : {};
  }

  /** The server behind a real instance (a source, or a member of a real cluster) or a real cluster. */
  server(id: string): PgServer | undefined {
    const key = id.toLowerCase();
    const source = this.sources.get(key);
    if (source) return source;
    const inst = this.world.instances.get(key);
    const work = this.clusters.get(inst?.clusterId ?? key);
    return work?.state === 'ready' ? work.server : undefined;
  }

  /** Every server this backing runs (sources, standbys, restored clusters). */
  servers(): PgServer[] {
    return [...this.sources.values(), ...[...this.clusters.values()].flatMap((w) => (w.server ? [w.server] : []))];
  }

  /**
   * Maps an endpoint address to the server listening there: a server's own spelling of 127.0.0.1, or a
   * stand-in DNS name of a real instance or cluster (orders-aurora.cluster-….rds.amazonaws.com).
   */
  resolve(address: string): { host: string; port: number } | undefined {
    const name = address.trim().toLowerCase().replace(/\.$/, '');
    const direct = this.servers().find((s) => s.address === name);
    if (direct) return { host: direct.address, port: direct.port };
    // <instance>.<suffix> and <cluster>.cluster-<suffix> / <cluster>.cluster-ro-<suffix> (rds-shapes.ts).
    const suffix = `${ENDPOINT_SUFFIX}.${this.world.region}.rds.amazonaws.com`;
    if (!name.endsWith(suffix)) return undefined;
    const head = /^(.+?)\.(cluster-(?:ro-)?)?$/.exec(name.slice(0, -suffix.length));
    if (!head) return undefined;
    const server = head[2] ? this.readyCluster(head[1]!) : this.server(head[1]!);
    return server ? { host: server.address, port: server.port } : undefined;
  }

  // ---- what the model asks --------------------------------------------------------------------

  clusterStatus(c: Cluster, computed: string): string {
    const work = this.clusters.get(c.id);
    if (!work) return computed;
    if (work.state === 'failed') return 'failed';
    if (computed !== 'available') return computed;
    if (work.state === 'starting') return c.promoteAt !== undefined ? 'promoting' : 'backing-up';
    if (c.promoteAt !== undefined && c.replicationSourceArn && !work.promoted) return 'promoting';
    return computed;
  }

  instanceStatus(i: Instance, computed: string): string {
    if (this.rebooting.has(i.id) && (computed === 'available' || computed === 'rebooting')) return 'rebooting';
    const work = i.clusterId ? this.clusters.get(i.clusterId) : undefined;
    if (!work) return computed;
    if (work.state === 'failed') return 'failed';
    return computed === 'available' && work.state !== 'ready' ? 'creating' : computed;
  }

  endpointOf(kind: 'instance' | 'cluster', id: string): { address: string; port: number } | undefined {
    const server = kind === 'cluster' ? this.readyCluster(id) : this.server(id);
    return server ? { address: server.address, port: server.port } : undefined;
  }

  async replicaCreated(c: Cluster, sourceInstance: Instance): Promise<void> {
    const source = this.sources.get(sourceInstance.id);
    if (!source) return;
    // Slot names: lower-case letters, digits and underscores.
    const slot = `aurora_${c.id.replace(/[^a-z0-9]/g, '_')}`.slice(0, 63);
    await createPhysicalSlot(source, slot);
    const work: ClusterWork = { state: 'starting', sourceId: sourceInstance.id, slot };
    this.clusters.set(c.id, work);
    const settings = { ...this.sourceSettings(sourceInstance.id), ...this.options.settings };
    this.start(c, work, () => startStandby(source, { slot, applicationName: c.id, settings }), 'the replica standby');
  }

  instanceRebooted(i: Instance, settings: Record<string, string>): void {
    const server = this.sources.get(i.id);
    if (!server || this.closed) return;
    this.rebooting.add(i.id);
    this.track(
      server
        .restart({ ...settings, ...this.options.settings })
        .catch((err) => {
          if (!this.closed) this.onError(err, `the reboot of instance ${i.id}`);
        })
        .finally(() => this.rebooting.delete(i.id)),
    );
  }

  async emptyClusterCreated(
    c: Cluster,
    master: { username: string; password: string },
    settings: Record<string, string>,
  ): Promise<void> {
    if (majorOf(c.engineVersion) !== 18) {
      throw new RdsFault(
        'InvalidParameterCombination',
        `The rehearsal's real backing runs new Aurora clusters on PostgreSQL 18 only; EngineVersion ${c.engineVersion} would not match the server (use an 18.x version).`,
      );
    }
    const work: ClusterWork = { state: 'starting' };
    this.clusters.set(c.id, work);
    const { username, password } = master;
    this.start(
      c,
      work,
      async () => {
        // The bootstrap superuser is rdsadmin, as on RDS, so the master user may be called postgres.
        const server = await startSourceServer({
          major: 18,
          superuser: 'rdsadmin',
          settings: { ...settings, ...this.options.settings },
        });
        try {
          await createRdsMasterUser(server, { user: username, password });
        } catch (err) {
          await server.stop();
          throw err;
        }
        return server;
      },
      'the new, empty cluster',
    );
  }

  async snapshotCreated(s: Snapshot, sourceInstance: Instance): Promise<void> {
    const source = this.sources.get(sourceInstance.id);
    if (!source) return;
    const backup = await takeSnapshot(source);
    if (this.closed) {
      await backup.remove();
      return;
    }
    this.backups.set(s.id, backup);
  }

  snapshotCopied(from: Snapshot, to: Snapshot): void {
    const backup = this.backups.get(from.id);
    if (backup) this.backups.set(to.id, backup);
  }

  restoreCreated(c: Cluster, snap: Snapshot): void {
    const backup = this.backups.get(snap.id);
    if (!backup) return;
    const work: ClusterWork = { state: 'starting' };
    this.clusters.set(c.id, work);
    const settings = { ...this.sourceSettings(snap.instanceId), ...this.options.settings };
    this.start(c, work, () => startFromSnapshot(backup, { settings }), `the server restored from snapshot ${snap.id}`);
  }

  // ---- metrics --------------------------------------------------------------------------------

  replicaLagAt(clusterId: string, t: number): number | undefined | null {
    if (!this.clusters.has(clusterId)) return null;
    return this.readingAt(this.lag.get(clusterId), t);
  }

  sourceMetricAt(metricName: string, instanceId: string, t: number): number | undefined | null {
    if (!this.sources.has(instanceId)) return null;
    if (metricName !== 'OldestReplicationSlotLag' && metricName !== 'ReplicationSlotDiskUsage') return null;
    return this.readingAt(this.slotLag.get(instanceId), t);
  }

  /** Reads every server's lag now (the sampler does this every sampleEveryMs); one reading at a time. */
  sample(): Promise<void> {
    this.sampling ??= this.readAll().finally(() => {
      this.sampling = undefined;
    });
    return this.sampling;
  }

  private async readAll(): Promise<void> {
    if (this.closed) return;
    const at = this.clock.now();
    const reads: Array<Promise<void>> = [];
    for (const [id, source] of this.sources) {
      reads.push(
        this.withSession(source, (q) => slotLagBytes(source, undefined, q)).then((bytes) => {
          if (bytes !== undefined) push(this.slotLag, id, { at, value: bytes });
        }),
      );
    }
    for (const [id, work] of this.clusters) {
      const source = work.sourceId ? this.sources.get(work.sourceId) : undefined;
      const standby = work.server;
      if (!source || !standby || work.state !== 'ready' || work.promoting || work.promoted) continue;
      reads.push(
        (async () => {
          const lag = await this.withSession(source, (qs) =>
            this.withSession(standby, (qt) => replicaLag(source, standby, { source: qs, standby: qt })),
          );
          if (lag) push(this.lag, id, { at, value: Math.floor(lag.seconds) });
        })(),
      );
    }
    await Promise.all(reads);
  }

  private readingAt(readings: Reading[] | undefined, t: number): number | undefined {
    if (!readings || readings.length === 0) return undefined;
    let lo = 0;
    let hi = readings.length - 1;
    if (readings[0]!.at > t) return undefined;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (readings[mid]!.at <= t) lo = mid;
      else hi = mid - 1;
    }
    const r = readings[lo]!;
    return t - r.at <= this.holdMs ? r.value : undefined;
  }

  /** Runs `read` on a session kept open on `server`; undefined (and a fresh session next time) on error. */
  private async withSession<T>(server: PgServer, read: (q: QueryFn) => Promise<T | undefined>): Promise<T | undefined> {
    let session = this.sessions.get(server);
    if (!session) {
      session = openSession(server);
      this.sessions.set(server, session);
    }
    try {
      const s = await session;
      return await read(async (sql, params) => (await s.query(sql, params)).rows as never);
    } catch {
      this.sessions.delete(server);
      void session.then((s) => s.close()).catch(() => undefined);
      return undefined;
    }
  }

  // ---- transitions ----------------------------------------------------------------------------

  private readyCluster(id: string): PgServer | undefined {
    const work = this.clusters.get(id.toLowerCase());
    return work?.state === 'ready' ? work.server : undefined;
  }

  private start(c: Cluster, work: ClusterWork, launch: () => Promise<PgServer>, what: string): void {
    this.track(
      launch().then(
        async (server) => {
          if (this.closed) return server.stop();
          work.server = server;
          work.state = 'ready';
        },
        (err) => {
          work.state = 'failed';
          work.error = err instanceof Error ? err.message : String(err);
          if (!this.closed) this.onError(err, `${what} of cluster ${c.id} did not start`);
        },
      ),
    );
  }

  /** Promotions whose time has come: pg_promote(), then the slot is dropped on the source. */
  private tick(): void {
    if (this.closed) return;
    for (const [id, work] of this.clusters) {
      const c = this.world.clusters.get(id);
      if (!c || !work.sourceId || work.state !== 'ready' || c.promoteAt === undefined) continue;
      if (!work.promoting && !work.promoted && this.world.computedClusterStatus(c) === 'available') {
        work.promoting = true;
        this.track(
          promote(work.server!).then(
            () => {
              work.promoted = true;
              work.promoting = false;
            },
            (err) => {
              work.promoting = false;
              if (!this.closed) this.onError(err, `pg_promote() of cluster ${id}`);
            },
          ),
        );
      }
      if (work.promoted && !work.slotDropped && !work.dropping) {
        // The source's walsender ends soon after the standby stops streaming; until then the slot is active.
        work.dropping = true;
        const source = this.sources.get(work.sourceId)!;
        this.track(
          dropSlot(source, work.slot!)
            .then(() => source.query(`select 1 from pg_replication_slots where slot_name = $1`, [work.slot]))
            .then((rows) => {
              work.slotDropped = rows.length === 0;
            })
            .catch(() => undefined)
            .finally(() => {
              work.dropping = false;
            }),
        );
      }
    }
  }

  private track(p: Promise<unknown>): void {
    const tracked = p.catch(() => undefined).finally(() => this.pending.delete(tracked));
    this.pending.add(tracked);
  }

  /** Stops every server and removes every backup it made (waits for work under way first, boundedly). */
  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    const debug = process.env.AWS_STANDIN_DEBUG
      ? (m: string) => process.stderr.write(`real-backing close: ${m}\n`)
      : () => undefined;
    await bounded(this.sampling ?? Promise.resolve(), 5_000, () => debug('a reading did not end in 5 s'));
    await bounded(Promise.all([...this.pending]), 70_000, () => debug('work under way did not end in 70 s'));
    debug('pending done');
    await bounded(
      Promise.all([...this.sessions.values()].map((s) => s.then((x) => x.close()).catch(() => undefined))),
      3_000,
      () => debug('sampler sessions did not close in 3 s'),
    );
    this.sessions.clear();
    debug('sessions closed');
    await Promise.all(this.servers().map((s) => s.stop().catch(() => undefined)));
    debug('servers stopped');
    await Promise.all([...new Set(this.backups.values())].map((b) => b.remove().catch(() => undefined)));
  }
}

/** Waits for `p`, at most `ms` (then calls `late` and goes on). */
async function bounded(p: Promise<unknown>, ms: number, late: () => void): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    p.catch(() => undefined),
    new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        late();
        resolve();
      }, ms);
    }),
  ]);
  clearTimeout(timer);
}

function push(map: Map<string, Reading[]>, id: string, reading: Reading): void {
  let list = map.get(id);
  if (!list) {
    list = [];
    map.set(id, list);
  }
  // Readings arrive in clock order; a reading at the same instant replaces the one before.
  if (list.length > 0 && list[list.length - 1]!.at >= reading.at)
    list[list.length - 1] = { ...reading, at: list[list.length - 1]!.at };
  else list.push(reading);
  if (list.length > MAX_READINGS) list.splice(0, list.length - MAX_READINGS);
}
