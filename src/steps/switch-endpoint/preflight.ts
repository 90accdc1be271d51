// Read-only checks for switch-endpoint (plan --preflight): the hosted zone exists, the record is
// inside it (and not its apex), and the record is a CNAME or does not exist yet. A long TTL on the
// record is a warning: it bounds how long clients keep connecting to the source after the switch.
import type { SwitchEndpointSpec } from '../../plan/types.js';
import type { CheckResult, PreflightContext } from '../step.js';
import { guarded, known, skipped } from '../preflight-helpers.js';
import { LONG_TTL_SECONDS, placementProblem, readRecord, readZone, sameName, wrongTypeText } from './record.js';

export async function switchEndpointPreflight(spec: SwitchEndpointSpec, ctx: PreflightContext): Promise<CheckResult[]> {
  const zoneCheck = 'hosted zone exists';
  if (!known(spec.hostedZoneId)) return [skipped(zoneCheck, 'hostedZoneId', spec.hostedZoneId)];
  let zone: { name: string; privateZone: boolean } | undefined;
  const results = await guarded(zoneCheck, async () => {
    zone = await readZone(ctx.aws, spec.hostedZoneId, { signal: ctx.signal });
    return {
      status: 'pass',
      check: zoneCheck,
      detail: `hosted zone ${spec.hostedZoneId} is ${zone.privateZone ? 'the private' : 'the public'} zone ${zone.name}`,
    };
  });
  if (!zone) return results;

  const placeCheck = 'record is inside the zone';
  if (!known(spec.record)) return [...results, skipped(placeCheck, 'record', spec.record)];
  const problem = placementProblem(spec.record, zone.name);
  if (problem)
    return [...results, { status: 'fail', check: placeCheck, detail: `${problem}; fix "record" or "hostedZoneId"` }];
  results.push({ status: 'pass', check: placeCheck, detail: `${spec.record} is in ${zone.name}` });

  const recordCheck = 'record is a CNAME';
  results.push(
    ...(await guarded(recordCheck, async (): Promise<CheckResult | CheckResult[]> => {
      const found = await readRecord(ctx.aws, spec.hostedZoneId, spec.record, { signal: ctx.signal });
      if (found.kind === 'none')
        return {
          status: 'warn',
          check: recordCheck,
          detail: `${spec.record} does not exist yet: the step will create it as a CNAME`,
        };
      if (found.kind === 'other')
        return {
          status: 'fail',
          check: recordCheck,
          detail: `${wrongTypeText(spec.record, found)}; change it to a CNAME by hand first`,
        };
      const out: CheckResult[] = [];
      const already = known(spec.target) && sameName(found.value, spec.target);
      out.push({
        status: 'pass',
        check: recordCheck,
        detail: `${spec.record} is a CNAME to ${found.value} (TTL ${found.ttl}s)${already ? '; it already points at the target, so the step will send nothing' : ''}`,
      });
      if (!already && found.ttl > LONG_TTL_SECONDS) {
        out.push({
          status: 'warn',
          check: 'record TTL',
          detail: `the record's TTL is ${found.ttl}s: after the switch, clients may keep connecting to ${found.value} for up to ${found.ttl}s. Lower it (e.g. to ${LONG_TTL_SECONDS}s or less) a few days before the cutover`,
        });
      }
      return out;
    })),
  );
  return results;
}
