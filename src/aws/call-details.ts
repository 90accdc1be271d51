// What an AWS call that failed was about: the facts both the error message and its remedy are made of.
import type { AwsService } from './api.js';

export interface AwsCallErrorDetails {
  code: string;
  service: AwsService;
  operation: string;
  /** The resource the call was about (cluster id, instance id, bucket/key, ...), when the input names one. */
  resourceId?: string;
  /**
   * Every resource the input names, by AWS's parameter name (SnapshotIdentifier, DBSubnetGroupName,
   * HostedZoneId, TopicArn, ...), so a not-found remedy can name the one that is missing rather than
   * the one the call is about. Only names, ids and ARNs: never message bodies or secrets.
   */
  identifiers?: Readonly<Record<string, string>>;
  region?: string;
  httpStatus?: number;
  /** How many attempts the SDK made (the adaptive retry mode retries throttling and 5xx). */
  attempts?: number;
  requestId?: string;
  /** AWS's own message, e.g. "DBCluster orders-aurora already exists". */
  awsMessage?: string;
}

/** Top-level input fields that name a resource: ids, names, ARNs, S3 bucket and key. */
const IDENTIFIER_KEY =
  /^(?!.*(Password|Secret|Token|Message|Subject|Body))(\w*(Identifier|Arn|Name|Id)|Bucket|Key|Prefix)$/;

/** The resource names in a call's input (see AwsCallErrorDetails.identifiers). */
export function identifiersOf(service: AwsService, input: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(input)) {
    if (typeof value === 'string' && value !== '' && IDENTIFIER_KEY.test(key)) out[key] = value;
  }
  if (service === 'route53') {
    // ChangeResourceRecordSets: the record is inside the change batch.
    const change = (
      input.ChangeBatch as { Changes?: Array<{ ResourceRecordSet?: { Name?: unknown; Type?: unknown } }> } | undefined
    )?.Changes?.[0];
    const rrset = change?.ResourceRecordSet;
    if (typeof rrset?.Name === 'string') out.RecordName = rrset.Name;
    if (typeof rrset?.Type === 'string') out.RecordType = rrset.Type;
  }
  return out;
}
