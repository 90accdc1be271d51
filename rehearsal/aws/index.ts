// A local stand-in of the AWS APIs aurora-migrate uses (RDS, CloudWatch, S3, Route 53, SNS), reached by the real
// SDK clients over HTTP on 127.0.0.1. Test support only: production code never imports it.
//
//   const aws = await startAwsStandin({ manualClock: true, seed: { instances: [{ id: 'orders-pg' }] } });
//   const api = createAwsApi({ env: aws.env, maxAttempts: 3 });
//   ... aws.clock.advance(15 * MINUTE); aws.faults.throttle(0.3); aws.calls.count('CreateDBCluster') ...
//   await aws.close();
//
// Real data (opt-in, real-backing.ts): seed an instance with `real: true` and it is a real PostgreSQL
// server; its Aurora read replica is a real streaming standby, promotion is pg_promote(), snapshots
// are base backups, and the lag metrics are read from the servers:
//
//   const aws = await startAwsStandin({ timeScale: 60, seed: { instances: [{ id: 'orders-pg', real: true }] } });
//   const source = aws.real!.server('orders-pg')!;             // PgServer: query(), address, port
//   aws.resolveEndpoint(source.address);                       // → { host, port } of the server there
//   await aws.close();                                         // stops every server it started
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Server } from 'node:http';
import { createClock, type StandinClock } from './clock.js';
import { wallCallerClock } from './caller-clock.js';
import { CallLog } from './calls.js';
import { Faults, type FaultOptions } from './faults.js';
import {
  DEFAULT_DURATIONS,
  RdsWorld,
  type Durations,
  type ExportOutcome,
  type InstanceSeed,
  type SnapshotSeed,
} from './rds-model.js';
import { handleRds } from './rds.js';
import { MetricStore, type MetricOptions } from './metrics.js';
import { handleCloudWatch } from './cloudwatch.js';
import { handleS3, S3Store, type S3ObjectSeed } from './s3.js';
import { handleControl, isControlRequest } from './control.js';
import { handleSns, SnsWorld, type SnsMessage } from './sns.js';
import { handleRoute53, Route53World, type HostedZoneSeed, type RecordSeed, type RecordSet } from './route53.js';
import { RealBacking, type RealOptions } from './real-backing.js';
import {
  cloudwatchError,
  cloudwatchIdentify,
  listen,
  rdsError,
  rdsIdentify,
  snsError,
  snsIdentify,
  route53Error,
  route53Identify,
  s3Error,
  s3Identify,
} from './server.js';

export { MINUTE, SECOND, HOUR } from './clock.js';
export type { RealOptions } from './real-backing.js';
export type {
  Durations,
  ExportOutcome,
  InstanceSeed,
  SnapshotSeed,
  FaultOptions,
  S3ObjectSeed,
  MetricOptions,
  HostedZoneSeed,
  RecordSeed,
  RecordSet,
  SnsMessage,
};

export interface StandinSeed {
  instances?: InstanceSeed[];
  snapshots?: SnapshotSeed[];
  /** S3 buckets to create (empty folders). */
  buckets?: string[];
  objects?: S3ObjectSeed[];
  /** Route 53 hosted zones (each gets its apex SOA and NS records). */
  hostedZones?: HostedZoneSeed[];
  /** Route 53 record sets, in zones seeded before (or in the same seed). */
  records?: RecordSeed[];
  /** SNS topics (names in the stand-in's account and region, or full ARNs); Publish to any other answers NotFound. */
  topics?: string[];
}

