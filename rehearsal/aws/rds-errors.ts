// RDS errors in AWS's awsQuery format. The wire code is not always the SDK's name: the RDS model maps
// e.g. DBInstanceNotFoundFault ⇄ "DBInstanceNotFound" (awsQueryError trait), and the SDK turns the
// wire code back into its named exception. The table below is copied from those traits in
// @aws-sdk/client-rds's schema, so the stand-in sends what AWS sends.
import { escapeXml } from './xml.js';
import { requestId, type StandinResponse } from './http-types.js';

/** SDK exception name → [wire code, HTTP status]. */
export const RDS_ERRORS: Record<string, [string, number]> = {
  DBClusterAlreadyExistsFault: ['DBClusterAlreadyExistsFault', 400],
  DBClusterNotFoundFault: ['DBClusterNotFoundFault', 404],
  DBClusterRoleAlreadyExistsFault: ['DBClusterRoleAlreadyExists', 400],
  DBClusterRoleNotFoundFault: ['DBClusterRoleNotFound', 404],
  DBClusterRoleQuotaExceededFault: ['DBClusterRoleQuotaExceeded', 400],
  DBInstanceAlreadyExistsFault: ['DBInstanceAlreadyExists', 400],
  DBInstanceNotFoundFault: ['DBInstanceNotFound', 404],
  DBSnapshotAlreadyExistsFault: ['DBSnapshotAlreadyExists', 400],
  DBSnapshotNotFoundFault: ['DBSnapshotNotFound', 404],
  DBClusterSnapshotNotFoundFault: ['DBClusterSnapshotNotFoundFault', 404],
  DBClusterParameterGroupNotFoundFault: ['DBClusterParameterGroupNotFound', 404],
  DBParameterGroupAlreadyExistsFault: ['DBParameterGroupAlreadyExists', 400],
  DBParameterGroupNotFoundFault: ['DBParameterGroupNotFound', 404],
  InvalidDBParameterGroupStateFault: ['InvalidDBParameterGroupState', 400],
  DBSubnetGroupNotFoundFault: ['DBSubnetGroupNotFoundFault', 404],
  ExportTaskAlreadyExistsFault: ['ExportTaskAlreadyExists', 400],
  ExportTaskNotFoundFault: ['ExportTaskNotFound', 404],
  IamRoleNotFoundFault: ['IamRoleNotFound', 404],
  InvalidDBClusterStateFault: ['InvalidDBClusterStateFault', 400],
  InvalidDBInstanceStateFault: ['InvalidDBInstanceState', 400],
  InvalidDBSnapshotStateFault: ['InvalidDBSnapshotState', 400],
  InvalidExportOnlyFault: ['InvalidExportOnly', 400],
  InvalidExportSourceStateFault: ['InvalidExportSourceState', 400],
  InvalidS3BucketFault: ['InvalidS3BucketFault', 400],
  KMSKeyNotAccessibleFault: ['KMSKeyNotAccessibleFault', 400],
  StorageQuotaExceededFault: ['StorageQuotaExceeded', 400],
};

/** Errors of the common awsQuery set (no model shape; the SDK names them after the code). */
const COMMON_STATUS: Record<string, number> = {
  Throttling: 400,
  InvalidParameterValue: 400,
  InvalidParameterCombination: 400,
  MissingParameter: 400,
  AccessDenied: 403,
  InvalidClientTokenId: 403,
  InternalFailure: 500,
  ServiceUnavailable: 503,
  InvalidAction: 400,
};

/** An error the RDS handlers throw; the router turns it into an ErrorResponse. */
export class RdsFault extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** `code` may be the SDK name (DBInstanceNotFoundFault) or the wire code (DBInstanceNotFound). */
export function rdsErrorResponse(code: string, message: string, status?: number): StandinResponse {
  const known = RDS_ERRORS[code] ?? Object.values(RDS_ERRORS).find(([wire]) => wire === code);
  const wire = known ? known[0] : code;
  const httpStatus = status ?? known?.[1] ?? COMMON_STATUS[code] ?? 400;
  const type = httpStatus >= 500 ? 'Receiver' : 'Sender';
  const body =
    `<ErrorResponse xmlns="http://rds.amazonaws.com/doc/2014-10-31/"><Error><Type>${type}</Type><Code>${escapeXml(wire)}</Code>` +
    `<Message>${escapeXml(message)}</Message></Error><RequestId>${requestId()}</RequestId></ErrorResponse>`;
  return { status: httpStatus, headers: { 'Content-Type': 'text/xml' }, body };
}

/** A successful awsQuery answer: <XResponse><XResult>…</XResult><ResponseMetadata>… */
export function rdsResultResponse(operation: string, resultXml: string): StandinResponse {
  const body =
    `<${operation}Response xmlns="http://rds.amazonaws.com/doc/2014-10-31/"><${operation}Result>${resultXml}</${operation}Result>` +
    `<ResponseMetadata><RequestId>${requestId()}</RequestId></ResponseMetadata></${operation}Response>`;
  return { status: 200, headers: { 'Content-Type': 'text/xml' }, body };
}
