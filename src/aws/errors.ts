// AwsCallError: every error an AWS call ends with, as one class the engine and steps can branch on.
// `code` is AWS's own error name (the SDK's err.name: DBClusterAlreadyExistsFault, Throttling, ...),
// so a step can adopt on "already exists" and the user reads which call, which resource, and what
// to check. The SDK error stays as `cause`. Messages never contain credentials.
import { AuroraMigrateError } from '../errors.js';
import type { AwsService } from './api.js';
import type { AwsCallErrorDetails } from './call-details.js';
import { remedyFor } from './remedies.js';

export type { AwsCallErrorDetails } from './call-details.js';

export class AwsCallError extends AuroraMigrateError {
  readonly code: string;
  readonly service: AwsService;
  readonly operation: string;
  readonly resourceId?: string;
  readonly identifiers?: Readonly<Record<string, string>>;
  readonly region?: string;
  readonly httpStatus?: number;
  readonly attempts?: number;
  readonly requestId?: string;
  readonly awsMessage?: string;

  constructor(details: AwsCallErrorDetails, options?: { cause?: unknown }) {
    super(formatAwsCallMessage(details), options);
    this.code = details.code;
    this.service = details.service;
    this.operation = details.operation;
    this.resourceId = details.resourceId;
    this.identifiers = details.identifiers;
    this.region = details.region;
    this.httpStatus = details.httpStatus;
    this.attempts = details.attempts;
    this.requestId = details.requestId;
    this.awsMessage = details.awsMessage;
  }
}

/** True when `err` is an AwsCallError with one of these AWS error names. */
export function isAwsError(err: unknown, ...codes: string[]): err is AwsCallError {
  return err instanceof AwsCallError && (codes.length === 0 || codes.includes(err.code));
}

const SERVICE_NAMES: Record<AwsService, string> = {
  rds: 'RDS',
  cloudwatch: 'CloudWatch',
  s3: 'S3',
  route53: 'Route 53',
  sns: 'SNS',
};

/** "RDS CreateDBCluster for orders-aurora (us-east-1) failed: DBClusterAlreadyExistsFault: <aws message>. <remedy>" */
export function formatAwsCallMessage(d: AwsCallErrorDetails): string {
  const subject = subjectOf(d);
  const about = subject ? ` for ${subject}` : '';
  // Route 53 is global: the region it is signed for says nothing to the reader.
  const where = d.region && d.service !== 'route53' ? ` (${d.region})` : '';
  const tries = d.attempts && d.attempts > 1 ? ` after ${d.attempts} attempts` : '';
  const text = d.awsMessage?.trim().replace(/\.+$/, '');
  // The SDK says "UnknownError" when AWS sent no text (S3 HEAD requests have no body).
  const aws = text && text !== d.code && text !== 'UnknownError' ? `: ${redact(text)}` : '';
  return `${SERVICE_NAMES[d.service]} ${d.operation}${about}${where} failed${tries}: ${d.code}${aws}. ${remedyFor(d)}`;
}

/** What the call was about: its resource, else (Route 53, SNS) the hosted zone, topic or change it names. */
function subjectOf(d: AwsCallErrorDetails): string | undefined {
  if (d.resourceId) return d.resourceId;
  const ids = d.identifiers ?? {};
  if (d.service === 'route53')
    return ids.RecordName && ids.HostedZoneId
      ? `${ids.RecordName} in ${ids.HostedZoneId}`
      : (ids.HostedZoneId ?? ids.Id);
  if (d.service === 'sns') return ids.TopicArn ?? ids.TargetArn;
  return undefined;
}

/** Removes anything that looks like an access key, secret or session token from AWS's text. */
export function redact(text: string): string {
  return text
    .replace(/\b(AKIA|ASIA)[A-Z0-9]{12,}\b/g, '***')
    .replace(/(Credential=)[^,\s]+/g, '$1***')
    .replace(/(X-Amz-Security-Token=|x-amz-security-token:\s*)[^&\s]+/gi, '$1***')
    .replace(/(Signature=)[0-9a-f]+/gi, '$1***');
}
