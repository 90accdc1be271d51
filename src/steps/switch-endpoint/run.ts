// Step type "switch-endpoint": the application's DNS name (a Route 53 CNAME) to the new writer.
// Convergent: it reads the record first and sends nothing when it already points at the target. The
// previous value is checkpointed before anything is sent (the way back by hand); then the cutover's
// point of no return is crossed (a no-op unless this step is the snapshot route's irreversible one),
// "change sending" is checkpointed, the UPSERT sent, its change id checkpointed, and GetChange polled
// every 5 s until INSYNC. A resume with a change id waits on that change and never sends again.
import { AwsCallError, isAwsError } from '../../aws/errors.js';
import { StepFailed } from '../../errors.js';
import type { SwitchEndpointSpec } from '../../plan/types.js';
import { formatDuration } from '../../plan/units.js';
import { withoutPeriod } from '../../rds/resources.js';
import type { DescribeEnv, PlannedAction, StepContext, StepModule } from '../step.js';
import { switchEndpointPreflight } from './preflight.js';
import {
  CHANGE_POLL_MS,
  CUTOVER_CHANGE_POLL_MS,
  LONG_TTL_SECONDS,
  changeParams,
  previousOf,
  placementProblem,
  readRecord,
  readZone,
  sameName,
  switchTimeoutMs,
  ttlSeconds,
  wrongTypeText,
  type FoundRecord,
  type PreviousRecord,
} from './record.js';

export const SWITCH_OUTPUTS = ['previousValue', 'value', 'changeId', 'switchedAt', 'writeDowntime'] as const;

/** What the step keeps in its checkpoint. */
export interface SwitchCheckpoint {
  phase?: 'previous recorded' | 'change sending' | 'change sent' | 'insync';
  /** The record before the first change this step sent ("none": there was no record). */
  previous?: PreviousRecord;
  /** When the UPSERT was (about to be) sent. */
  sendingAt?: string;
  /** Route 53's change id (/change/C…) and when it accepted the change. */
  changeId?: string;
  submittedAt?: string;
  /** When the change was first seen INSYNC. */
  switchedAt?: string;
  [key: string]: unknown;
}

export const switchEndpoint: StepModule<SwitchEndpointSpec> = {
  type: 'switch-endpoint',
  outputs: SWITCH_OUTPUTS,

  describe(spec, env): PlannedAction[] {
    const ttl = ttlSeconds(spec);
    const window = windowNote(env);
    return [
      {
        kind: 'aws',
        service: 'route53',
        operation: 'GetHostedZone',
        params: { Id: spec.hostedZoneId },
        note: 'the record must be inside this zone, and not its apex',
      },
      {
        kind: 'aws',
        service: 'route53',
        operation: 'ListResourceRecordSets',
        params: { HostedZoneId: spec.hostedZoneId, StartRecordName: spec.record, MaxItems: 10 },
        note: `read ${spec.record} (its current value is known only at apply time; it is kept in the state as previousValue). Refuse if it is not a CNAME (A, alias, routing policy); send nothing if it already points at ${spec.target}`,
      },
      {
        kind: 'aws',
        service: 'route53',
        operation: 'ChangeResourceRecordSets',
        params: changeParams(spec),
        note: `${spec.record} → ${spec.target}, TTL ${ttl}s${window ? `. ${window}` : ''}`,
      },
      {
        kind: 'wait',
        for: 'the change to be INSYNC on every Route 53 name server (GetChange)',
        timeoutMs: switchTimeoutMs(spec),
        pollEveryMs: env.cutover ? CUTOVER_CHANGE_POLL_MS : CHANGE_POLL_MS,
        note: "clients see the new value once their cached answer expires: the record's previous TTL bounds that",
      },
    ];
  },

  preflight: switchEndpointPreflight,

  run: (spec, ctx) => runSwitch(spec, ctx),
};

