// switch-endpoint against the Route 53 stand-in through the real @aws-sdk/client-route-53 (REST-XML
// over HTTP): the UPSERT and the wait until INSYNC (progress shows PENDING), previousValue kept in
// the checkpoint before anything is sent, convergent re-runs and resumes after a crash at each
// checkpoint, refusals (another record type, alias, missing zone, outside the zone, apex), the
// cutover handle crossed before the change (WindowExpired → nothing sent), and the write downtime.
import { afterEach, describe, expect, it } from 'vitest';
import { WindowExpired } from '../../../src/errors.js';
import { memoryCheckpoint } from '../../../src/engine/step-context.js';
import { switchEndpoint } from '../../../src/steps/switch-endpoint/run.js';
import type { AnyStepModule, CutoverHandle } from '../../../src/steps/step.js';
import { SECOND, type RecordSeed } from '../../../rehearsal/aws/index.js';
import { count, mutating } from '../support/run-step.js';
import { stepStandin, type StepStandin } from '../support/standin.js';

const ZONE = 'Z0123456789ABCDEFGHIJ';
const RECORD = 'orders-db.internal.example.com';
const SOURCE_ENDPOINT = 'orders-pg.abc123.us-east-1.rds.amazonaws.com';
const TARGET = 'orders-aurora.cluster-xyz.us-east-1.rds.amazonaws.com';
const PENDING_MS = 20 * SECOND;

let s: StepStandin | undefined;
afterEach(async () => {
  await s?.close();
  s = undefined;
});

async function world(
  records: Array<Omit<RecordSeed, 'zoneId'>> = [{ name: RECORD, type: 'CNAME', ttl: 60, values: [SOURCE_ENDPOINT] }],
) {
  s = await stepStandin({
    route53ChangePendingMs: PENDING_MS,
    seed: {
      hostedZones: [{ id: ZONE, name: 'internal.example.com' }],
      records: records.map((r) => ({ zoneId: ZONE, ...r })),
    },
  });
  return s;
}

const spec = (extra: Record<string, unknown> = {}) => ({
  id: 'switch',
  type: 'switch-endpoint',
  hostedZoneId: ZONE,
  record: RECORD,
  target: TARGET,
  ...extra,
});

/** The module with a cutover handle in its context (the engine passes one inside a window). */
function withCutover(handle: CutoverHandle): AnyStepModule {
  return { ...switchEndpoint, run: (sp, ctx) => switchEndpoint.run(sp, { ...ctx, cutover: handle }) };
}

/** A cutover handle that records when it was crossed (and how many changes had been sent by then). */
function fakeHandle(st: StepStandin, frozenAt: string, opts: { expired?: boolean } = {}) {
  const crossings: Array<{ what: string; changesSentBefore: number }> = [];
  const handle: CutoverHandle = {
    openedBy: 'freeze',
    frozenAt,
    deadline: new Date(Date.parse(frozenAt) + 5 * 60_000).toISOString(),
    frozenBefore: () => ({ settings: {} }),
    describeFence: () => 'the source databases stay fenced',
    sourceConnection: () => {
      throw new Error('switch-endpoint never needs the source connection');
    },
    async crossPointOfNoReturn(what) {
      crossings.push({ what, changesSentBefore: st.aws.calls.count('ChangeResourceRecordSets') });
      if (opts.expired)
        throw new WindowExpired(
          'the cutover window of step "freeze" ended at its deadline before the point of no return',
        );
    },
  };
  return { handle, crossings };
}

