// Minimal XML writing for the awsQuery (RDS) and REST-XML (S3) answers. Lists are written the way
// the AWS models say: each element wrapped in the member name the service uses (DBClusters →
// <DBCluster>, TagList → <Tag>, ...), or "member" when the model names none.

export function escapeXml(text: string): string {
  return text.replace(
    /[<>&"']/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!,
  );
}

/** List field name → element name of each member (from the RDS model's xmlName traits). */
export const RDS_LIST_MEMBERS: Record<string, string> = {
  DBClusters: 'DBCluster',
  DBInstances: 'DBInstance',
  DBSnapshots: 'DBSnapshot',
  DBClusterMembers: 'DBClusterMember',
  TagList: 'Tag',
  AssociatedRoles: 'DBClusterRole',
  VpcSecurityGroups: 'VpcSecurityGroupMembership',
  ReadReplicaDBClusterIdentifiers: 'ReadReplicaDBClusterIdentifier',
  ReadReplicaDBInstanceIdentifiers: 'ReadReplicaDBInstanceIdentifier',
  Events: 'Event',
  EventCategories: 'EventCategory',
  ExportTasks: 'ExportTask',
  ExportOnly: 'member',
  AvailabilityZones: 'AvailabilityZone',
  DBParameterGroups: 'DBParameterGroup',
  DBClusterParameterGroups: 'DBClusterParameterGroup',
  Parameters: 'Parameter',
};

/** Serialises a plain value as XML children. Dates become ISO-8601, booleans true/false. */
export function toXml(value: unknown, listMembers: Record<string, string> = RDS_LIST_MEMBERS): string {
  if (value === undefined || value === null) return '';
  if (value instanceof Date) return value.toISOString();
  if (typeof value !== 'object') return escapeXml(String(value));
  let out = '';
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    if (v === undefined || v === null) continue;
    if (Array.isArray(v)) {
      const member = listMembers[key] ?? 'member';
      out += `<${key}>${v.map((item) => `<${member}>${toXml(item, listMembers)}</${member}>`).join('')}</${key}>`;
    } else {
      out += `<${key}>${toXml(v, listMembers)}</${key}>`;
    }
  }
  return out;
}

/** Parses an awsQuery form body (Tags.Tag.1.Key=…, VpcSecurityGroupIds.VpcSecurityGroupId.1=…) to plain data. */
export function parseQueryParams(body: string): Record<string, any> {
  const root: Record<string, any> = {};
  for (const [rawKey, value] of new URLSearchParams(body)) {
    const parts = rawKey.split('.');
    let node: any = root;
    parts.forEach((part, i) => {
      if (i === parts.length - 1) node[part] = value;
      else node = node[part] ??= {};
    });
  }
  return collapseLists(root);
}

function collapseLists(node: any): any {
  if (typeof node !== 'object' || node === null) return node;
  const keys = Object.keys(node);
  if (keys.length > 0 && keys.every((k) => /^\d+$/.test(k))) {
    return keys.sort((a, b) => +a - +b).map((k) => collapseLists(node[k]));
  }
  const out: Record<string, any> = {};
  for (const k of keys) {
    let child = collapseLists(node[k]);
    // "Tags": { "Tag": [ ... ] } and "Ids": { "member": [ ... ] } are lists under their member name.
    if (child && typeof child === 'object' && !Array.isArray(child)) {
      const inner = Object.keys(child);
      if (inner.length === 1 && Array.isArray(child[inner[0]!])) child = child[inner[0]!];
    }
    out[k] = child;
  }
  return out;
}
