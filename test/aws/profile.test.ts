// --profile reaches the SDK through the client config: the call is signed with that profile's keys
// from the shared credentials file (the SDK's own resolution, not ours).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createAwsApi } from '../../src/aws/sdk-api.js';
import { startAwsStandin, type AwsStandin } from '../../rehearsal/aws/index.js';

let aws: AwsStandin;
const saved = { ...process.env };
let dir: string | undefined;
beforeAll(async () => {
  aws = await startAwsStandin({ manualClock: true, seed: { instances: [{ id: 'orders-pg' }] } });
  dir = mkdtempSync(join(tmpdir(), 'aws-profile-'));
  writeFileSync(
    join(dir, 'credentials'),
    '[default]\naws_access_key_id = AKIADEFAULTPROFILE01\naws_secret_access_key = d\n\n[rehearsal]\naws_access_key_id = AKIAREHEARSALPROF001\naws_secret_access_key = r\n',
  );
  writeFileSync(join(dir, 'config'), '[default]\nregion = us-east-1\n\n[profile rehearsal]\nregion = eu-west-1\n');
  for (const k of Object.keys(process.env)) if (k.startsWith('AWS_')) delete process.env[k];
  process.env.AWS_SHARED_CREDENTIALS_FILE = join(dir, 'credentials');
  process.env.AWS_CONFIG_FILE = join(dir, 'config');
  process.env.AWS_EC2_METADATA_DISABLED = 'true';
  process.env.AWS_ENDPOINT_URL_RDS = aws.endpoint;
});
afterAll(async () => {
  process.env = saved;
  if (dir) rmSync(dir, { recursive: true, force: true });
  await aws?.close();
});

it('signs with the profile given to createAwsApi, and takes the region from it unless one is given', async () => {
  const viaProfile = createAwsApi({ profile: 'rehearsal', maxAttempts: 1 });
  const viaDefault = createAwsApi({ maxAttempts: 1 });
  const withRegion = createAwsApi({ profile: 'rehearsal', region: 'us-east-1', maxAttempts: 1 });
  try {
    await viaProfile.send('rds', 'DescribeDBInstances', {});
    await viaDefault.send('rds', 'DescribeDBInstances', {});
    await withRegion.send('rds', 'DescribeDBInstances', {});
    const signed = aws.calls.filter('DescribeDBInstances').map((r) => [r.accessKeyId, r.region]);
    expect(signed).toEqual([
      ['AKIAREHEARSALPROF001', 'eu-west-1'],
      ['AKIADEFAULTPROFILE01', 'us-east-1'],
      ['AKIAREHEARSALPROF001', 'us-east-1'],
    ]);
  } finally {
    viaProfile.destroy();
    viaDefault.destroy();
    withRegion.destroy();
  }
});
