// ARNs: arn:partition:service:region:account:resource-type:resource-id (RDS uses ':' as separator).

export interface Arn {
  partition: string;
  service: string;
  region: string;
  account: string;
  /** e.g. db, cluster, snapshot, cluster-snapshot */
  resourceType: string;
  resourceId: string;
}

export function isArn(text: string): boolean {
  return text.startsWith('arn:');
}

/** Parses an RDS-style ARN; undefined when it is not one. */
export function parseArn(text: string): Arn | undefined {
  const parts = text.split(':');
  if (parts.length < 7 || parts[0] !== 'arn') return undefined;
  const [, partition, service, region, account, resourceType, ...rest] = parts;
  return { partition, service, region, account, resourceType, resourceId: rest.join(':') };
}

/** The identifier part of an ARN, or the text itself when it is already an identifier. */
export function idOf(idOrArn: string): string {
  return parseArn(idOrArn)?.resourceId ?? idOrArn;
}