describe('switch-endpoint: the switch', () => {
  it("UPSERTs the CNAME with the plan's TTL, waits until INSYNC (progress shows PENDING), and keeps the previous value", async () => {
    const st = await world();
    const run = await st.run(switchEndpoint, spec({ ttl: '5s' }));
    expect(run.error).toBeUndefined();
    expect(st.aws.route53.record(RECORD)).toEqual({ name: `${RECORD}.`, type: 'CNAME', ttl: 5, values: [TARGET] });
    expect(run.outputs).toEqual({
      previousValue: SOURCE_ENDPOINT,
      value: TARGET,
      changeId: expect.stringMatching(/^\/change\/C[0-9A-F]+$/),
      switchedAt: expect.any(String),
    });
    expect(mutating(run.calls)).toEqual(['ChangeResourceRecordSets']);
    expect(run.progress.some((p) => p.includes('PENDING'))).toBe(true);
    // INSYNC only after the stand-in's pending time, seen by polling every 5 s.
    const cp = run.checkpoint.get() as Record<string, any>;
    expect(Date.parse(cp.switchedAt) - Date.parse(cp.submittedAt)).toBeGreaterThanOrEqual(PENDING_MS);
    expect(Date.parse(cp.switchedAt) - Date.parse(cp.submittedAt)).toBeLessThan(PENDING_MS + 5 * SECOND + 1);
    expect(count(run.calls, 'GetChange')).toBe(5);
    expect(cp.previous).toEqual({ type: 'CNAME', value: SOURCE_ENDPOINT, ttl: 60 });
    expect(run.outputs?.writeDowntime).toBeUndefined();
    const switched = run.events.find((e) => e.type === 'step-event' && e.name === 'switched') as any;
    expect(switched.data).toMatchObject({
      record: RECORD,
      previousValue: SOURCE_ENDPOINT,
      previousTtl: 60,
      value: TARGET,
      ttl: 5,
      changeId: cp.changeId,
      switchedAt: cp.switchedAt,
    });
  });

  it('the previous value is checkpointed before anything is sent; a crash right after it sends nothing, and the resume sends once', async () => {
    const st = await world();
    const checkpoint = memoryCheckpoint();
    const crashed = await st.run(switchEndpoint, spec(), { checkpoint, crashAfterCheckpoint: 1 });
    expect(crashed.error?.message).toMatch(/simulated crash/);
    expect(st.aws.calls.count('ChangeResourceRecordSets')).toBe(0);
    expect(checkpoint.get()).toEqual({
      phase: 'previous recorded',
      previous: { type: 'CNAME', value: SOURCE_ENDPOINT, ttl: 60 },
    });
    const resumed = await st.run(switchEndpoint, spec(), { checkpoint, attempt: 2 });
    expect(resumed.error).toBeUndefined();
    expect(st.aws.calls.count('ChangeResourceRecordSets')).toBe(1);
    expect(resumed.outputs?.previousValue).toBe(SOURCE_ENDPOINT);
  });

  it('a record that does not exist yet is created; previousValue is null', async () => {
    const st = await world([]);
    const run = await st.run(switchEndpoint, spec());
    expect(run.error).toBeUndefined();
    expect(run.outputs?.previousValue).toBeNull();
    expect((run.checkpoint.get() as any).previous).toBe('none');
    expect(st.aws.route53.record(RECORD)?.values).toEqual([TARGET]);
  });

  it('names compare case-insensitively and with or without the trailing dot', async () => {
    const st = await world([{ name: RECORD, type: 'CNAME', ttl: 5, values: [`${TARGET.toUpperCase()}.`] }]);
    const run = await st.run(switchEndpoint, spec({ record: `Orders-DB.Internal.Example.com.` }));
    expect(run.error).toBeUndefined();
    expect(mutating(run.calls)).toEqual([]);
    expect(run.warnings[0]).toMatch(/already points at/);
  });
});

