// What to do about an AWS error: the remedy half of an AwsCallError message. Grouped by the kind of
// failure (permissions, credentials, not found, throttling, wrong state, ...) so every AWS error name
// we have seen, and ones we have not, gets advice a user can act on. A not-found remedy names the
// resource that was not found (the snapshot a restore reads, not the cluster it creates).
// test/aws/error-messages.test.ts pins the message of every mapping.
import type { AwsCallErrorDetails } from './call-details.js';

/** The IAM action(s) a call needs, e.g. rds:CreateDBCluster, s3:ListBucket for ListObjectsV2. */
export function iamActionsFor(service: AwsCallErrorDetails['service'], operation: string): string[] {
  if (service === 's3') {
    if (operation === 'ListObjectsV2' || operation === 'ListObjects') return ['s3:ListBucket'];
    if (operation === 'HeadObject' || operation === 'GetObject') return ['s3:GetObject'];
    return [`s3:${operation}`];
  }
  if (service === 'cloudwatch') return [`cloudwatch:${operation}`];
  if (service === 'route53') return [`route53:${operation}`];
  if (service === 'sns')
    return [
      `sns:${operation}`,
      ...(operation === 'Publish' ? ['kms:GenerateDataKey and kms:Decrypt on the key of an encrypted topic'] : []),
    ];
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

/** What a not-found error says is missing, and the input parameters that name it (first present wins). */
interface Missing {
  what: string;
  keys: string[];
  /** Where the name comes from in the plan, when that helps. */
  hint?: string;
}

const NOT_FOUND: Record<string, Missing> = {
  DBClusterNotFoundFault: { what: 'DB cluster', keys: ['DBClusterIdentifier', 'SourceArn'] },
  // CreateDBCluster names the source instance in ReplicationSourceIdentifier.
  DBInstanceNotFoundFault: {
    what: 'DB instance',
    keys: ['DBInstanceIdentifier', 'ReplicationSourceIdentifier', 'SourceIdentifier'],
  },
  DBSnapshotNotFoundFault: {
    what: 'DB snapshot',
    keys: ['SnapshotIdentifier', 'SourceDBSnapshotIdentifier', 'DBSnapshotIdentifier', 'SourceArn'],
  },
  DBClusterSnapshotNotFoundFault: {
    what: 'DB cluster snapshot',
    keys: ['SnapshotIdentifier', 'DBClusterSnapshotIdentifier', 'SourceArn'],
  },
  DBSubnetGroupNotFoundFault: { what: 'DB subnet group', keys: ['DBSubnetGroupName'], hint: "the step's subnetGroup" },
  DBClusterParameterGroupNotFoundFault: { what: 'DB cluster parameter group', keys: ['DBClusterParameterGroupName'] },
  DBParameterGroupNotFoundFault: { what: 'DB parameter group', keys: ['DBParameterGroupName'] },
  OptionGroupNotFoundFault: { what: 'option group', keys: ['OptionGroupName'] },
  ExportTaskNotFoundFault: { what: 'export task', keys: ['ExportTaskIdentifier'] },
  IamRoleNotFoundFault: { what: 'IAM role', keys: ['IamRoleArn', 'RoleArn'], hint: "the step's iamRole" },
  DBClusterRoleNotFoundFault: { what: 'role association of the cluster', keys: ['RoleArn'] },
  SourceNotFoundFault: { what: 'event source', keys: ['SourceIdentifier'] },
  NoSuchBucket: { what: 'S3 bucket', keys: ['Bucket'] },
  NoSuchKey: { what: 'S3 object', keys: ['Key'] },
  NoSuchHostedZone: { what: 'Route 53 hosted zone', keys: ['HostedZoneId', 'Id'], hint: "the step's hostedZoneId" },
  HostedZoneNotFound: { what: 'Route 53 hosted zone', keys: ['HostedZoneId', 'Id'], hint: "the step's hostedZoneId" },
  NoSuchChange: { what: 'Route 53 change', keys: ['Id'] },
};

/** Names a code under several spellings: S3's HeadObject "NotFound", SNS's "NotFound" / NotFoundException. */
function missingFor(d: AwsCallErrorDetails): Missing | undefined {
  if (d.service === 'sns' && (d.code === 'NotFound' || d.code === 'NotFoundException')) {
    return { what: 'SNS topic', keys: ['TopicArn', 'TargetArn'], hint: "the plan's notify list" };
  }
  if (d.service === 's3' && d.code === 'NotFound') return NOT_FOUND.NoSuchKey;
  return NOT_FOUND[d.code];
}

/** The missing resource as the user wrote it: the identifier parameter, S3 as s3://bucket/key. */
function missingName(d: AwsCallErrorDetails, m: Missing): string | undefined {
  const ids = d.identifiers ?? {};
  if (d.service === 's3' && ids.Bucket) {
    return m.keys[0] === 'Key' && ids.Key ? `s3://${ids.Bucket}/${ids.Key}` : `s3://${ids.Bucket}`;
  }
  for (const key of m.keys) if (ids[key]) return ids[key];
  return undefined;
}

function notFoundRemedy(d: AwsCallErrorDetails, where: string): string | undefined {
  const m = missingFor(d);
  const shared = m && /snapshot/.test(m.what) ? ' (or that it is shared with that account)' : '';
  const owns = `and that the account of these credentials owns it${shared}`;
  if (!m) {
    if (!/NotFound|^NoSuch/.test(d.code)) return undefined;
    const id = d.resourceId ? ` "${d.resourceId}"` : '';
    return `Check that${id} is spelled right and exists${where}, ${owns}.`;
  }
  const name = missingName(d, m);
  const fix = m.hint ? ` Fix ${m.hint} if it is wrong, then run the command again.` : '';
  if (d.code === 'NoSuchChange') {
    return `Route 53 does not know the change${name ? ` "${name}"` : ''}: run the command again (it resumes where it stopped).`;
  }
  if (d.code === 'DBClusterRoleNotFoundFault') {
    return `The IAM role${name ? ` "${name}"` : ''} is not associated with the cluster: run the command again (the step associates it first), or associate it with AddRoleToDBCluster.`;
  }
  const global = d.service === 'route53' || m.what === 'IAM role' || m.what === 'S3 bucket';
  // An ARN says its own region (a cross-region snapshot copy reads from another region).
  const arnRegion = name ? /^arn:[^:]+:[^:]+:([a-z]{2}(?:-[a-z]+)+-\d+):/.exec(name)?.[1] : undefined;
  const at = global ? '' : arnRegion ? ` in region ${arnRegion}` : where;
  return `The ${m.what}${name ? ` "${name}"` : ''} was not found: check that it is spelled right and exists${at}, ${owns}.${fix}`;
}

/** Which input parameter names the resource whose state an Invalid…StateFault is about. */
const STATE_SUBJECT: Record<string, string[]> = {
  InvalidDBClusterStateFault: ['DBClusterIdentifier'],
  InvalidDBInstanceStateFault: ['DBInstanceIdentifier', 'ReplicationSourceIdentifier'],
  InvalidDBInstanceState: ['DBInstanceIdentifier', 'ReplicationSourceIdentifier'],
  InvalidDBSnapshotStateFault: ['SnapshotIdentifier', 'SourceDBSnapshotIdentifier', 'DBSnapshotIdentifier'],
  InvalidDBClusterSnapshotStateFault: ['SnapshotIdentifier', 'DBClusterSnapshotIdentifier'],
  InvalidExportTaskStateFault: ['ExportTaskIdentifier'],
};

export function remedyFor(d: AwsCallErrorDetails): string {
  const code = d.code;
  const ids = d.identifiers ?? {};
  const id = d.resourceId ? ` "${d.resourceId}"` : '';
  const where = d.region
    ? ` in region ${d.region}`
    : " in the region the tool used (--region, the plan's region, or AWS_REGION)";

  if (
    /^(AccessDenied|AccessDeniedException|AccessDeniedFault|UnauthorizedOperation|AuthorizationError|AuthorizationErrorException|NotAuthorized|NotAuthorizedException|Forbidden)$/.test(
      code,
    )
  ) {
    return (
      `The credentials in use are not allowed to do this: grant ${iamActionsFor(d.service, d.operation).join(', ')}` +
      ` to the IAM user or role the tool runs as (check with "aws sts get-caller-identity"), then run the command again.`
    );
  }
  if (code === 'CredentialsProviderError' || code === 'CredentialsError') {
    return `No AWS credentials were found. ${CREDENTIALS_HELP}`;
  }
  if (
    /^(InvalidClientTokenId|UnrecognizedClientException|SignatureDoesNotMatch|InvalidAccessKeyId|IncompleteSignature|AuthFailure|InvalidSecurity|InvalidSecurityException)$/.test(
      code,
    )
  ) {
    return `AWS did not accept the credentials. ${CREDENTIALS_HELP}`;
  }
  if (/^(ExpiredToken|ExpiredTokenException|RequestExpired|TokenRefreshRequired)$/.test(code)) {
    return `The credentials have expired: refresh them (e.g. "aws sso login") and run the command again.`;
  }
  if (code === 'RegionMissing') {
    return 'No AWS region is set: pass --region, set "region:" in the plan, or set AWS_REGION.';
  }
  if (code === 'PriorRequestNotComplete') {
    return `Route 53 is still applying an earlier change to hosted zone${ids.HostedZoneId ? ` "${ids.HostedZoneId}"` : ''} and refused this one even after the SDK's retries: wait a minute and run the command again (it resumes where it stopped).`;
  }
  if (
    /^(Throttling|ThrottlingException|Throttled|ThrottledException|TooManyRequestsException|RequestLimitExceeded|SlowDown|RequestThrottled|RequestThrottledException|ProvisionedThroughputExceededException)$/.test(
      code,
    )
  ) {
    return `AWS kept rate-limiting the call even after the SDK's retries: other tools in this account are probably calling the ${SERVICE_LABEL[d.service]} API heavily. Wait a few minutes and run the command again (it resumes where it stopped).`;
  }
  if (
    code === 'KMSKeyNotAccessibleFault' ||
    /^KMS(AccessDenied|Disabled|InvalidState|NotFound|OptInRequired)(Exception)?$/.test(code)
  ) {
    const key = ids.KmsKeyId ? ` "${ids.KmsKeyId}"` : '';
    const which = d.service === 'sns' ? ' the topic is encrypted with' : key ? '' : ' this call needs';
    return `The KMS key${key}${which} cannot be used: check that it exists${where}, is enabled, and that its key policy lets the IAM user or role the tool runs as use it, then run the command again.`;
  }
  const notFound = notFoundRemedy(d, where);
  if (notFound) return notFound;
  if (/AlreadyExists/.test(code)) {
    return `Something named${id} already exists. If an earlier run of this plan created it, run apply again to adopt it; otherwise pick another identifier in the plan.`;
  }
  if (code === 'InvalidExportSourceStateFault') {
    const source = ids.SourceArn ? ` "${ids.SourceArn}"` : '';
    return `RDS cannot export${source} right now: it must be available, and it allows one export at a time. Wait for the running export (DescribeExportTasks) or the modification to finish, then run the command again.`;
  }
  if (/^Invalid\w*StateFault$|^InvalidDBInstanceState$/.test(code)) {
    const subject = STATE_SUBJECT[code]?.map((k) => ids[k]).find(Boolean);
    const id = subject ? ` "${subject}"` : d.resourceId ? ` "${d.resourceId}"` : '';
    return `The resource${id} is not in a state that allows ${d.operation} right now: look at its status (AWS console or Describe call), wait until it is available, then run the command again.`;
  }
  if (/QuotaExceeded|LimitExceeded|LimitsExceeded|^Insufficient\w*Capacity|^TooMany/.test(code)) {
    return `An account quota or capacity limit was hit: ask for a quota increase (Service Quotas console) or free up resources, then run the command again.`;
  }
  if (code === 'InvalidChangeBatch') {
    const record = ids.RecordName ? ` "${ids.RecordName}"` : '';
    return `Route 53 refused the change of record${record} (AWS's reason is above; e.g. a CNAME at the zone apex, or another record of that name): fix record or target in the plan, then apply again.`;
  }
  if (code === 'InvalidSubnet' || code === 'InvalidVPCNetworkStateFault' || code === 'InvalidDBSubnetGroupFault') {
    return `The network settings do not fit: check that the step's subnetGroup${ids.DBSubnetGroupName ? ` ("${ids.DBSubnetGroupName}")` : ''} and securityGroups belong to one VPC with subnets in at least two Availability Zones, then apply again.`;
  }
  if (code === 'IamRoleMissingPermissionsFault' || code === 'InvalidS3BucketFault') {
    return `The export role${ids.IamRoleArn ? ` "${ids.IamRoleArn}"` : ''} cannot write to the bucket${ids.S3BucketName ? ` "${ids.S3BucketName}"` : ''}: check that the bucket exists${where} and that the role's policy allows s3:PutObject, s3:ListBucket, s3:GetObject, s3:DeleteObject and s3:GetBucketLocation on it, and that RDS (export.rds.amazonaws.com) may assume the role.`;
  }
  if (code === 'InvalidExportOnlyFault') {
    return `StartExportTask refused the step's only list: each entry must name an existing database, schema or table of the cluster (database[.schema[.table]]); fix it in the plan, then apply again.`;
  }
  if (
    /^(InvalidParameterValue|InvalidParameterValueException|InvalidParameterCombination|InvalidParameterCombinationException|InvalidParameter|InvalidParameterException|InvalidInput|MissingParameter|MissingRequiredParameterException|ValidationError|ValidationException|InvalidArgument)$/.test(
      code,
    )
  ) {
    if (d.service === 'sns') {
      return `SNS refused the message parameters: check that the topic ARN in the plan's notify list is complete (arn:aws:sns:REGION:ACCOUNT:NAME); a failed notification is only a warning.`;
    }
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