/** Where the change stands in the plan's cutover window, for the dry-run. */
function windowNote(env: DescribeEnv): string | undefined {
  const c = env.cutover;
  if (!c) return undefined;
  if (c.role === 'after')
    return `After the cutover's point of no return: writes stay frozen on the source (step "${c.freezeStepId}"); writeDowntime runs from the freeze until this change is INSYNC`;
  return (
    `The cutover's point of no return (window of step "${c.freezeStepId}"): crossed right before this change is sent. ` +
    `Until then a failure, an interrupt or the window's deadline undoes the freeze; after it the plan only goes forward`
  );
}

const iso = (ms: number) => new Date(ms).toISOString();
const previousValueOf = (p: PreviousRecord | undefined) => (p === undefined || p === 'none' ? null : p.value);
const shownAs = (r: FoundRecord) =>
  r.kind === 'cname' ? `a CNAME to ${r.value} (TTL ${r.ttl}s)` : r.kind === 'none' ? 'absent' : r.kind;

/** "12.3s": from the freeze to the change being INSYNC. */
export function downtimeText(frozenAt: string, switchedAt: string): string {
  return `${(Math.max(0, Date.parse(switchedAt) - Date.parse(frozenAt)) / 1000).toFixed(1)}s`;
}

function refuse(ctx: StepContext, why: string): StepFailed {
  return new StepFailed(ctx.stepId, why, {
    outcome: 'refused to switch:',
    remedy: 'Nothing was changed in Route 53; fix it, then run aurora-migrate apply again.',
  });
}

/** Errors with which Route 53 refused a change outright (nothing applied). */
const REFUSED =
  /^(InvalidChangeBatch|InvalidInput|NoSuchHostedZone|PriorRequestNotComplete|AccessDenied\w*|Throttling|InvalidClientTokenId|SignatureDoesNotMatch|ExpiredToken)$/;

/** An AWS error as a step failure through the tool's AWS error mapping; anything else (Interrupted…) as is. */
function route53Failure(ctx: StepContext, what: string, err: unknown, changed: boolean | 'unknown'): unknown {
  if (!(err instanceof AwsCallError)) return err;
  const state =
    changed === true
      ? 'The change was sent; run aurora-migrate apply again to resume waiting for it.'
      : changed === 'unknown'
        ? 'Whether Route 53 applied the change is not known; run aurora-migrate apply again: the step reads the record and converges.'
        : 'Nothing was changed in Route 53.';
  // The AwsCallError's message is the tool's mapping: call, resource, AWS's code and text, remedy.
  return new StepFailed(ctx.stepId, `${what}: ${withoutPeriod(err.message)}. ${state}`, { cause: err });
}

/** A record the step may switch: a CNAME, or none yet. */
type Switchable = Exclude<FoundRecord, { kind: 'other' }>;

/** The step's checkpoint: read it fresh, save a patch onto it. */
interface Checkpoint {
  get(): SwitchCheckpoint;
  save(patch: Partial<SwitchCheckpoint>): Promise<void>;
}

export async function runSwitch(spec: SwitchEndpointSpec, ctx: StepContext): Promise<Record<string, unknown>> {
  const cp: Checkpoint = {
    get: () => (ctx.checkpoint.get() ?? {}) as SwitchCheckpoint,
    save: (patch) => ctx.checkpoint.set({ ...cp.get(), ...patch }),
  };
  const found = await readCurrent(spec, ctx);
  const atTarget = found.kind === 'cname' && sameName(found.value, spec.target);
  let changeId = cp.get().changeId;

  if (changeId && !atTarget) {
    ctx.warn(
      `${spec.record} is ${shownAs(found)}, not ${spec.target}, although this step's change ${changeId} set it: someone changed it since. ` +
        `Sending the change again (previousValue stays the value recorded before the first change).`,
    );
    changeId = undefined;
    await cp.save({ changeId: undefined, switchedAt: undefined });
  }
  // Nothing of ours in flight, and the record already points there: send nothing.
  if (!changeId && atTarget && cp.get().phase !== 'change sending') return alreadySwitched(spec, ctx, cp, found);

  if (!changeId) changeId = await sendChange(spec, ctx, cp, found);
  let switchedAt = cp.get().switchedAt;
  if (!switchedAt) {
    if (!(await waitInSync(spec, ctx, changeId))) {
      // Route 53 forgot the change (or never had it): the same UPSERT again gives one to follow.
      ctx.warn(
        `Route 53 does not know change ${changeId} (NoSuchChange): sending the same UPSERT again to have a change to follow.`,
      );
      await cp.save({ changeId: undefined, phase: 'previous recorded' });
      changeId = await sendChange(spec, ctx, cp, found);
      if (!(await waitInSync(spec, ctx, changeId))) {
        throw new StepFailed(
          ctx.stepId,
          `Route 53 answered NoSuchChange for change ${changeId} it had just accepted. Check the change in the Route 53 console, then run aurora-migrate apply again.`,
        );
      }
    }
    switchedAt = iso(ctx.clock.now());
    await cp.save({ phase: 'insync', switchedAt });
  }
  return switched(spec, ctx, cp.get(), changeId, switchedAt);
}