describe('switch-endpoint: dry-run', () => {
  it('describe() shows exactly the change run() sends, the TTL in seconds, the wait, and where the point of no return is', async () => {
    const st = await world();
    const sp = spec({ ttl: '30s', timeout: '15m' });
    const run = await st.run(switchEndpoint, sp);
    expect(run.error).toBeUndefined();
    const env = { planName: 'orders', stepId: 'switch' };
    const actions = switchEndpoint.describe(sp as any, env);
    const planned = actions.flatMap((a) => (a.kind === 'aws' ? [{ operation: a.operation, params: a.params }] : []));
    expect(planned.filter((a) => a.operation === 'ChangeResourceRecordSets')).toEqual(
      run.calls
        .filter((c) => c.operation === 'ChangeResourceRecordSets')
        .map((c) => ({ operation: c.operation, params: c.input })),
    );
    expect(JSON.stringify(planned)).toContain('"TTL":30');
    expect(actions.at(-1)).toMatchObject({ kind: 'wait', timeoutMs: 15 * 60_000, pollEveryMs: 5_000 });
    expect(actions.some((a) => 'note' in a && /point of no return/.test(a.note ?? ''))).toBe(false);
    const snapshotRoute = switchEndpoint.describe(sp as any, {
      ...env,
      cutover: { freezeStepId: 'freeze', role: 'point-of-no-return' },
    });
    expect(snapshotRoute.find((a) => a.kind === 'aws' && a.operation === 'ChangeResourceRecordSets')).toMatchObject({
      note: expect.stringContaining(
        `TTL 30s. The cutover's point of no return (window of step "freeze"): crossed right before this change is sent.`,
      ),
    });
    const replicaRoute = switchEndpoint.describe(sp as any, {
      ...env,
      cutover: { freezeStepId: 'freeze', role: 'after' },
    });
    expect(replicaRoute.find((a) => a.kind === 'aws' && a.operation === 'ChangeResourceRecordSets')).toMatchObject({
      note: expect.stringContaining('writeDowntime runs from the freeze until this change is INSYNC'),
    });
  });
});

