// Route 53 (REST-XML, API version 2013-04-01) as the real @aws-sdk/client-route-53 speaks it, over
// in-memory hosted zones: GetHostedZone, ListHostedZonesByName, ListResourceRecordSets
// (StartRecordName/Type, MaxItems, truncation), ChangeResourceRecordSets (CREATE / UPSERT / DELETE,
// all-or-nothing per batch) and GetChange (PENDING for `changePendingMs` of stand-in time, then
// INSYNC). Names are stored lower-case with a trailing dot, as Route 53 returns them. Rules enforced
// the way Route 53 answers them (InvalidChangeBatch): no CNAME at the zone apex, no CNAME beside
// another type of the same name, names must be inside the zone, CREATE of an existing set and
// DELETE of a missing or different one fail. Errors: NoSuchHostedZone, NoSuchChange. Alias records
// (A/AAAA to a load balancer, ...) can be seeded and are listed with their AliasTarget, but not changed.
import { escapeXml } from './xml.js';
import { requestId, type StandinRequest, type StandinResponse } from './http-types.js';

const NS = 'https://route53.amazonaws.com/doc/2013-04-01/';

export interface HostedZoneSeed {
  /** Zone id without the /hostedzone/ prefix, e.g. Z0123456789ABCDEFGHIJ. */
  id: string;
  /** Zone name, e.g. internal.example.com (trailing dot optional). */
  name: string;
  privateZone?: boolean;
}

export interface RecordSeed {
  zoneId: string;
  name: string;
  type: string;
  ttl?: number;
  values: string[];
  /** An alias record (no TTL, no values of its own): listed with this AliasTarget. */
  alias?: AliasTarget;
}

export interface AliasTarget {
  dnsName: string;
  hostedZoneId: string;
  evaluateTargetHealth?: boolean;
}

export interface RecordSet {
  name: string;
  type: string;
  ttl: number;
  values: string[];
  alias?: AliasTarget;
}

interface Zone {
  id: string;
  name: string;
  privateZone: boolean;
  records: Map<string, RecordSet>;
}

interface ChangeRecord {
  id: string;
  submittedAt: number;
  insyncAt: number;
}

export class Route53Error extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

/** "Orders-DB.example.com" → "orders-db.example.com." */
export function fqdn(name: string): string {
  const lower = name.trim().toLowerCase();
  return lower.endsWith('.') ? lower : `${lower}.`;
}

