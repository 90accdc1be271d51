// The AWS stand-in backed by real PostgreSQL (rehearsal/aws/real-backing.ts), driven through the
// real SDK clients: the RDS source is a real server, its Aurora read replica a real streaming
// standby made while the source takes writes, the lag metrics come from the servers, promotion is
// pg_promote(), and a snapshot restore holds exactly what was committed before the snapshot.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { MINUTE, startAwsStandin, type AwsStandin } from '../../../rehearsal/aws/index.js';
import type { PgServer } from '../../../rehearsal/postgres/cluster.js';
import { createAwsApi } from '../../../src/aws/sdk-api.js';

const SOURCE = 'orders-pg';
const CLUSTER = 'orders-aurora';
const INSTANCE = 'orders-aurora-1';

let aws: AwsStandin;
let api: ReturnType<typeof createAwsApi>;
let source: PgServer;
const rds = (op: string, input: Record<string, unknown>) => api.send<any>('rds', op, input);

async function until<T>(what: string, check: () => Promise<T | undefined | false>, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A client of the endpoint DescribeDBClusters reports, as the tool or an application would connect. */
async function queryAt(host: string, port: number, sql: string, params: unknown[] = []): Promise<any[]> {
  const c = new pg.Client({ host, port, user: 'postgres', database: 'postgres', connectionTimeoutMillis: 5000 });
  await c.connect();
  try {
    return (await c.query(sql, params)).rows;
  } finally {
    await c.end();
  }
}

const ids = async (host: string, port: number) =>
  (await queryAt(host, port, 'select id::int from t order by id')).map((r) => r.id as number);

/** One reading of the servers per stand-in minute, as the sampler takes them in a running world. */
async function minutes(n: number) {
  for (let i = 0; i < n; i++) {
    await aws.real!.sample();
    aws.clock.advance(MINUTE);
  }
  await aws.real!.sample();
}

async function metric(name: string, instance: string, minutesBack = 6): Promise<number[]> {
  const now = aws.clock.now();
  const out = await api.send<any>('cloudwatch', 'GetMetricData', {
    StartTime: new Date(now - minutesBack * MINUTE),
    EndTime: new Date(now),
    MetricDataQueries: [
      {
        Id: 'm',
        MetricStat: {
          Metric: {
            Namespace: 'AWS/RDS',
            MetricName: name,
            Dimensions: [{ Name: 'DBInstanceIdentifier', Value: instance }],
          },
          Period: 60,
          Stat: 'Maximum',
        },
      },
    ],
  });
  return out.MetricDataResults[0].Values as number[]; // newest first
}

async function describeCluster(id = CLUSTER) {
  return (await rds('DescribeDBClusters', { DBClusterIdentifier: id })).DBClusters[0];
}

describe('stand-in with real PostgreSQL behind the RDS source and its Aurora replica', () => {
  beforeAll(async () => {
    aws = await startAwsStandin({
      manualClock: true,
      real: { sampleEveryMs: 0 }, // readings only when the test takes them
      seed: { instances: [{ id: SOURCE, real: true }] },
    });
    api = createAwsApi({ env: aws.env, maxAttempts: 2 });
    source = aws.real!.server(SOURCE)!;
    await source.query('create table t (id bigint primary key, note text not null)');
  }, 60_000);
  afterAll(async () => {
    api?.destroy();
    await aws?.close();
  }, 60_000);

  it('DescribeDBInstances reports the real server: its address, port and engine version', async () => {
    const [inst] = (await rds('DescribeDBInstances', { DBInstanceIdentifier: SOURCE })).DBInstances;
    expect(inst.Endpoint).toMatchObject({ Address: source.address, Port: source.port });
    expect(inst.Endpoint.Address).toMatch(/^127\.0+\.0+\.0*1$/);
    expect(inst.EngineVersion).toBe(source.version);
    expect(inst.EngineVersion).toMatch(/^18\.\d+$/);
    expect(aws.resolveEndpoint(source.address)).toEqual({ host: source.address, port: source.port });
  });

  it('CreateDBCluster makes a real hot standby while the source takes writes; rows from before and during creation are on it', async () => {
    const committed: number[] = [];
    let stop = false;
    let next = 1;
    const writer = (async () => {
      while (!stop) {
        const id = next++;
        await source.query(`insert into t values ($1, 'app')`, [id]);
        committed.push(id);
      }
    })();
    await until('writes before the replica', async () => committed.length >= 50);
    const beforeCreate = committed.length;

    await rds('CreateDBCluster', {
      DBClusterIdentifier: CLUSTER,
      Engine: 'aurora-postgresql',
      ReplicationSourceIdentifier: aws.arn('db', SOURCE),
    });
    await rds('CreateDBInstance', {
      DBInstanceIdentifier: INSTANCE,
      DBClusterIdentifier: CLUSTER,
      DBInstanceClass: 'db.r6g.large',
      Engine: 'aurora-postgresql',
    });
    // The slot exists as soon as CreateDBCluster has answered.
    expect(
      await source.query(`select slot_type from pg_replication_slots where slot_name = 'aurora_orders_aurora'`),
    ).toEqual([{ slot_type: 'physical' }]);
    expect((await describeCluster()).Status).toBe('creating');

    aws.clock.advance(25 * MINUTE); // the clock says available; the stand-in waits for the standby too
    const cluster = await until('cluster available', async () => {
      const c = await describeCluster();
      return c.Status === 'available' && c;
    });
    const duringCreate = committed.length;
    await until('writes after the standby is up', async () => committed.length >= duringCreate + 50);
    stop = true;
    await writer;
    expect(duringCreate).toBeGreaterThan(beforeCreate);

    const [inst] = (await rds('DescribeDBInstances', { DBInstanceIdentifier: INSTANCE })).DBInstances;
    expect(inst.DBInstanceStatus).toBe('available');
    expect(cluster.ReplicationSourceIdentifier).toBe(aws.arn('db', SOURCE));
    expect(cluster.Endpoint).toMatch(/^127\.0+\.0+\.0*1$/);
    expect(cluster.Endpoint).not.toBe(source.address);
    expect(cluster.ReaderEndpoint).toBe(cluster.Endpoint);
    expect(inst.Endpoint).toMatchObject({ Address: cluster.Endpoint, Port: cluster.Port });
    expect(aws.resolveEndpoint(cluster.Endpoint)).toEqual({ host: cluster.Endpoint, port: cluster.Port });
    expect(aws.resolveEndpoint(`${CLUSTER}.cluster-ro-cstandin0abc.us-east-1.rds.amazonaws.com`)).toEqual({
      host: cluster.Endpoint,
      port: cluster.Port,
    });

    await until(
      'standby caught up',
      async () => (await ids(cluster.Endpoint, cluster.Port)).length === committed.length,
    );
    expect(await ids(cluster.Endpoint, cluster.Port)).toEqual(committed);
    expect((await queryAt(cluster.Endpoint, cluster.Port, 'select pg_is_in_recovery() as r'))[0].r).toBe(true);
    await expect(queryAt(cluster.Endpoint, cluster.Port, `insert into t values (-1, 'x')`)).rejects.toThrow(
      /read-only/,
    );
    const [src] = (await rds('DescribeDBInstances', { DBInstanceIdentifier: SOURCE })).DBInstances;
    expect(src.ReadReplicaDBClusterIdentifiers).toEqual([CLUSTER]);
  }, 120_000);

  it('RDSToAuroraPostgreSQLReplicaLag is 0 once caught up, above 0 while replay is paused, and 0 again after', async () => {
    const c = await describeCluster();
    await minutes(4);
    const caughtUp = await metric('RDSToAuroraPostgreSQLReplicaLag', INSTANCE);
    expect(caughtUp.length).toBeGreaterThanOrEqual(2);
    expect(caughtUp.every((v) => v === 0)).toBe(true);
    const slot = await metric('OldestReplicationSlotLag', SOURCE);
    expect(slot.length).toBeGreaterThanOrEqual(2);
    expect(slot.every((v) => v >= 0)).toBe(true);

    await queryAt(c.Endpoint, c.Port, 'select pg_wal_replay_pause()');
    await source.query(`insert into t select g, 'burst' from generate_series(100000, 100999) g`);
    await new Promise((r) => setTimeout(r, 1100)); // at least a second behind
    await minutes(4);
    const paused = await metric('RDSToAuroraPostgreSQLReplicaLag', INSTANCE);
    expect(paused[0]).toBeGreaterThanOrEqual(1);
    expect((await queryAt(c.Endpoint, c.Port, `select count(*)::int as n from t where note = 'burst'`))[0].n).toBe(0);

    await queryAt(c.Endpoint, c.Port, 'select pg_wal_replay_resume()');
    await until(
      'burst replayed',
      async () =>
        (await queryAt(c.Endpoint, c.Port, `select count(*)::int as n from t where note = 'burst'`))[0].n === 1000,
    );
    await minutes(4);
    const again = await metric('RDSToAuroraPostgreSQLReplicaLag', INSTANCE, 3);
    expect(again.length).toBeGreaterThanOrEqual(1);
    expect(again.every((v) => v === 0)).toBe(true);
  }, 60_000);

  it('a stand-in fault still holds the real lag above its floor', async () => {
    aws.faults.lagNeverConverges(300);
    await minutes(3);
    expect((await metric('RDSToAuroraPostgreSQLReplicaLag', INSTANCE, 2))[0]).toBe(300);
    aws.faults.clear();
  });

  it('PromoteReadReplicaDBCluster: pg_promote() when promotion finishes; the target is writable and later source writes are absent', async () => {
    const c = await describeCluster();
    await rds('PromoteReadReplicaDBCluster', { DBClusterIdentifier: CLUSTER });
    expect((await describeCluster()).Status).toBe('promoting');
    // Still a standby while promoting: writes now still reach it.
    await source.query(`insert into t values (-10, 'while promoting')`);
    await until(
      'replayed while promoting',
      async () => (await queryAt(c.Endpoint, c.Port, 'select 1 from t where id = -10')).length === 1,
    );
    expect((await queryAt(c.Endpoint, c.Port, 'select pg_is_in_recovery() as r'))[0].r).toBe(true);

    aws.clock.advance(6 * MINUTE);
    const done = await until('promoted', async () => {
      const d = await describeCluster();
      return d.Status === 'available' && d.ReplicationSourceIdentifier === undefined && d;
    });
    expect(done.Endpoint).toBe(c.Endpoint);
    expect((await queryAt(c.Endpoint, c.Port, 'select pg_is_in_recovery() as r'))[0].r).toBe(false);
    await source.query(`insert into t values (-20, 'after promotion, on the source only')`);
    await queryAt(c.Endpoint, c.Port, `insert into t values (-30, 'on the promoted cluster')`);
    await new Promise((r) => setTimeout(r, 300));
    expect(await queryAt(c.Endpoint, c.Port, 'select id::int from t where id < 0 order by id')).toEqual([
      { id: -30 },
      { id: -10 },
    ]);
    expect(await source.query('select id::int from t where id < 0 order by id')).toEqual([{ id: -20 }, { id: -10 }]);
    await until(
      'slot dropped on the source',
      async () => (await source.query('select 1 from pg_replication_slots')).length === 0,
    );
    const [src] = (await rds('DescribeDBInstances', { DBInstanceIdentifier: SOURCE })).DBInstances;
    expect(src.ReadReplicaDBClusterIdentifiers).toEqual([]);
  }, 60_000);

  it('CreateDBSnapshot is a base backup at that instant; a restored cluster holds exactly the rows committed before it', async () => {
    const before = await source.query<{ n: number }>('select count(*)::int as n from t');
    await rds('CreateDBSnapshot', { DBInstanceIdentifier: SOURCE, DBSnapshotIdentifier: 'orders-snap' });
    await source.query(`insert into t select g, 'after snapshot' from generate_series(200000, 200099) g`);
    aws.clock.advance(6 * MINUTE);
    const snap = (await rds('DescribeDBSnapshots', { DBSnapshotIdentifier: 'orders-snap' })).DBSnapshots[0];
    expect(snap.Status).toBe('available');
    expect(snap.EngineVersion).toBe(source.version);
    await rds('RestoreDBClusterFromSnapshot', {
      DBClusterIdentifier: 'orders-restored',
      SnapshotIdentifier: snap.DBSnapshotArn,
      Engine: 'aurora-postgresql',
    });
    await rds('CreateDBInstance', {
      DBInstanceIdentifier: 'orders-restored-1',
      DBClusterIdentifier: 'orders-restored',
      DBInstanceClass: 'db.r6g.large',
      Engine: 'aurora-postgresql',
    });
    aws.clock.advance(25 * MINUTE);
    const r = await until('restored cluster available', async () => {
      const d = await describeCluster('orders-restored');
      return d.Status === 'available' && d;
    });
    const [inst] = (await rds('DescribeDBInstances', { DBInstanceIdentifier: 'orders-restored-1' })).DBInstances;
    await until(
      'instance available',
      async () =>
        (await rds('DescribeDBInstances', { DBInstanceIdentifier: 'orders-restored-1' })).DBInstances[0]
          .DBInstanceStatus === 'available',
    );
    expect(inst.DBClusterIdentifier).toBe('orders-restored');
    expect((await queryAt(r.Endpoint, r.Port, 'select count(*)::int as n from t'))[0].n).toBe(before[0]!.n);
    expect(await queryAt(r.Endpoint, r.Port, `select 1 from t where note = 'after snapshot'`)).toEqual([]);
    await queryAt(r.Endpoint, r.Port, `insert into t values (-40, 'restored is writable')`);
  }, 90_000);

  it('close() stops every server it started and removes their folders', async () => {
    const servers = aws.real!.servers();
    expect(servers.length).toBe(3); // source, promoted replica, restored cluster
    await aws.close();
    for (const s of servers) {
      await expect(queryAt(s.address, s.port, 'select 1')).rejects.toThrow();
    }
    const { existsSync } = await import('node:fs');
    expect(servers.filter((s) => existsSync(s.dataDir))).toEqual([]);
  }, 60_000);
});
