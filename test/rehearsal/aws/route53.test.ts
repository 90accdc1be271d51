// Route 53 through the real @aws-sdk/client-route-53 against the stand-in (AWS_ENDPOINT_URL_ROUTE_53
// from the stand-in's env, signing region us-east-1): zones, record listing, changes and their
// PENDING → INSYNC life on the stand-in clock, InvalidChangeBatch rules, alias records (seeded),
// errors, counts and faults.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ChangeResourceRecordSetsCommand,
  GetChangeCommand,
  ListHostedZonesByNameCommand,
  ListResourceRecordSetsCommand,
  Route53Client,
} from '@aws-sdk/client-route-53';
import { startAwsStandin, SECOND, type AwsStandin } from '../../../rehearsal/aws/index.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const ZONE = 'Z0123456789ABCDEFGHIJ';
let aws: AwsStandin;
let r53: Route53Client;

beforeAll(async () => {
  aws = await startAwsStandin({
    manualClock: true,
    route53ChangePendingMs: 20 * SECOND,
    seed: {
      hostedZones: [
        { id: ZONE, name: 'internal.example.com' },
        { id: 'ZOTHER', name: 'other.example.com.' },
      ],
      records: [
        {
          zoneId: ZONE,
          name: 'orders-db.internal.example.com',
          type: 'CNAME',
          ttl: 60,
          values: ['orders-pg.abc.us-east-1.rds.amazonaws.com'],
        },
        { zoneId: ZONE, name: 'web.internal.example.com', type: 'A', ttl: 300, values: ['10.0.0.5'] },
      ],
    },
  });
  r53 = new Route53Client({
    region: 'us-east-1',
    endpoint: aws.env.AWS_ENDPOINT_URL_ROUTE_53,
    credentials: { accessKeyId: aws.env.AWS_ACCESS_KEY_ID!, secretAccessKey: aws.env.AWS_SECRET_ACCESS_KEY! },
    maxAttempts: 1,
  });
});
afterAll(async () => {
  r53.destroy();
  await aws.close();
});

const upsert = (name: string, value: string, ttl = 5, type = 'CNAME') => ({
  Action: 'UPSERT' as const,
  ResourceRecordSet: { Name: name, Type: type as 'CNAME', TTL: ttl, ResourceRecords: [{ Value: value }] },
});
const errorOf = (p: Promise<unknown>) =>
  p.then(
    (v) => {
      throw new Error(`expected a failure, got ${JSON.stringify(v)}`);
    },
    (e) => e,
  );