describe('switch-endpoint: convergent', () => {
  it('a re-run after the switch sends nothing and says it is already switched', async () => {
    const st = await world();
    const first = await st.run(switchEndpoint, spec());
    expect(first.error).toBeUndefined();
    const again = await st.run(switchEndpoint, spec());
    expect(again.error).toBeUndefined();
    expect(mutating(again.calls)).toEqual([]);
    expect(again.warnings).toEqual([
      `${RECORD} already points at ${TARGET}: nothing sent (already switched, by an earlier run or by hand; whether that change is INSYNC is not known).`,
    ]);
    expect(again.outputs).toMatchObject({ value: TARGET, previousValue: TARGET });
    expect(st.aws.calls.count('ChangeResourceRecordSets')).toBe(1);
  });

  it('a resume after the change id was checkpointed waits on that change and never sends again', async () => {
    const st = await world();
    const checkpoint = memoryCheckpoint();
    // checkpoints: 1 previous value, 2 change sending, 3 change id
    const crashed = await st.run(switchEndpoint, spec(), { checkpoint, crashAfterCheckpoint: 3 });
    expect(crashed.error?.message).toMatch(/simulated crash/);
    const changeId = (checkpoint.get() as any).changeId;
    expect(changeId).toMatch(/^\/change\//);
    expect(st.aws.calls.count('ChangeResourceRecordSets')).toBe(1);

    const resumed = await st.run(switchEndpoint, spec(), { checkpoint, attempt: 2 });
    expect(resumed.error).toBeUndefined();
    expect(mutating(resumed.calls)).toEqual([]);
    expect(resumed.calls.filter((c) => c.operation === 'GetChange').map((c) => c.input.Id)).toEqual(
      expect.arrayContaining([changeId]),
    );
    expect(resumed.progress.some((p) => p.includes(`${changeId}: PENDING`))).toBe(true);
    expect(resumed.outputs).toMatchObject({ changeId, previousValue: SOURCE_ENDPOINT, value: TARGET });
    expect(st.aws.calls.count('ChangeResourceRecordSets')).toBe(1);
  });

  it('a crash after Route 53 accepted the change but before its id was kept: the same UPSERT again, previousValue still the source', async () => {
    const st = await world();
    const checkpoint = memoryCheckpoint();
    const crashed = await st.run(switchEndpoint, spec(), { checkpoint, crashAfterSend: 'ChangeResourceRecordSets' });
    expect(crashed.error?.message).toMatch(/simulated crash/);
    expect(checkpoint.get()).toMatchObject({ phase: 'change sending' });
    expect(st.aws.route53.record(RECORD)?.values).toEqual([TARGET]);

    const resumed = await st.run(switchEndpoint, spec(), { checkpoint, attempt: 2 });
    expect(resumed.error).toBeUndefined();
    expect(mutating(resumed.calls)).toEqual(['ChangeResourceRecordSets']);
    expect(resumed.outputs?.previousValue).toBe(SOURCE_ENDPOINT);
    expect(st.aws.route53.record(RECORD)).toMatchObject({ ttl: 5, values: [TARGET] });
  });

  it('a resume after the record was seen INSYNC returns the recorded switch time without waiting again', async () => {
    const st = await world();
    const checkpoint = memoryCheckpoint();
    // checkpoints: previous, sending, change id, insync
    await st.run(switchEndpoint, spec(), { checkpoint, crashAfterCheckpoint: 4 });
    const switchedAt = (checkpoint.get() as any).switchedAt;
    st.aws.clock.advance(60 * SECOND);
    const resumed = await st.run(switchEndpoint, spec(), { checkpoint, attempt: 2 });
    expect(resumed.error).toBeUndefined();
    expect(resumed.outputs?.switchedAt).toBe(switchedAt);
    expect(mutating(resumed.calls)).toEqual([]);
  });

  it('a resume that finds the record changed behind its back sends the change again and keeps the first previousValue', async () => {
    const st = await world();
    const checkpoint = memoryCheckpoint();
    await st.run(switchEndpoint, spec(), { checkpoint, crashAfterCheckpoint: 3 });
    st.aws.route53.seedRecord({
      zoneId: ZONE,
      name: RECORD,
      type: 'CNAME',
      ttl: 60,
      values: ['someone-else.example.net'],
    });
    const resumed = await st.run(switchEndpoint, spec(), { checkpoint, attempt: 2 });
    expect(resumed.error).toBeUndefined();
    expect(resumed.warnings[0]).toMatch(
      /^orders-db\.internal\.example\.com is a CNAME to someone-else\.example\.net \(TTL 60s\), not orders-aurora\.cluster-xyz\.us-east-1\.rds\.amazonaws\.com, although this step's change \/change\/C[0-9A-F]+ set it/,
    );
    expect(mutating(resumed.calls)).toEqual(['ChangeResourceRecordSets']);
    expect(resumed.outputs?.previousValue).toBe(SOURCE_ENDPOINT);
    expect(st.aws.route53.record(RECORD)?.values).toEqual([TARGET]);
  });

  it('a change Route 53 no longer knows (NoSuchChange) is replaced by the same UPSERT once, with a warning', async () => {
    const st = await world();
    st.aws.faults.fail({ operation: 'GetChange', code: 'NoSuchChange', status: 404, times: 1 });
    const run = await st.run(switchEndpoint, spec());
    expect(run.error).toBeUndefined();
    expect(run.warnings.some((w) => /NoSuchChange\): sending the same UPSERT again/.test(w))).toBe(true);
    expect(mutating(run.calls)).toEqual(['ChangeResourceRecordSets', 'ChangeResourceRecordSets']);
    expect(run.outputs?.previousValue).toBe(SOURCE_ENDPOINT);
  });

  it('times out with the last status seen, and a later resume follows the same change', async () => {
    s = await stepStandin({
      route53ChangePendingMs: 3 * 60 * SECOND,
      seed: {
        hostedZones: [{ id: ZONE, name: 'internal.example.com' }],
        records: [{ zoneId: ZONE, name: RECORD, type: 'CNAME', ttl: 60, values: [SOURCE_ENDPOINT] }],
      },
    });
    const checkpoint = memoryCheckpoint();
    const slow = await s.run(switchEndpoint, spec({ timeout: '1m' }), { checkpoint });
    expect(slow.error?.message).toMatch(
      /^step "switch" timed out after 1m waiting for Route 53 change \/change\/C[0-9A-F]+ \(orders-db\.internal\.example\.com → orders-aurora\.cluster-xyz\.us-east-1\.rds\.amazonaws\.com\) to be INSYNC \(last seen: Route 53 change \/change\/C[0-9A-F]+: PENDING\)/,
    );
    const resumed = await s.run(switchEndpoint, spec({ timeout: '10m' }), { checkpoint, attempt: 2 });
    expect(resumed.error).toBeUndefined();
    expect(s.aws.calls.count('ChangeResourceRecordSets')).toBe(1);
  });
});

