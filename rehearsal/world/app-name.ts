// The human step of pointing the application's name at the new cluster, as an operator would do it
// with the AWS CLI: a Route 53 UPSERT of the CNAME through the real @aws-sdk/client-route-53 against
// the stand-in, then GetChange until INSYNC. Used by the demo until the plan's own switch-endpoint
// step does this.
import type { RehearsalWorld } from './rehearsal-world.js';
import { APP_NAME, APP_NAME_TTL, HOSTED_ZONE_ID } from './rehearsal-world.js';

export async function pointAppNameAt(world: Pick<RehearsalWorld, 'aws'>, value: string, timeoutMs = 30_000): Promise<{ changeId: string }> {
  const sdk = await import('@aws-sdk/client-route-53');
  const env = world.aws.env;
  const client = new sdk.Route53Client({
    endpoint: env.AWS_ENDPOINT_URL_ROUTE_53,
    region: 'us-east-1',
    credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID!, secretAccessKey: env.AWS_SECRET_ACCESS_KEY! },
  });
  try {
    const out = await client.send(
      new sdk.ChangeResourceRecordSetsCommand({
        HostedZoneId: HOSTED_ZONE_ID,
        ChangeBatch: {
          Comment: 'rehearsal: the application now uses the promoted cluster',
          Changes: [{ Action: 'UPSERT', ResourceRecordSet: { Name: APP_NAME, Type: 'CNAME', TTL: APP_NAME_TTL, ResourceRecords: [{ Value: value }] } }],
        },
      }),
    );
    const changeId = out.ChangeInfo!.Id!;
    const until = Date.now() + timeoutMs;
    for (;;) {
      const change = await client.send(new sdk.GetChangeCommand({ Id: changeId }));
      if (change.ChangeInfo?.Status === 'INSYNC') return { changeId };
      if (Date.now() > until) throw new Error(`Route 53 change ${changeId} of ${APP_NAME} is still ${change.ChangeInfo?.Status} after ${timeoutMs / 1000} s`);
      await new Promise((r) => setTimeout(r, 20));
    }
  } finally {
    client.destroy();
  }
}