/** The record as Route 53 has it now; refuses a record outside the zone or of another type than CNAME. */
async function readCurrent(spec: SwitchEndpointSpec, ctx: StepContext): Promise<Switchable> {
  const zone = spec.hostedZoneId;
  const zoneInfo = await readZone(ctx.aws, zone, { signal: ctx.signal }).catch((err) => {
    throw route53Failure(ctx, `cannot read hosted zone ${zone}`, err, false);
  });
  const placement = placementProblem(spec.record, zoneInfo.name);
  if (placement) throw refuse(ctx, `${placement}. Check "record" and "hostedZoneId" in the plan`);
  const found = await readRecord(ctx.aws, zone, spec.record, { signal: ctx.signal }).catch((err) => {
    throw route53Failure(ctx, `cannot read record ${spec.record} in hosted zone ${zone}`, err, false);
  });
  if (found.kind === 'other')
    throw refuse(
      ctx,
      `${wrongTypeText(spec.record, found)}. Change the record to a CNAME by hand, or name a CNAME in "record"`,
    );
  return found;
}

/** The record already points at the target and no change of ours is in flight: records that, sends nothing. */
async function alreadySwitched(
  spec: SwitchEndpointSpec,
  ctx: StepContext,
  cp: Checkpoint,
  found: Switchable,
): Promise<Record<string, unknown>> {
  await ctx.cutover?.crossPointOfNoReturn('Route 53 record found already pointing at the target');
  const previous = cp.get().previous ?? previousOf(found);
  const seenAt = iso(ctx.clock.now());
  const ttlNote =
    found.kind === 'cname' && found.ttl !== ttlSeconds(spec)
      ? ` Its TTL is ${found.ttl}s, not the plan's ${ttlSeconds(spec)}s; it was left as is.`
      : '';
  ctx.warn(
    `${spec.record} already points at ${spec.target}: nothing sent (already switched, by an earlier run or by hand; whether that change is INSYNC is not known).${ttlNote}`,
  );
  await cp.save({ phase: 'insync', previous, switchedAt: cp.get().switchedAt ?? seenAt });
  ctx.event('already-switched', { record: spec.record, hostedZoneId: spec.hostedZoneId, value: spec.target, seenAt });
  return { previousValue: previousValueOf(previous), value: spec.target, switchedAt: cp.get().switchedAt ?? seenAt };
}

