// What to do about an AWS error: the remedy half of an AwsCallError message. Grouped by the kind of
// failure (permissions, credentials, not found, throttling, wrong state, ...) so every AWS error name
// we have seen, and ones we have not, gets advice a user can act on.
import type { AwsCallErrorDetails } from './call-details.js';

/** The IAM action(s) a call needs, e.g. rds:CreateDBCluster, s3:ListBucket for ListObjectsV2. */
export function iamActionsFor(service: AwsCallErrorDetails['service'], operation: string): string[] {
  if (service === 's3') {
    if (operation === 'ListObjectsV2' || operation === 'ListObjects') return ['s3:ListBucket'];
    if (operation === 'HeadObject' || operation === 'GetObject') return ['s3:GetObject'];
    return [`s3:${operation}`];
  }
  if (service === 'cloudwatch') return [`cloudwatch:${operation}`];
  const extra: Record<string, string[]> = {
    AddRoleToDBCluster: ['iam:PassRole on the role'],
    StartExportTask: ['iam:PassRole on the export role', 'kms:CreateGrant and kms:DescribeKey on the KMS key'],
    CreateDBCluster: ['kms:CreateGrant and kms:DescribeKey on the KMS key (encrypted sources)'],
    RestoreDBClusterFromSnapshot: ['kms:CreateGrant and kms:DescribeKey on the KMS key (encrypted snapshots)'],
  };
  return [`rds:${operation}`, ...(extra[operation] ?? [])];
}

const SERVICE_LABEL = { rds: 'RDS', cloudwatch: 'CloudWatch', s3: 'S3', route53: 'Route 53', sns: 'SNS' } as const;

const CREDENTIALS_HELP =
  'Set AWS_PROFILE (or pass --profile) to a profile in ~/.aws/config, or set AWS_ACCESS_KEY_ID and ' +
  'AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary credentials); for SSO profiles run ' +
  '"aws sso login --profile NAME" first.';

export function remedyFor(d: AwsCallErrorDetails): string {
  const code = d.code;
  const id = d.resourceId ? ` "${d.resourceId}"` : '';
  const region = d.region ? ` in region ${d.region}` : ' in the region the tool used (--region, the plan\'s region, or AWS_REGION)';

  if (/^(AccessDenied|AccessDeniedException|AccessDeniedFault|UnauthorizedOperation|AuthorizationError|NotAuthorized|Forbidden)$/.test(code)) {
    return `The credentials in use are not allowed to do this: grant ${iamActionsFor(d.service, d.operation).join(', ')}` +
      ` to the IAM user or role the tool runs as (check with "aws sts get-caller-identity"), then run the command again.`;
  }
  if (code === 'CredentialsProviderError' || code === 'CredentialsError') {
    return `No AWS credentials were found. ${CREDENTIALS_HELP}`;
  }
  if (/^(InvalidClientTokenId|UnrecognizedClientException|SignatureDoesNotMatch|InvalidAccessKeyId|IncompleteSignature|AuthFailure)$/.test(code)) {
    return `AWS did not accept the credentials. ${CREDENTIALS_HELP}`;
  }
  if (/^(ExpiredToken|ExpiredTokenException|RequestExpired|TokenRefreshRequired)$/.test(code)) {
    return `The credentials have expired: refresh them (e.g. "aws sso login") and run the command again.`;
  }
  if (code === 'RegionMissing') {
    return 'No AWS region is set: pass --region, set "region:" in the plan, or set AWS_REGION.';
  }
  if (/^(Throttling|ThrottlingException|TooManyRequestsException|RequestLimitExceeded|SlowDown|RequestThrottled|RequestThrottledException|ProvisionedThroughputExceededException)$/.test(code)) {
    return `AWS kept rate-limiting the call even after the SDK's retries: other tools in this account are probably calling the ${SERVICE_LABEL[d.service]} API heavily. Wait a few minutes and run the command again (it resumes where it stopped).`;
  }
  if (/(NotFound|NotFoundFault|^NoSuchKey$|^NoSuchBucket$|^NotFound$)/.test(code)) {
    return `Check that${id} is spelled right and exists${region}, and that the account of these credentials owns it.`;
  }
  if (/AlreadyExists/.test(code)) {
    return `Something named${id} already exists. If an earlier run of this plan created it, run apply again to adopt it; otherwise pick another identifier in the plan.`;
  }
  if (/^Invalid\w*StateFault$|^InvalidDBInstanceState$|^InvalidExportTaskStateFault$|^InvalidExportSourceStateFault$/.test(code)) {
    return `The resource${id} is not in a state that allows ${d.operation} right now: look at its status (AWS console or Describe call), wait until it is available, then run the command again.`;
  }
  if (/QuotaExceeded|LimitExceeded|InsufficientDBInstanceCapacity|StorageQuotaExceeded/.test(code)) {
    return `An account quota or capacity limit was hit: ask for a quota increase (Service Quotas console) or free up resources, then run the command again.`;
  }
  if (/^(InvalidParameterValue|InvalidParameterValueException|InvalidParameterCombination|InvalidParameterCombinationException|MissingParameter|MissingRequiredParameterException|ValidationError|ValidationException|InvalidArgument)$/.test(code)) {
    return `AWS rejected the parameters of this call: fix the corresponding field in the plan (see the message above), run "aurora-migrate validate", then apply again.`;
  }
  if (code === 'NetworkingError' || code === 'TimeoutError' || /^E[A-Z]+$/.test(code)) {
    return `The AWS endpoint could not be reached: check the network, proxy settings, and any AWS_ENDPOINT_URL* variables, then run the command again.`;
  }
  if (d.httpStatus !== undefined && d.httpStatus >= 500) {
    return `AWS had an internal error even after retries: wait a few minutes and run the command again; if it persists, check the AWS Health Dashboard.`;
  }
  return `Check the AWS documentation for ${d.operation} and the error ${code}; fix the cause and run the command again (it resumes where it stopped).`;
}
