// What switch-endpoint reads from Route 53, as plain data: the hosted zone (its name), and the record
// set(s) of one DNS name. Shared by run() and preflight. Names compare the way DNS does: lower-case,
// with or without the trailing dot, Route 53's octal escapes (\052 for "*") decoded.
import type { AwsApi } from '../../aws/api.js';
import type { SwitchEndpointSpec } from '../../plan/types.js';
import { durationMs } from '../../plan/units.js';

export const DEFAULT_TTL = '5s';
export const DEFAULT_SWITCH_TIMEOUT = '10m';
/** GetChange interval: the application is waiting (docs/design.md "Cutover": 5 s for the DNS change). */
export const CHANGE_POLL_MS = 5_000;
/**
 * GetChange during a cutover: the application's writes are down. Twice a second: the slack between
 * INSYNC and the tool noticing is half of this on average, the largest part of the logical route's
 * own share of the downtime (docs/performance.md "Logical route: cutover write downtime"). Route 53
 * allows 5 requests/s per account, shared with other tools (ExternalDNS…): 2/s for the 30–60 s a
 * change is PENDING leaves them 3, and a throttled call is retried by the SDK's adaptive mode.
 */
export const CUTOVER_CHANGE_POLL_MS = 500;
/** A previous TTL above this keeps clients on the old value noticeably long after the switch. */
export const LONG_TTL_SECONDS = 60;

/** "Orders-DB.example.com." → "orders-db.example.com" (for comparing, never for sending). */
export function dnsName(name: string): string {
  return name
    .trim()
    .replace(/\\(\d{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)))
    .toLowerCase()
    .replace(/\.+$/, '');
}

export const sameName = (a: string, b: string) => dnsName(a) === dnsName(b);

/** The hosted zone id without its /hostedzone/ prefix. */
export const zoneIdOf = (id: string) => id.trim().replace(/^\/?hostedzone\//, '');

export const ttlSeconds = (spec: SwitchEndpointSpec) => Math.round(durationMs(spec.ttl, DEFAULT_TTL) / 1000);
export const switchTimeoutMs = (spec: SwitchEndpointSpec) => durationMs(spec.timeout, DEFAULT_SWITCH_TIMEOUT);

/** The one change the step sends (describe() shows exactly this). */
export function changeParams(spec: SwitchEndpointSpec): Record<string, unknown> {
  return {
    HostedZoneId: spec.hostedZoneId,
    ChangeBatch: {
      Comment: 'aurora-migrate switch-endpoint',
      Changes: [
        {
          Action: 'UPSERT',
          ResourceRecordSet: {
            Name: spec.record,
            Type: 'CNAME',
            TTL: ttlSeconds(spec),
            ResourceRecords: [{ Value: spec.target }],
          },
        },
      ],
    },
  };
}

/** How the record was found: absent, a plain CNAME, or something the step will not change. */
export type FoundRecord =
  | { kind: 'none' }
  | { kind: 'cname'; name: string; value: string; ttl: number }
  | { kind: 'other'; name: string; type: string; what: string };

/** The record as the checkpoint and outputs keep it (the way back by hand). */
export type PreviousRecord = 'none' | { type: string; value: string; ttl: number };

export const previousOf = (r: FoundRecord & { kind: 'none' | 'cname' }): PreviousRecord =>
  r.kind === 'none' ? 'none' : { type: 'CNAME', value: r.value, ttl: r.ttl };

interface RecordSetOut {
  Name?: string;
  Type?: string;
  TTL?: number;
  SetIdentifier?: string;
  ResourceRecords?: Array<{ Value?: string }>;
  AliasTarget?: { DNSName?: string; HostedZoneId?: string };
}

export interface ReadOptions {
  signal?: AbortSignal;
}

/** The zone's name (lower-case, no trailing dot) and whether it is private. Throws AwsCallError (NoSuchHostedZone…). */
export async function readZone(
  aws: AwsApi,
  zoneId: string,
  opts: ReadOptions = {},
): Promise<{ name: string; privateZone: boolean }> {
  const out = await aws.send<{ HostedZone?: { Name?: string; Config?: { PrivateZone?: boolean } } }>(
    'route53',
    'GetHostedZone',
    { Id: zoneIdOf(zoneId) },
    opts,
  );
  return { name: dnsName(out.HostedZone?.Name ?? ''), privateZone: out.HostedZone?.Config?.PrivateZone === true };
}

/** Why `record` cannot be a CNAME in zone `zone`, or undefined when it can. */
export function placementProblem(record: string, zone: string): string | undefined {
  const name = dnsName(record);
  if (name === zone) return `${record} is the apex of hosted zone ${zone}, and DNS allows no CNAME at a zone apex`;
  if (!name.endsWith(`.${zone}`))
    return `${record} is not inside hosted zone ${zone} (the record name must end in .${zone})`;
  return undefined;
}

/**
 * Every record set of exactly this name. Lists from StartRecordName without a type: a CNAME can't
 * share its name with another type, so an A or alias record of that name must be seen too.
 */
export async function readRecord(
  aws: AwsApi,
  zoneId: string,
  record: string,
  opts: ReadOptions = {},
): Promise<FoundRecord> {
  const out = await aws.send<{ ResourceRecordSets?: RecordSetOut[] }>(
    'route53',
    'ListResourceRecordSets',
    { HostedZoneId: zoneIdOf(zoneId), StartRecordName: record, MaxItems: 10 },
    opts,
  );
  const sets = (out.ResourceRecordSets ?? []).filter(
    (r): r is RecordSetOut & { Name: string } => r.Name !== undefined && sameName(r.Name, record),
  );
  if (sets.length === 0) return { kind: 'none' };
  const name = sets[0].Name;
  const routed = sets.find((r) => r.SetIdentifier !== undefined);
  if (routed)
    return {
      kind: 'other',
      name,
      type: routed.Type ?? '?',
      what: `a record of type ${routed.Type} with a routing policy (SetIdentifier "${routed.SetIdentifier}")`,
    };
  const alias = sets.find((r) => r.AliasTarget);
  if (alias)
    return {
      kind: 'other',
      name,
      type: alias.Type ?? '?',
      what: `an alias record of type ${alias.Type} (to ${alias.AliasTarget?.DNSName ?? '?'})`,
    };
  const cname = sets.find((r) => r.Type === 'CNAME');
  if (!cname) {
    const types = [...new Set(sets.map((r) => r.Type ?? '?'))].join(', ');
    const values = sets
      .flatMap((r) => (r.ResourceRecords ?? []).map((v) => v.Value ?? ''))
      .slice(0, 3)
      .join(', ');
    return {
      kind: 'other',
      name,
      type: sets[0].Type ?? '?',
      what: `a record of type ${types}${values ? ` (${values})` : ''}`,
    };
  }
  return { kind: 'cname', name, value: cname.ResourceRecords?.[0]?.Value ?? '', ttl: cname.TTL ?? 0 };
}

/** "the record is a CNAME, a type the step can switch" — or the refusal text for any other record. */
export function wrongTypeText(record: string, found: FoundRecord & { kind: 'other' }): string {
  return (
    `${record} is ${found.what}, not a CNAME. switch-endpoint only switches a CNAME; changing a record's type ` +
    `or routing is not done automatically (DNS allows no CNAME beside other records of the same name)`
  );
}
