// The forwarder plays the application's DNS name: new connections follow the CNAME record in the
// Route 53 stand-in (read with the real client) once the cached answer's TTL has passed; open
// connections stay where they are. Two real PostgreSQL servers tell the targets apart by port.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { ChangeResourceRecordSetsCommand, Route53Client } from '@aws-sdk/client-route-53';
import { startPostgres, type TestPostgres } from '../../../rehearsal/postgres/server.js';
import { startAwsStandin, type AwsStandin } from '../../../rehearsal/aws/index.js';
import { startForwarder, type Forwarder } from '../../../rehearsal/app/forwarder.js';

const ZONE = 'Z0FORWARDERTEST000001';
const NAME = 'orders-db.internal.example.com';
const A = 'orders-pg.abc123.us-east-1.rds.amazonaws.com';
const B = 'orders-aurora.cluster-abc123.us-east-1.rds.amazonaws.com';

let pgA: TestPostgres;
let pgB: TestPostgres;
let aws: AwsStandin;

beforeAll(async () => {
  [pgA, pgB] = await Promise.all([startPostgres(), startPostgres()]);
  aws = await startAwsStandin({
    seed: {
      hostedZones: [{ id: ZONE, name: 'internal.example.com', privateZone: true }],
      records: [{ zoneId: ZONE, name: NAME, type: 'CNAME', ttl: 5, values: [A] }],
    },
  });
});

afterAll(async () => {
  await aws?.close();
  await Promise.all([pgA?.stop(), pgB?.stop()]);
});

const serverPort = async (c: pg.Client) => Number((await c.query('SELECT inet_server_port() AS p')).rows[0].p);

async function connectVia(fwd: Forwarder, server: TestPostgres): Promise<pg.Client> {
  const c = new pg.Client({
    ...server.admin,
    password: server.admin.password ?? undefined,
    ssl: false,
    host: fwd.host,
    port: fwd.port,
  });
  c.on('error', () => undefined);
  await c.connect();
  return c;
}

describe('forwarder', () => {
  it('moves new connections after the TTL of a CNAME UPSERT; open ones stay', async () => {
    let clock = 1_000_000;
    const fwd = await startForwarder({
      recordName: NAME,
      hostedZoneId: ZONE,
      awsEnv: aws.env,
      resolve: (address) =>
        address === A
          ? { host: '127.0.0.1', port: pgA.admin.port! }
          : address === B
            ? { host: '127.0.0.1', port: pgB.admin.port! }
            : undefined,
      port: 0,
      now: () => clock,
    });
    const clients: pg.Client[] = [];
    try {
      const first = await connectVia(fwd, pgA);
      clients.push(first);
      expect(await serverPort(first)).toBe(pgA.admin.port);

      const r53 = new Route53Client({
        endpoint: aws.endpoint,
        region: aws.region,
        credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
      });
      await r53.send(
        new ChangeResourceRecordSetsCommand({
          HostedZoneId: ZONE,
          ChangeBatch: {
            Changes: [
              {
                Action: 'UPSERT',
                ResourceRecordSet: { Name: NAME, Type: 'CNAME', TTL: 5, ResourceRecords: [{ Value: B }] },
              },
            ],
          },
        }),
      );

      // Within the TTL the cached answer still holds: a new connection goes to A.
      clock += 4_000;
      const cached = await connectVia(fwd, pgA);
      clients.push(cached);
      expect(await serverPort(cached)).toBe(pgA.admin.port);

      // After the TTL the record is read again: new connections go to B, the old ones stay on A.
      clock += 1_500;
      const moved = await connectVia(fwd, pgB);
      clients.push(moved);
      expect(await serverPort(moved)).toBe(pgB.admin.port);
      expect(await serverPort(first)).toBe(pgA.admin.port);
      expect(await serverPort(cached)).toBe(pgA.admin.port);

      expect(fwd.route).toEqual([A, B]);
      expect(fwd.connectionsByTarget).toEqual({ [A]: 2, [B]: 1 });
      expect(fwd.open).toBe(3);
      // Route 53 was asked twice (first connection, then after the TTL), not once per connection.
      expect(aws.calls.count('ListResourceRecordSets')).toBe(2);
    } finally {
      await fwd.stop();
      for (const c of clients) await c.end().catch(() => undefined);
    }
  });

  it('closes a connection whose name points nowhere, and stop() closes every open one', async () => {
    let target: string | undefined = 'nowhere.example.com';
    const fwd = await startForwarder({
      recordName: NAME,
      lookup: async () => (target ? { value: target, ttl: 0 } : undefined),
      resolve: (address) => (address === A ? { host: '127.0.0.1', port: pgA.admin.port! } : undefined),
      port: 0,
    });
    try {
      await expect(connectVia(fwd, pgA)).rejects.toThrow();
      expect(fwd.refused).toBe(1);
      target = A;
      const c = await connectVia(fwd, pgA);
      expect(await serverPort(c)).toBe(pgA.admin.port);
      await fwd.stop();
      await expect(c.query('SELECT 1')).rejects.toThrow();
      expect(fwd.open).toBe(0);
      await c.end().catch(() => undefined);
    } finally {
      await fwd.stop();
    }
  });
});