describe('switch-endpoint: refusals', () => {
  it('refuses a record of another type (A), naming it, and sends nothing', async () => {
    const st = await world([{ name: RECORD, type: 'A', ttl: 300, values: ['10.0.0.5'] }]);
    const run = await st.run(switchEndpoint, spec());
    expect(run.error?.message).toBe(
      `step "switch" refused to switch: ${RECORD} is a record of type A (10.0.0.5), not a CNAME. switch-endpoint only switches a CNAME; ` +
        `changing a record's type or routing is not done automatically (DNS allows no CNAME beside other records of the same name). ` +
        `Change the record to a CNAME by hand, or name a CNAME in "record". Nothing was changed in Route 53; fix it, then run aurora-migrate apply again.`,
    );
    expect(mutating(run.calls)).toEqual([]);
    expect(st.aws.route53.record(RECORD, 'A')?.values).toEqual(['10.0.0.5']);
  });

  it('refuses an alias record, naming its target', async () => {
    const st = await world([
      {
        name: RECORD,
        type: 'A',
        values: [],
        alias: { dnsName: 'dualstack.orders-lb-1.us-east-1.elb.amazonaws.com', hostedZoneId: 'Z35SXDOTRQ7X7K' },
      },
    ]);
    const run = await st.run(switchEndpoint, spec());
    expect(run.error?.message).toMatch(
      /is an alias record of type A \(to dualstack\.orders-lb-1\.us-east-1\.elb\.amazonaws\.com\.\), not a CNAME/,
    );
    expect(mutating(run.calls)).toEqual([]);
  });

  it("a missing hosted zone fails with the AWS error mapping's remedy and changes nothing", async () => {
    const st = await world();
    const run = await st.run(switchEndpoint, spec({ hostedZoneId: 'ZNOPE' }));
    expect(run.error?.message).toMatch(
      /^step "switch" failed: cannot read hosted zone ZNOPE: Route 53 GetHostedZone for ZNOPE failed: NoSuchHostedZone: No hosted zone found with ID: ZNOPE\. /,
    );
    expect(run.error?.message).toMatch(
      /The Route 53 hosted zone "ZNOPE" was not found: check that it is spelled right and exists, and that the account of these credentials owns it\. Fix the step's hostedZoneId if it is wrong/,
    );
    expect(run.error?.message).toMatch(/Nothing was changed in Route 53\.$/);
    expect(run.error?.message).not.toMatch(/\n\s+at /);
    expect(mutating(run.calls)).toEqual([]);
  });

  it('refuses a record outside the zone and the zone apex', async () => {
    const st = await world();
    const outside = await st.run(switchEndpoint, spec({ record: 'orders-db.example.org' }));
    expect(outside.error?.message).toMatch(
      /^step "switch" refused to switch: orders-db\.example\.org is not inside hosted zone internal\.example\.com \(the record name must end in \.internal\.example\.com\)/,
    );
    const apex = await st.run(switchEndpoint, spec({ record: 'internal.example.com.' }));
    expect(apex.error?.message).toMatch(
      /is the apex of hosted zone internal\.example\.com, and DNS allows no CNAME at a zone apex/,
    );
    expect(st.aws.calls.count('ChangeResourceRecordSets')).toBe(0);
  });

  it('Route 53 refusing the change (InvalidChangeBatch) fails with its reason and says nothing changed', async () => {
    const st = await world();
    st.aws.faults.fail({ operation: 'ChangeResourceRecordSets', code: 'InvalidChangeBatch', status: 400 });
    const run = await st.run(switchEndpoint, spec());
    expect(run.error?.message).toMatch(
      /^step "switch" failed: the change of orders-db\.internal\.example\.com in hosted zone Z0123456789ABCDEFGHIJ failed: Route 53 ChangeResourceRecordSets for orders-db\.internal\.example\.com in Z0123456789ABCDEFGHIJ failed: InvalidChangeBatch/,
    );
    expect(run.error?.message).toMatch(/Nothing was changed in Route 53\.$/);
  });
});