export interface StandinOptions {
  /** Folder holding S3 objects as <s3Root>/<bucket>/<key> (default: a new temp folder, removed on close). */
  s3Root?: string;
  /** The one region of the stand-in's account (default us-east-1). */
  region?: string;
  /** Account id in ARNs (default 111122223333). */
  accountId?: string;
  /** Stand-in time = start + real elapsed × timeScale (default 1), like AURORA_MIGRATE_TIME_SCALE. */
  timeScale?: number;
  /** Time moves only with clock.advance()/set() (in-process tests). */
  manualClock?: boolean;
  /**
   * Whose clock the timestamps in requests and answers (GetMetricData, DescribeEvents) are on:
   * 'wall' for a CLI on Date.now() against a time-scaled stand-in (default unless manualClock);
   * 'standin' for callers that use the stand-in's own clock (in-process tests with manualClock).
   * See caller-clock.ts.
   */
  callerClock?: 'wall' | 'standin';
  /** Stand-in time at start (default now). */
  startTime?: number | Date;
  durations?: Partial<Durations>;
  /** How long a Route 53 change stays PENDING before GetChange says INSYNC (stand-in ms, default 30 s). */
  route53ChangePendingMs?: number;
  metrics?: MetricOptions;
  /** Outcome of export tasks (default COMPLETE with 12 GB, no warning). */
  exportOutcome?: ExportOutcome;
  seed?: StandinSeed;
  faults?: FaultOptions;
  /** Port to listen on (default 0 = any free port). */
  port?: number;
  /**
   * Tuning of the real PostgreSQL backing (sampling, settings). Real servers are started for seeded
   * instances with `real: true`, with or without this option.
   */
  real?: RealOptions;
  /** Unexpected handler errors (stand-in bugs); default prints them to stderr. */
  onInternalError?: (err: unknown) => void;
}

export interface AwsStandin {
  /** http://127.0.0.1:PORT — one endpoint for all services. */
  endpoint: string;
  /** For child processes and createAwsApi({ env }): endpoints, region, dummy credentials. */
  env: Record<string, string>;
  region: string;
  accountId: string;
  s3Root: string;
  clock: StandinClock;
  faults: Faults;
  calls: CallLog;
  rds: RdsWorld;
  metrics: MetricStore;
  s3: S3Store;
  /** Route 53 hosted zones and records; `route53.record(name, type)` reads one without a counted call. */
  route53: Route53World;
  /** SNS topics and every message published to them (`sns.messages`). */
  sns: SnsWorld;
  seed(seed: StandinSeed): void;
  /** Outcome of export tasks started from now on. */
  setExportOutcome(outcome: ExportOutcome): void;
  /** ARN of a resource in the stand-in's account and region. */
  arn(type: 'db' | 'cluster' | 'snapshot', id: string): string;
  /** The real servers (when an instance was seeded with `real: true`): server(id), sample(), servers(). */
  real?: RealBacking;
  /**
   * The server an endpoint address reaches (a real server's own spelling of 127.0.0.1, or the stand-in DNS name of a
   * real instance or cluster); undefined when nothing real listens there. For the forwarder.
   */
  resolveEndpoint(address: string): { host: string; port: number } | undefined;
  /** Stops the HTTP server and every PostgreSQL server the stand-in started. */
  close(): Promise<void>;
}