/** Records the previous value (once), crosses the point of no return, sends the UPSERT; returns the change id. */
async function sendChange(
  spec: SwitchEndpointSpec,
  ctx: StepContext,
  cp: Checkpoint,
  found: Switchable,
): Promise<string> {
  const zone = spec.hostedZoneId;
  if (!cp.get().previous) {
    const previous = previousOf(found);
    await cp.save({ phase: 'previous recorded', previous });
    ctx.event('previous-value', { record: spec.record, hostedZoneId: zone, previous });
    if (previous !== 'none' && previous.ttl > LONG_TTL_SECONDS) {
      ctx.warn(
        `${spec.record} had a TTL of ${previous.ttl}s: applications that resolved it just before the switch may keep connecting to ${previous.value} ` +
          `for up to ${previous.ttl}s after it. Lower the TTL a few days before a cutover.`,
      );
    }
  }
  await ctx.cutover?.crossPointOfNoReturn('Route 53 change sent');
  await cp.save({ phase: 'change sending', sendingAt: iso(ctx.clock.now()) });
  ctx.progress(`sending the Route 53 change: ${spec.record} → ${spec.target} (TTL ${ttlSeconds(spec)}s)`);
  let out: { ChangeInfo?: { Id?: string; Status?: string; SubmittedAt?: unknown } };
  try {
    out = await ctx.aws.send('route53', 'ChangeResourceRecordSets', changeParams(spec));
  } catch (err) {
    const refused = err instanceof AwsCallError && REFUSED.test(err.code);
    throw route53Failure(
      ctx,
      `the change of ${spec.record} in hosted zone ${zone} failed`,
      err,
      refused ? false : 'unknown',
    );
  }
  const id = out.ChangeInfo?.Id;
  if (!id)
    throw new StepFailed(
      ctx.stepId,
      `Route 53 accepted the change of ${spec.record} but returned no change id. Run aurora-migrate apply again (the same UPSERT is sent again and followed).`,
    );
  const submitted = out.ChangeInfo?.SubmittedAt;
  const submittedAt =
    submitted instanceof Date ? submitted.toISOString() : submitted ? String(submitted) : iso(ctx.clock.now());
  await cp.save({ phase: 'change sent', changeId: id, submittedAt });
  ctx.event('change-sent', {
    record: spec.record,
    hostedZoneId: zone,
    value: spec.target,
    ttl: ttlSeconds(spec),
    changeId: id,
    status: out.ChangeInfo?.Status,
    submittedAt,
  });
  return id;
}

/** The change is INSYNC: the 'switched' event (with the write downtime inside a cutover) and the outputs. */
function switched(
  spec: SwitchEndpointSpec,
  ctx: StepContext,
  cp: SwitchCheckpoint,
  changeId: string,
  switchedAt: string,
): Record<string, unknown> {
  const previous = cp.previous;
  const frozenAt = ctx.cutover?.frozenAt;
  const writeDowntime = frozenAt ? downtimeText(frozenAt, switchedAt) : undefined;
  ctx.event('switched', {
    record: spec.record,
    hostedZoneId: spec.hostedZoneId,
    previousValue: previousValueOf(previous),
    previousTtl: previous && previous !== 'none' ? previous.ttl : null,
    value: spec.target,
    ttl: ttlSeconds(spec),
    changeId,
    sendingAt: cp.sendingAt,
    submittedAt: cp.submittedAt,
    switchedAt,
    ...(frozenAt
      ? {
          frozenAt,
          writeDowntime,
          writeDowntimeSeconds: Number(((Date.parse(switchedAt) - Date.parse(frozenAt)) / 1000).toFixed(3)),
        }
      : {}),
  });
  return {
    previousValue: previousValueOf(previous),
    value: spec.target,
    changeId,
    switchedAt,
    ...(writeDowntime ? { writeDowntime } : {}),
  };
}

/** Polls GetChange until INSYNC; false when Route 53 does not know the change (NoSuchChange). */
async function waitInSync(spec: SwitchEndpointSpec, ctx: StepContext, changeId: string): Promise<boolean> {
  const timeoutMs = switchTimeoutMs(spec);
  try {
    await ctx.poll({
      what: `Route 53 change ${changeId} (${spec.record} → ${spec.target}) to be INSYNC`,
      // While the cutover's writes are down (a freeze ran before), look more often.
      everyMs: ctx.cutover ? CUTOVER_CHANGE_POLL_MS : CHANGE_POLL_MS,
      timeoutMs,
      check: async () => {
        const out = await ctx.aws.send<{ ChangeInfo?: { Status?: string } }>('route53', 'GetChange', { Id: changeId });
        const status = out.ChangeInfo?.Status ?? 'unknown';
        if (status === 'INSYNC') return { done: true, value: true };
        return { done: false, detail: `Route 53 change ${changeId}: ${status}` };
      },
    });
    return true;
  } catch (err) {
    if (isAwsError(err, 'NoSuchChange')) return false;
    throw route53Failure(
      ctx,
      `cannot follow Route 53 change ${changeId} (timeout ${formatDuration(timeoutMs)})`,
      err,
      true,
    );
  }
}