describe('switch-endpoint: cutover window', () => {
  it('crosses the point of no return before the change is sent; a WindowExpired there sends nothing', async () => {
    const st = await world();
    const { handle, crossings } = fakeHandle(st, new Date(st.aws.clock.now() - 60 * SECOND).toISOString(), {
      expired: true,
    });
    const checkpoint = memoryCheckpoint();
    const run = await st.run(withCutover(handle), spec(), { checkpoint });
    expect(run.error).toBeInstanceOf(WindowExpired);
    expect(crossings).toEqual([{ what: 'Route 53 change sent', changesSentBefore: 0 }]);
    expect(st.aws.calls.count('ChangeResourceRecordSets')).toBe(0);
    expect(st.aws.route53.record(RECORD)?.values).toEqual([SOURCE_ENDPOINT]);
    // The way back is recorded already, nothing else.
    expect(checkpoint.get()).toEqual({
      phase: 'previous recorded',
      previous: { type: 'CNAME', value: SOURCE_ENDPOINT, ttl: 60 },
    });
  });

  it('a record already at the target inside a window: nothing sent, the crossing recorded as such', async () => {
    const st = await world([{ name: RECORD, type: 'CNAME', ttl: 5, values: [TARGET] }]);
    const { handle, crossings } = fakeHandle(st, new Date(st.aws.clock.now()).toISOString());
    const run = await st.run(withCutover(handle), spec());
    expect(run.error).toBeUndefined();
    expect(crossings).toEqual([{ what: 'Route 53 record found already pointing at the target', changesSentBefore: 0 }]);
    expect(mutating(run.calls)).toEqual([]);
    expect(run.outputs?.writeDowntime).toBeUndefined();
  });

  it('writeDowntime runs from the freeze to the change being INSYNC; the switched event carries every timing', async () => {
    const st = await world();
    const frozenAt = new Date(st.aws.clock.now() - 12_300).toISOString();
    const { handle, crossings } = fakeHandle(st, frozenAt);
    const run = await st.run(withCutover(handle), spec());
    expect(run.error).toBeUndefined();
    expect(crossings).toEqual([{ what: 'Route 53 change sent', changesSentBefore: 0 }]);
    const switchedAt = run.outputs?.switchedAt as string;
    const expected = `${((Date.parse(switchedAt) - Date.parse(frozenAt)) / 1000).toFixed(1)}s`;
    expect(run.outputs?.writeDowntime).toBe(expected);
    // 12.3 s before the step + 20 s pending (seen by the 5th GetChange, 5 s apart).
    expect(expected).toBe('32.3s');
    const switched = run.events.find((e) => e.type === 'step-event' && e.name === 'switched') as any;
    expect(switched.data).toMatchObject({ frozenAt, switchedAt, writeDowntime: '32.3s', writeDowntimeSeconds: 32.3 });
    expect(switched.data.sendingAt).toEqual(expect.any(String));
    expect(switched.data.submittedAt).toEqual(expect.any(String));
  });
});
