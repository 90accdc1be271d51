// What an AWS call that failed was about: the facts both the error message and its remedy are made of.
import type { AwsService } from './api.js';

export interface AwsCallErrorDetails {
  code: string;
  service: AwsService;
  operation: string;
  /** The resource the call was about (cluster id, instance id, bucket/key, ...), when the input names one. */
  resourceId?: string;
  region?: string;
  httpStatus?: number;
  /** How many attempts the SDK made (the standard retry mode retries throttling and 5xx). */
  attempts?: number;
  requestId?: string;
  /** AWS's own message, e.g. "DBCluster orders-aurora already exists". */
  awsMessage?: string;
}
