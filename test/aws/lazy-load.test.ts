// validate and an offline plan must never load the AWS SDK: createAwsApi loads a client package only
// on the first call for that service. The SDK packages are replaced by counting stubs here.
import { describe, expect, it, vi } from 'vitest';

const loaded: string[] = [];
function stubModule(pkg: string, clientName: string) {
  loaded.push(pkg);
  class Client {
    async send(command: { input: unknown }) {
      return { $metadata: {}, echoed: command.input };
    }
    destroy() {}
  }
  class DescribeDBInstancesCommand {
    constructor(readonly input: unknown) {}
  }
  return { [clientName]: Client, DescribeDBInstancesCommand };
}
vi.mock('@aws-sdk/client-rds', () => stubModule('@aws-sdk/client-rds', 'RDSClient'));
vi.mock('@aws-sdk/client-cloudwatch', () => stubModule('@aws-sdk/client-cloudwatch', 'CloudWatchClient'));
vi.mock('@aws-sdk/client-s3', () => stubModule('@aws-sdk/client-s3', 'S3Client'));

describe('lazy SDK loading', () => {
  it('loads nothing on createAwsApi, then only the package of the service called, once', async () => {
    const { createAwsApi } = await import('../../src/aws/sdk-api.js');
    const api = createAwsApi({ region: 'us-east-1' });
    expect(loaded).toEqual([]);
    const out = await api.send('rds', 'DescribeDBInstances', { DBInstanceIdentifier: 'x' });
    await api.send('rds', 'DescribeDBInstances', { DBInstanceIdentifier: 'y' });
    expect(out).toEqual({ echoed: { DBInstanceIdentifier: 'x' } });
    expect(loaded).toEqual(['@aws-sdk/client-rds']);
  });

  it('an operation the package does not have is reported as a bug, not an AWS error', async () => {
    const { createAwsApi } = await import('../../src/aws/sdk-api.js');
    await expect(createAwsApi().send('rds', 'DescribeNothing', {})).rejects.toThrow(
      /bug: @aws-sdk\/client-rds has no operation DescribeNothing/,
    );
  });
});
