// plan --preflight for switch-endpoint, read-only against the Route 53 stand-in through the real
// client: the zone exists, the record is inside it, the record is a CNAME (or will be created), a
// long TTL is a warning, and placeholders skip what cannot be known yet.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DbConnector } from '../../../src/db/api.js';
import type { SwitchEndpointSpec } from '../../../src/plan/types.js';
import { switchEndpoint } from '../../../src/steps/switch-endpoint/run.js';
import { isReadOnlyOperation } from '../../../src/aws/api.js';
import { stepStandin, type StepStandin } from '../support/standin.js';

const ZONE = 'Z0123456789ABCDEFGHIJ';
const TARGET = 'orders-aurora.cluster-xyz.us-east-1.rds.amazonaws.com';
let s: StepStandin;

beforeAll(async () => {
  s = await stepStandin({
    seed: {
      hostedZones: [{ id: ZONE, name: 'internal.example.com', privateZone: true }],
      records: [
        {
          zoneId: ZONE,
          name: 'orders-db.internal.example.com',
          type: 'CNAME',
          ttl: 5,
          values: ['orders-pg.abc.us-east-1.rds.amazonaws.com'],
        },
        {
          zoneId: ZONE,
          name: 'slow-db.internal.example.com',
          type: 'CNAME',
          ttl: 300,
          values: ['slow-pg.abc.us-east-1.rds.amazonaws.com'],
        },
        { zoneId: ZONE, name: 'done-db.internal.example.com', type: 'CNAME', ttl: 300, values: [TARGET] },
        { zoneId: ZONE, name: 'web.internal.example.com', type: 'A', ttl: 300, values: ['10.0.0.5'] },
      ],
    },
  });
});
afterAll(async () => s?.close());

const noDb: DbConnector = { connect: () => Promise.reject(new Error('no database in preflight tests')) };
const spec = (extra: Partial<SwitchEndpointSpec> = {}): SwitchEndpointSpec => ({
  id: 'switch',
  type: 'switch-endpoint',
  hostedZoneId: ZONE,
  record: 'orders-db.internal.example.com',
  target: TARGET,
  ...extra,
});

async function preflight(sp: SwitchEndpointSpec) {
  const before = s.aws.calls.filter().length;
  const results = await switchEndpoint.preflight!(sp, {
    planName: 'orders',
    stepId: 'switch',
    aws: s.api,
    db: noDb,
    signal: new AbortController().signal,
  });
  const calls = s.aws.calls
    .filter()
    .slice(before)
    .map((c) => c.operation);
  expect(calls.every((op) => isReadOnlyOperation(op))).toBe(true);
  return results;
}

describe('switch-endpoint preflight', () => {
  it('passes for a CNAME inside an existing zone', async () => {
    expect(await preflight(spec())).toEqual([
      {
        status: 'pass',
        check: 'hosted zone exists',
        detail: `hosted zone ${ZONE} is the private zone internal.example.com`,
      },
      {
        status: 'pass',
        check: 'record is inside the zone',
        detail: 'orders-db.internal.example.com is in internal.example.com',
      },
      {
        status: 'pass',
        check: 'record is a CNAME',
        detail: 'orders-db.internal.example.com is a CNAME to orders-pg.abc.us-east-1.rds.amazonaws.com (TTL 5s)',
      },
    ]);
  });

  it('warns when the record does not exist yet (it will be created)', async () => {
    const r = await preflight(spec({ record: 'new-db.internal.example.com' }));
    expect(r.at(-1)).toEqual({
      status: 'warn',
      check: 'record is a CNAME',
      detail: 'new-db.internal.example.com does not exist yet: the step will create it as a CNAME',
    });
  });

  it('fails for a record of another type', async () => {
    const r = await preflight(spec({ record: 'web.internal.example.com' }));
    expect(r.at(-1)).toMatchObject({ status: 'fail', check: 'record is a CNAME' });
    expect(r.at(-1)!.detail).toMatch(
      /^web\.internal\.example\.com is a record of type A \(10\.0\.0\.5\), not a CNAME\. switch-endpoint only switches a CNAME/,
    );
  });

  it("fails for a missing hosted zone, with the AWS error mapping's text", async () => {
    const r = await preflight(spec({ hostedZoneId: 'ZNOPE' }));
    expect(r).toHaveLength(1);
    expect(r[0]).toMatchObject({ status: 'fail', check: 'hosted zone exists' });
    expect(r[0]!.detail).toMatch(/could not check: .*NoSuchHostedZone.*The Route 53 hosted zone "ZNOPE" was not found/);
  });

  it('fails for a record outside the zone or at its apex', async () => {
    const outside = await preflight(spec({ record: 'orders-db.example.org' }));
    expect(outside.at(-1)).toMatchObject({ status: 'fail', check: 'record is inside the zone' });
    const apex = await preflight(spec({ record: 'internal.example.com' }));
    expect(apex.at(-1)!.detail).toMatch(/apex/);
  });

  it('warns about a long TTL, and says when the record already points at the target', async () => {
    const slow = await preflight(spec({ record: 'slow-db.internal.example.com' }));
    expect(slow.at(-1)).toMatchObject({ status: 'warn', check: 'record TTL' });
    expect(slow.at(-1)!.detail).toMatch(
      /TTL is 300s: after the switch, clients may keep connecting to slow-pg\.abc\.us-east-1\.rds\.amazonaws\.com for up to 300s/,
    );
    const done = await preflight(spec({ record: 'done-db.internal.example.com' }));
    expect(done.at(-1)).toMatchObject({
      status: 'pass',
      detail: expect.stringMatching(/already points at the target, so the step will send nothing$/),
    });
  });

  it('skips what depends on a value an earlier step produces', async () => {
    const r = await preflight(spec({ target: '<steps.promote.outputs.endpoint>', hostedZoneId: '<env.ZONE unset>' }));
    expect(r).toEqual([
      {
        status: 'warn',
        check: 'hosted zone exists',
        detail: 'skipped: "hostedZoneId" is <env.ZONE unset>, known only after an earlier step has run',
      },
    ]);
    const unknownTarget = await preflight(spec({ target: '<steps.promote.outputs.endpoint>' }));
    expect(unknownTarget.map((x) => x.status)).toEqual(['pass', 'pass', 'pass']);
  });
});