export async function startAwsStandin(options: StandinOptions = {}): Promise<AwsStandin> {
  const region = options.region ?? 'us-east-1';
  const accountId = options.accountId ?? '111122223333';
  const clock = createClock({ start: options.startTime, timeScale: options.timeScale, manual: options.manualClock });
  const ownRoot = options.s3Root === undefined;
  const s3Root = options.s3Root ?? mkdtempSync(join(tmpdir(), 'aws-standin-s3-'));
  const faults = new Faults(options.faults, clock.now);
  const calls = new CallLog();
  const world = new RdsWorld(region, accountId, { ...DEFAULT_DURATIONS, ...options.durations }, clock.now);
  if (options.exportOutcome) world.nextExportOutcome = options.exportOutcome;
  const metrics = new MetricStore(world, faults, options.metrics);
  const s3 = new S3Store(s3Root);
  const route53 = new Route53World(clock.now, options.route53ChangePendingMs);
  const sns = new SnsWorld(clock.now);
  const wantsReal = (options.seed?.instances ?? []).some((i) => i.real);
  const real = wantsReal || options.real ? new RealBacking(world, clock, options.real) : undefined;
  if (real) {
    world.backing = real;
    metrics.real = real;
  }
  let started = false;

  const seed = (s: StandinSeed) => {
    for (const i of s.instances ?? []) {
      if (i.real && started)
        throw new Error(
          `instance ${i.id}: real: true only in the seed given to startAwsStandin (the server starts with the stand-in)`,
        );
    }
    for (const i of s.instances ?? []) world.seedInstance(i);
    for (const snap of s.snapshots ?? []) world.seedSnapshot(snap);
    for (const b of s.buckets ?? []) s3.createBucket(b);
    for (const o of s.objects ?? []) {
      if (!s3.bucketExists(o.bucket)) s3.createBucket(o.bucket);
      s3.putObject(o.bucket, o.key, o.body, {
        ContentType: o.ContentType,
        ContentEncoding: o.ContentEncoding,
        Metadata: o.Metadata,
      });
    }
    for (const z of s.hostedZones ?? []) route53.seedZone(z);
    for (const r of s.records ?? []) route53.seedRecord(r);
    for (const t of s.topics ?? []) sns.seedTopic(t, region, accountId);
  };
  if (options.seed) seed(options.seed);
  started = true;
  const closeReal = async () => real?.close();

  const wall = (options.callerClock ?? (options.manualClock ? 'standin' : 'wall')) === 'wall';
  const callerClock = wall ? wallCallerClock(clock) : undefined;

  const { server, endpoint } = await listen(
    {
      handlers: {
        rds: {
          identify: rdsIdentify,
          handle: (_req, op, params) => handleRds(world, op, params, callerClock),
          error: rdsError,
        },
        cloudwatch: {
          identify: cloudwatchIdentify,
          handle: (_req, op, params) => handleCloudWatch(metrics, op, params, callerClock),
          error: cloudwatchError,
        },
        s3: { identify: s3Identify, handle: (req) => handleS3(s3, req), error: s3Error },
        route53: {
          identify: route53Identify,
          handle: (req, op, params) => handleRoute53(route53, req, op, params.Id as string | undefined),
          error: route53Error,
        },
        sns: { identify: snsIdentify, handle: (_req, op, params) => handleSns(sns, op, params), error: snsError },
      },
      faults,
      calls,
      now: clock.now,
      control: (req) =>
        isControlRequest(req)
          ? handleControl(
              {
                clock,
                calls,
                faults,
                route53,
                sns,
                seed: (s) => seed(s as StandinSeed),
                setExportOutcome: (o) => (world.nextExportOutcome = o),
              },
              req,
            )
          : undefined,
      onInternalError:
        options.onInternalError ??
        ((err) =>
          process.stderr.write(`aws stand-in internal error: ${err instanceof Error ? err.stack : String(err)}\n`)),
    },
    '127.0.0.1',
    options.port ?? 0,
  );

  try {
    for (const i of options.seed?.instances ?? [])
      if (i.real) await real!.startSource(world.instances.get(i.id.toLowerCase())!, i.major);
  } catch (err) {
    await closeServer(server);
    await closeReal();
    throw err;
  }

  return {
    endpoint,
    env: {
      AWS_ENDPOINT_URL_RDS: endpoint,
      AWS_ENDPOINT_URL_CLOUDWATCH: endpoint,
      AWS_ENDPOINT_URL_S3: endpoint,
      AWS_ENDPOINT_URL_ROUTE_53: endpoint,
      AWS_ENDPOINT_URL_SNS: endpoint,
      AWS_REGION: region,
      AWS_ACCESS_KEY_ID: 'AKIASTANDINEXAMPLE00',
      AWS_SECRET_ACCESS_KEY: 'standin-secret-not-a-real-key',
    },
    region,
    accountId,
    s3Root,
    clock,
    faults,
    calls,
    rds: world,
    metrics,
    s3,
    route53,
    sns,
    seed,
    setExportOutcome: (outcome) => {
      world.nextExportOutcome = outcome;
    },
    arn: (type, id) => world.arn(type, id.toLowerCase()),
    real,
    resolveEndpoint: (address) => real?.resolve(address),
    close: () =>
      closeServer(server)
        .then(closeReal)
        .then(() => {
          if (ownRoot) rmSync(s3Root, { recursive: true, force: true });
        }),
  };
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
