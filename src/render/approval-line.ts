// One recorded approval as `status` shows it: who, when, how, which identity source, from where.
import { describeSource } from '../engine/approval-gate.js';
import type { ApprovalRecord } from '../engine/state-file.js';

export function approvalLine(
  a: Pick<ApprovalRecord, 'approvedBy' | 'approvedAt' | 'via'> &
    Partial<Pick<ApprovalRecord, 'source' | 'host' | 'ciRun'>>,
): string {
  const how = [
    a.via === 'flag' ? '--approve' : 'prompt',
    ...(a.source ? [describeSource(a.source)] : []),
    ...(a.host ? [`host ${a.host}`] : []),
    ...(a.ciRun ? [a.ciRun] : []),
  ];
  return `approved by ${a.approvedBy} at ${a.approvedAt} (${how.join(', ')})`;
}
