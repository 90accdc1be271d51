// Step type "switch-endpoint": the application's DNS name (a Route 53 CNAME) to the new writer.
// NOT IMPLEMENTED YET: run() is being written (issue 13); describe() is the contract.
import { NotImplemented } from '../../errors.js';
import type { SwitchEndpointSpec } from '../../plan/types.js';
import type { PlannedAction, StepModule } from '../step.js';

export const switchEndpoint: StepModule<SwitchEndpointSpec> = {
  type: 'switch-endpoint',
  outputs: ['previousValue', 'value', 'changeId', 'switchedAt', 'writeDowntime'],
  describe(spec): PlannedAction[] {
    return [
      { kind: 'check', description: `read the record ${spec.record} in hosted zone ${spec.hostedZoneId}; send nothing when it already points at ${spec.target}` },
      { kind: 'aws', service: 'route53', operation: 'ChangeResourceRecordSets', params: { HostedZoneId: spec.hostedZoneId, ChangeBatch: { Changes: [{ Action: 'UPSERT', ResourceRecordSet: { Name: spec.record, Type: 'CNAME', TTL: spec.ttl ?? '5s', ResourceRecords: [{ Value: spec.target }] } }] } } },
      { kind: 'wait', for: 'the change to be INSYNC', timeoutMs: 10 * 60_000, pollEveryMs: 5_000 },
    ];
  },
  run() {
    throw new NotImplemented('step type "switch-endpoint" is not implemented yet');
  },
};