describe('Route 53 stand-in', () => {
  it('the env names a Route 53 endpoint', () => {
    expect(aws.env.AWS_ENDPOINT_URL_ROUTE_53).toBe(aws.endpoint);
  });

  it('ListHostedZonesByName lists the seeded zones with trailing dots', async () => {
    const out = await r53.send(new ListHostedZonesByNameCommand({ DNSName: 'internal.example.com' }));
    expect(out.HostedZones?.map((z) => [z.Id, z.Name])).toEqual([
      [`/hostedzone/${ZONE}`, 'internal.example.com.'],
      ['/hostedzone/ZOTHER', 'other.example.com.'],
    ]);
    expect(out.IsTruncated).toBe(false);
  });

  it('ListResourceRecordSets from a start name and type reads the current value', async () => {
    const out = await r53.send(
      new ListResourceRecordSetsCommand({
        HostedZoneId: ZONE,
        StartRecordName: 'orders-db.internal.example.com',
        StartRecordType: 'CNAME',
        MaxItems: 1,
      }),
    );
    expect(out.ResourceRecordSets).toEqual([
      {
        Name: 'orders-db.internal.example.com.',
        Type: 'CNAME',
        TTL: 60,
        ResourceRecords: [{ Value: 'orders-pg.abc.us-east-1.rds.amazonaws.com' }],
      },
    ]);
    expect(out.IsTruncated).toBe(true);
    expect(out.NextRecordName).toBe('web.internal.example.com.');
    const everything = await r53.send(new ListResourceRecordSetsCommand({ HostedZoneId: `/hostedzone/${ZONE}` }));
    expect(everything.ResourceRecordSets?.map((r) => `${r.Name} ${r.Type}`)).toEqual([
      'internal.example.com. NS',
      'internal.example.com. SOA',
      'orders-db.internal.example.com. CNAME',
      'web.internal.example.com. A',
    ]);
  });

  it('UPSERT answers PENDING; GetChange stays PENDING until the configured time has passed on the stand-in clock, then INSYNC', async () => {
    const out = await r53.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: ZONE,
        ChangeBatch: {
          Changes: [upsert('Orders-DB.internal.example.com', 'orders-aurora.cluster-xyz.us-east-1.rds.amazonaws.com')],
        },
      }),
    );
    expect(out.ChangeInfo?.Status).toBe('PENDING');
    expect(out.ChangeInfo?.Id).toMatch(/^\/change\/C[0-9A-F]+$/);
    expect(aws.route53.record('orders-db.internal.example.com')).toEqual({
      name: 'orders-db.internal.example.com.',
      type: 'CNAME',
      ttl: 5,
      values: ['orders-aurora.cluster-xyz.us-east-1.rds.amazonaws.com'],
    });
    aws.clock.advance(19 * SECOND);
    expect((await r53.send(new GetChangeCommand({ Id: out.ChangeInfo!.Id }))).ChangeInfo?.Status).toBe('PENDING');
    aws.clock.advance(1 * SECOND);
    expect((await r53.send(new GetChangeCommand({ Id: out.ChangeInfo!.Id }))).ChangeInfo?.Status).toBe('INSYNC');
    expect(aws.calls.count('ChangeResourceRecordSets', ZONE)).toBe(1);
    expect(aws.calls.count('GetChange')).toBe(2);
  });

  it('CREATE and DELETE: create a new CNAME, refuse to create it twice, delete it only with its exact value', async () => {
    const set = {
      Name: 'reports.internal.example.com',
      Type: 'CNAME' as const,
      TTL: 30,
      ResourceRecords: [{ Value: 'r.example.net' }],
    };
    await r53.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: ZONE,
        ChangeBatch: { Changes: [{ Action: 'CREATE', ResourceRecordSet: set }] },
      }),
    );
    const twice = await errorOf(
      r53.send(
        new ChangeResourceRecordSetsCommand({
          HostedZoneId: ZONE,
          ChangeBatch: { Changes: [{ Action: 'CREATE', ResourceRecordSet: set }] },
        }),
      ),
    );
    expect(twice.name).toBe('InvalidChangeBatch');
    expect(twice.message).toMatch(/already exists/);
    const wrong = await errorOf(
      r53.send(
        new ChangeResourceRecordSetsCommand({
          HostedZoneId: ZONE,
          ChangeBatch: {
            Changes: [
              { Action: 'DELETE', ResourceRecordSet: { ...set, ResourceRecords: [{ Value: 'other.example.net' }] } },
            ],
          },
        }),
      ),
    );
    expect(wrong.name).toBe('InvalidChangeBatch');
    await r53.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: ZONE,
        ChangeBatch: { Changes: [{ Action: 'DELETE', ResourceRecordSet: set }] },
      }),
    );
    expect(aws.route53.record('reports.internal.example.com')).toBeUndefined();
  });

  it('InvalidChangeBatch for a CNAME at the apex or beside an A record of the same name; the batch changes nothing', async () => {
    const apex = await errorOf(
      r53.send(
        new ChangeResourceRecordSetsCommand({
          HostedZoneId: ZONE,
          ChangeBatch: { Changes: [upsert('internal.example.com', 'x.example.net')] },
        }),
      ),
    );
    expect(apex.name).toBe('InvalidChangeBatch');
    expect(apex.message).toMatch(/not permitted at apex/);
    const beside = await errorOf(
      r53.send(
        new ChangeResourceRecordSetsCommand({
          HostedZoneId: ZONE,
          ChangeBatch: {
            Changes: [
              upsert('api.internal.example.com', 'ok.example.net'),
              upsert('web.internal.example.com', 'x.example.net'),
            ],
          },
        }),
      ),
    );
    expect(beside.name).toBe('InvalidChangeBatch');
    expect(beside.message).toMatch(/conflicting RRSet of type A/);
    expect(aws.route53.record('api.internal.example.com')).toBeUndefined();
    const outside = await errorOf(
      r53.send(
        new ChangeResourceRecordSetsCommand({
          HostedZoneId: ZONE,
          ChangeBatch: { Changes: [upsert('db.elsewhere.com', 'x.example.net')] },
        }),
      ),
    );
    expect(outside.message).toMatch(/not permitted in zone internal\.example\.com\./);
  });

  it('NoSuchHostedZone (HTTP 404) for an unknown zone, NoSuchChange for an unknown change', async () => {
    const zone = await errorOf(r53.send(new ListResourceRecordSetsCommand({ HostedZoneId: 'ZNOPE' })));
    expect(zone.name).toBe('NoSuchHostedZone');
    expect(zone.$metadata.httpStatusCode).toBe(404);
    const change = await errorOf(r53.send(new GetChangeCommand({ Id: '/change/CNOPE' })));
    expect(change.name).toBe('NoSuchChange');
  });

  it('faults apply: an injected failure and throttling answer in Route 53 error format', async () => {
    aws.faults.fail({ operation: 'ChangeResourceRecordSets', code: 'PriorRequestNotComplete', status: 400 });
    const prior = await errorOf(
      r53.send(
        new ChangeResourceRecordSetsCommand({
          HostedZoneId: ZONE,
          ChangeBatch: { Changes: [upsert('a.internal.example.com', 'b.example.net')] },
        }),
      ),
    );
    expect(prior.name).toBe('PriorRequestNotComplete');
    aws.faults.throttle(1, { services: ['route53'] });
    const throttled = await errorOf(r53.send(new GetChangeCommand({ Id: '/change/CNOPE' })));
    expect(throttled.name).toBe('Throttling');
    aws.faults.clear();
    const calls = aws.calls.filter('ChangeResourceRecordSets');
    expect(calls.at(-1)).toMatchObject({ service: 'route53', region: 'us-east-1', outcome: 'PriorRequestNotComplete' });
  });

  it('a seeded alias record is listed with its AliasTarget (no TTL, no values), as Route 53 answers it', async () => {
    aws.route53.seedRecord({
      zoneId: 'ZOTHER',
      name: 'lb.other.example.com',
      type: 'A',
      values: [],
      alias: { dnsName: 'dualstack.orders-lb-1.us-east-1.elb.amazonaws.com', hostedZoneId: 'Z35SXDOTRQ7X7K' },
    });
    const out = await r53.send(
      new ListResourceRecordSetsCommand({ HostedZoneId: 'ZOTHER', StartRecordName: 'lb.other.example.com' }),
    );
    expect(out.ResourceRecordSets?.[0]).toEqual({
      Name: 'lb.other.example.com.',
      Type: 'A',
      AliasTarget: {
        HostedZoneId: 'Z35SXDOTRQ7X7K',
        DNSName: 'dualstack.orders-lb-1.us-east-1.elb.amazonaws.com.',
        EvaluateTargetHealth: false,
      },
    });
    const cname = await errorOf(
      r53.send(
        new ChangeResourceRecordSetsCommand({
          HostedZoneId: 'ZOTHER',
          ChangeBatch: { Changes: [upsert('lb.other.example.com', 'x.example.net')] },
        }),
      ),
    );
    expect(cname.name).toBe('InvalidChangeBatch');
    expect(cname.message).toMatch(/conflicting RRSet of type A/);
  });

  it('the control API reads a record for child-process tests', async () => {
    const res = await fetch(`${aws.endpoint}/_standin/route53/record?name=orders-db.internal.example.com&type=CNAME`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      ttl: 5,
      values: ['orders-aurora.cluster-xyz.us-east-1.rds.amazonaws.com'],
    });
    expect((await fetch(`${aws.endpoint}/_standin/route53/record?name=none.internal.example.com`)).status).toBe(404);
  });
});