const stripId = (id: string) => id.replace(/^\/?(hostedzone|change)\//, '');
const recordKey = (name: string, type: string) => `${fqdn(name)}|${type.toUpperCase()}`;
/** DNS order: labels compared from the right (com. < example.com. < a.example.com.), then type. */
const sortKey = (r: { name: string; type: string }) => `${fqdn(r.name).split('.').reverse().join('.')}\u0000${r.type}`;

export class Route53World {
  private zones = new Map<string, Zone>();
  private changes = new Map<string, ChangeRecord>();
  private changeCounter = 0;

  constructor(
    private readonly now: () => number,
    public changePendingMs = 30_000,
  ) {}

  seedZone(seed: HostedZoneSeed): void {
    const name = fqdn(seed.name);
    const id = stripId(seed.id);
    const zone: Zone = { id, name, privateZone: seed.privateZone ?? false, records: new Map() };
    // Every zone Route 53 makes has its SOA and NS records at the apex.
    zone.records.set(recordKey(name, 'SOA'), {
      name,
      type: 'SOA',
      ttl: 900,
      values: [`ns-1.standin.invalid. hostmaster.${name} 1 7200 900 1209600 86400`],
    });
    zone.records.set(recordKey(name, 'NS'), {
      name,
      type: 'NS',
      ttl: 172800,
      values: ['ns-1.standin.invalid.', 'ns-2.standin.invalid.'],
    });
    this.zones.set(id, zone);
  }

  seedRecord(seed: RecordSeed): void {
    const zone = this.zone(seed.zoneId);
    const alias = seed.alias ? { ...seed.alias, dnsName: fqdn(seed.alias.dnsName) } : undefined;
    this.apply(zone, [
      {
        action: 'UPSERT',
        set: {
          name: seed.name,
          type: seed.type.toUpperCase(),
          ttl: seed.ttl ?? 300,
          values: seed.values,
          ...(alias ? { alias } : {}),
        },
      },
    ]);
  }

  /** The record set as stored, for tests and the rehearsal's forwarder (no call is counted). */
  record(name: string, type = 'CNAME', zoneId?: string): RecordSet | undefined {
    const zones = zoneId ? [this.zone(zoneId)] : [...this.zones.values()];
    for (const z of zones) {
      const r = z.records.get(recordKey(name, type));
      if (r) return { ...r, values: [...r.values], ...(r.alias ? { alias: { ...r.alias } } : {}) };
    }
    return undefined;
  }

  zone(id: string): Zone {
    const zone = this.zones.get(stripId(id));
    if (!zone) throw new Route53Error('NoSuchHostedZone', `No hosted zone found with ID: ${stripId(id)}`, 404);
    return zone;
  }

  zonesByName(): Zone[] {
    return [...this.zones.values()].sort(
      (a, b) =>
        sortKey({ name: a.name, type: '' }).localeCompare(sortKey({ name: b.name, type: '' })) ||
        a.id.localeCompare(b.id),
    );
  }

  listRecords(zoneId: string, start?: { name?: string; type?: string }): RecordSet[] {
    const zone = this.zone(zoneId);
    const all = [...zone.records.values()].sort((a, b) =>
      sortKey(a) < sortKey(b) ? -1 : sortKey(a) > sortKey(b) ? 1 : 0,
    );
    if (!start?.name) return all;
    const from = sortKey({ name: start.name, type: start.type?.toUpperCase() ?? '' });
    return all.filter((r) => sortKey(r) >= from);
  }

  /** Applies a batch atomically (every change checked first) and returns the change's id. */
  change(zoneId: string, changes: Array<{ action: string; set: RecordSet }>): ChangeRecord {
    const zone = this.zone(zoneId);
    this.apply(zone, changes);
    this.changeCounter += 1;
    const id = `C${(this.changeCounter.toString(16) + this.now().toString(16)).toUpperCase().padStart(20, '0').slice(-20)}`;
    const at = this.now();
    const record = { id, submittedAt: at, insyncAt: at + this.changePendingMs };
    this.changes.set(id, record);
    return record;
  }

  getChange(id: string): ChangeRecord & { status: 'PENDING' | 'INSYNC' } {
    const change = this.changes.get(stripId(id));
    if (!change)
      throw new Route53Error(
        'NoSuchChange',
        `A change with the specified change ID does not exist: ${stripId(id)}`,
        404,
      );
    return { ...change, status: this.now() >= change.insyncAt ? 'INSYNC' : 'PENDING' };
  }

  private apply(zone: Zone, changes: Array<{ action: string; set: RecordSet }>): void {
    const next = new Map(zone.records);
    const problems: string[] = [];
    for (const { action, set } of changes) {
      const name = fqdn(set.name);
      const type = set.type.toUpperCase();
      const key = recordKey(name, type);
      const rrset: RecordSet = {
        name,
        type,
        ttl: set.ttl,
        values: [...set.values],
        ...(set.alias ? { alias: set.alias } : {}),
      };
      if (name !== zone.name && !name.endsWith(`.${zone.name}`)) {
        problems.push(`RRSet with DNS name ${name} is not permitted in zone ${zone.name}`);
        continue;
      }
      if (action === 'DELETE') {
        const existing = next.get(key);
        if (!existing || existing.ttl !== rrset.ttl || existing.values.join('\n') !== rrset.values.join('\n')) {
          problems.push(`Tried to delete resource record set [name='${name}', type='${type}'] but it was not found`);
        } else next.delete(key);
        continue;
      }
      if (action !== 'CREATE' && action !== 'UPSERT') {
        problems.push(`Unknown action ${action}`);
        continue;
      }
      if (action === 'CREATE' && next.has(key)) {
        problems.push(`Tried to create resource record set [name='${name}', type='${type}'] but it already exists`);
        continue;
      }
      if (type === 'CNAME' && name === zone.name) {
        problems.push(`RRSet of type CNAME with DNS name ${name} is not permitted at apex in zone ${zone.name}`);
        continue;
      }
      const others = [...next.values()].filter((r) => r.name === name && r.type !== type);
      const conflict = type === 'CNAME' ? others[0] : others.find((r) => r.type === 'CNAME');
      if (conflict) {
        problems.push(
          `RRSet of type ${type} with DNS name ${name} is not permitted because a conflicting RRSet of type ${conflict.type} with the same DNS name already exists in zone ${zone.name}`,
        );
        continue;
      }
      if (type === 'CNAME' && rrset.values.length !== 1) {
        problems.push(`RRSet of type CNAME with DNS name ${name} must have exactly one value`);
        continue;
      }
      if (!rrset.alias && (rrset.values.length === 0 || !Number.isInteger(rrset.ttl) || rrset.ttl < 0)) {
        problems.push(`Invalid resource record set [name='${name}', type='${type}']: it needs values and a TTL >= 0`);
        continue;
      }
      next.set(key, rrset);
    }
    if (problems.length) throw new Route53Error('InvalidChangeBatch', `[${problems.join(', ')}]`, 400);
    zone.records = next;
  }
}

// ---- wire format ----

/** Operation and resource of a Route 53 REST request (for counting, faults and routing). */
export function route53OperationOf(req: StandinRequest): { operation: string; resourceId?: string } {
  const p = req.path.replace(/^\/2013-04-01/, '');
  const m = req.method.toUpperCase();
  const rrset = /^\/hostedzone\/([^/]+)\/rrset\/?$/.exec(p);
  if (rrset) {
    return {
      operation: m === 'POST' ? 'ChangeResourceRecordSets' : 'ListResourceRecordSets',
      resourceId: decodeURIComponent(rrset[1]!),
    };
  }
  const zone = /^\/hostedzone\/([^/]+)\/?$/.exec(p);
  if (zone && m === 'GET') return { operation: 'GetHostedZone', resourceId: decodeURIComponent(zone[1]!) };
  const change = /^\/change\/([^/]+)\/?$/.exec(p);
  if (change && m === 'GET') return { operation: 'GetChange', resourceId: decodeURIComponent(change[1]!) };
  if (/^\/hostedzonesbyname\/?$/.test(p) && m === 'GET') return { operation: 'ListHostedZonesByName' };
  return { operation: 'Unknown' };
}

export function route53ErrorResponse(code: string, message: string, status = 400): StandinResponse {
  const type = status >= 500 ? 'Receiver' : 'Sender';
  const body =
    `<?xml version="1.0"?>\n<ErrorResponse xmlns="${NS}"><Error><Type>${type}</Type><Code>${escapeXml(code)}</Code>` +
    `<Message>${escapeXml(message)}</Message></Error><RequestId>${requestId()}</RequestId></ErrorResponse>`;
  return { status, headers: { 'Content-Type': 'text/xml', 'x-amzn-RequestId': requestId() }, body };
}

const ok = (root: string, inner: string): StandinResponse => ({
  status: 200,
  headers: { 'Content-Type': 'text/xml', 'x-amzn-RequestId': requestId() },
  body: `<?xml version="1.0"?>\n<${root} xmlns="${NS}">${inner}</${root}>`,
});

const changeInfoXml = (c: { id: string; status: string; submittedAt: number }) =>
  `<ChangeInfo><Id>/change/${c.id}</Id><Status>${c.status}</Status><SubmittedAt>${new Date(c.submittedAt).toISOString()}</SubmittedAt></ChangeInfo>`;

const recordSetXml = (r: RecordSet) =>
  `<ResourceRecordSet><Name>${escapeXml(r.name)}</Name><Type>${r.type}</Type>` +
  (r.alias
    ? `<AliasTarget><HostedZoneId>${escapeXml(r.alias.hostedZoneId)}</HostedZoneId><DNSName>${escapeXml(r.alias.dnsName)}</DNSName>` +
      `<EvaluateTargetHealth>${r.alias.evaluateTargetHealth ?? false}</EvaluateTargetHealth></AliasTarget>`
    : `<TTL>${r.ttl}</TTL><ResourceRecords>` +
      r.values.map((v) => `<ResourceRecord><Value>${escapeXml(v)}</Value></ResourceRecord>`).join('') +
      `</ResourceRecords>`) +
  `</ResourceRecordSet>`;

const zoneXml = (z: Zone) =>
  `<HostedZone><Id>/hostedzone/${z.id}</Id><Name>${escapeXml(z.name)}</Name><CallerReference>standin-${z.id}</CallerReference>` +
  `<Config><PrivateZone>${z.privateZone}</PrivateZone></Config><ResourceRecordSetCount>${z.records.size}</ResourceRecordSetCount></HostedZone>`;

export function handleRoute53(
  world: Route53World,
  req: StandinRequest,
  operation: string,
  resourceId: string | undefined,
): StandinResponse {
  try {
    switch (operation) {
      case 'GetHostedZone': {
        const z = world.zone(resourceId!);
        return ok('GetHostedZoneResponse', zoneXml(z));
      }
      case 'ListHostedZonesByName': {
        const dnsName = req.query.get('dnsname');
        const max = clampMax(req.query.get('maxitems'), 100);
        let zones = world.zonesByName();
        if (dnsName)
          zones = zones.filter((z) => sortKey({ name: z.name, type: '' }) >= sortKey({ name: dnsName, type: '' }));
        const page = zones.slice(0, max);
        const more = zones.length > max ? zones[max] : undefined;
        return ok(
          'ListHostedZonesByNameResponse',
          `<HostedZones>${page.map(zoneXml).join('')}</HostedZones>` +
            (dnsName ? `<DNSName>${escapeXml(fqdn(dnsName))}</DNSName>` : '') +
            `<IsTruncated>${more !== undefined}</IsTruncated><MaxItems>${max}</MaxItems>` +
            (more
              ? `<NextDNSName>${escapeXml(more.name)}</NextDNSName><NextHostedZoneId>${more.id}</NextHostedZoneId>`
              : ''),
        );
      }
      case 'ListResourceRecordSets': {
        const max = clampMax(req.query.get('maxitems'), 300);
        const type = req.query.get('type') ?? undefined;
        const name = req.query.get('name') ?? undefined;
        if (type && !name)
          throw new Route53Error(
            'InvalidInput',
            'The input is not valid: a StartRecordType needs a StartRecordName',
            400,
          );
        const records = world.listRecords(resourceId!, { name, type });
        const page = records.slice(0, max);
        const more = records.length > max ? records[max] : undefined;
        return ok(
          'ListResourceRecordSetsResponse',
          `<ResourceRecordSets>${page.map(recordSetXml).join('')}</ResourceRecordSets><IsTruncated>${more !== undefined}</IsTruncated>` +
            `<MaxItems>${max}</MaxItems>` +
            (more
              ? `<NextRecordName>${escapeXml(more.name)}</NextRecordName><NextRecordType>${more.type}</NextRecordType>`
              : ''),
        );
      }
      case 'ChangeResourceRecordSets': {
        const changes = parseChangeBatch(req.body.toString('utf8'));
        if (changes.length === 0)
          throw new Route53Error('InvalidInput', 'The input is not valid: ChangeBatch.Changes must not be empty', 400);
        const change = world.change(resourceId!, changes);
        return ok('ChangeResourceRecordSetsResponse', changeInfoXml({ ...change, status: 'PENDING' }));
      }
      case 'GetChange':
        return ok('GetChangeResponse', changeInfoXml(world.getChange(resourceId!)));
      default:
        return route53ErrorResponse('InvalidAction', `The stand-in does not implement ${req.method} ${req.path}`, 400);
    }
  } catch (err) {
    if (err instanceof Route53Error) return route53ErrorResponse(err.code, err.message, err.status);
    throw err;
  }
}

function clampMax(raw: string | null, fallback: number): number {
  const n = raw === null ? fallback : Number(raw);
  if (!Number.isInteger(n) || n < 1)
    throw new Route53Error('InvalidInput', `The input is not valid: maxitems ${raw}`, 400);
  return Math.min(n, fallback);
}

// ---- a tiny XML reader for the one request body we parse ----

interface XmlNode {
  name: string;
  children: XmlNode[];
  text: string;
}

function parseXml(text: string): XmlNode {
  const root: XmlNode = { name: '#root', children: [], text: '' };
  const stack = [root];
  const re = /<(\/?)([A-Za-z_][\w.:-]*)[^>]*?(\/?)>|<\?[^>]*\?>|<!--[\s\S]*?-->|([^<]+)/g;
  for (const m of text.matchAll(re)) {
    const top = stack[stack.length - 1]!;
    if (m[4] !== undefined) top.text += decodeXml(m[4]);
    else if (m[2] === undefined) continue;
    else if (m[1]) {
      if (top.name !== m[2])
        throw new Route53Error('InvalidInput', `The XML document is malformed near </${m[2]}>`, 400);
      stack.pop();
    } else {
      const node: XmlNode = { name: m[2], children: [], text: '' };
      top.children.push(node);
      if (!m[3]) stack.push(node);
    }
  }
  return root;
}

const decodeXml = (s: string) =>
  s.replace(/&(lt|gt|amp|quot|apos|#\d+|#x[0-9a-f]+);/gi, (_, e: string) =>
    e[0] === '#'
      ? String.fromCodePoint(e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10))
      : ({ lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" } as Record<string, string>)[e.toLowerCase()]!,
  );

const child = (n: XmlNode | undefined, name: string) => n?.children.find((c) => c.name === name);
const all = (n: XmlNode | undefined, name: string) => n?.children.filter((c) => c.name === name) ?? [];

export function parseChangeBatch(body: string): Array<{ action: string; set: RecordSet }> {
  const req = child(parseXml(body), 'ChangeResourceRecordSetsRequest');
  const changes = child(child(req, 'ChangeBatch'), 'Changes');
  return all(changes, 'Change').map((c) => {
    const set = child(c, 'ResourceRecordSet');
    const ttlText = child(set, 'TTL')?.text.trim();
    if (child(set, 'AliasTarget'))
      throw new Route53Error('InvalidInput', 'The stand-in does not model alias records', 400);
    return {
      action: child(c, 'Action')?.text.trim() ?? '',
      set: {
        name: child(set, 'Name')?.text.trim() ?? '',
        type: child(set, 'Type')?.text.trim() ?? '',
        ttl: ttlText === undefined ? NaN : Number(ttlText),
        values: all(child(set, 'ResourceRecords'), 'ResourceRecord').map((r) => child(r, 'Value')?.text.trim() ?? ''),
      },
    };
  });
}
