// Counts every call the stand-in answers, per operation and per resource id, so tests can pin
// behaviour ("PromoteReadReplicaDBCluster sent once", "no CreateDBCluster on resume").

export type StandinService = 'rds' | 'cloudwatch' | 's3' | 'route53' | 'sns';

export interface CallRecord {
  service: StandinService;
  operation: string;
  resourceId?: string;
  /** Region of the request's SigV4 credential scope (what the client was configured with). */
  region?: string;
  /** Access key id the request was signed with (stand-in keys are dummies; lets tests see which profile signed). */
  accessKeyId?: string;
  /** Stand-in time of the call. */
  at: number;
  /** Wall-clock time of the call (ms since the epoch): rates per real second, whatever the time scale. */
  wallAt?: number;
  /** What the stand-in answered: ok, or the error code (Throttling, DBClusterNotFoundFault, ...). */
  outcome: string;
  params: Record<string, unknown>;
}

export class CallLog {
  readonly records: CallRecord[] = [];

  add(record: CallRecord): void {
    this.records.push(record);
  }

  /** Calls of `operation` (optionally about `resourceId`), whatever their outcome. */
  count(operation: string, resourceId?: string): number {
    return this.filter(operation, resourceId).length;
  }

  /** Calls of `operation` that succeeded (not throttled, not failed). */
  succeeded(operation: string, resourceId?: string): number {
    return this.filter(operation, resourceId).filter((r) => r.outcome === 'ok').length;
  }

  filter(operation?: string, resourceId?: string): CallRecord[] {
    return this.records.filter(
      (r) => (!operation || r.operation === operation) && (resourceId === undefined || r.resourceId === resourceId),
    );
  }

  /** { operation: count } over all calls. */
  byOperation(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const r of this.records) out[r.operation] = (out[r.operation] ?? 0) + 1;
    return out;
  }

  /** { "operation resourceId": count } over calls that name a resource. */
  byResource(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const r of this.records) {
      if (r.resourceId === undefined) continue;
      const key = `${r.operation} ${r.resourceId}`;
      out[key] = (out[key] ?? 0) + 1;
    }
    return out;
  }

  reset(): void {
    this.records.length = 0;
  }
}
