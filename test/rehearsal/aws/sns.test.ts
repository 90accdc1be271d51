// SNS in the stand-in, through the real @aws-sdk/client-sns over HTTP.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAwsStandin, type AwsStandin } from '../../../rehearsal/aws/index.js';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';

let aws: AwsStandin;
let client: SNSClient;
const publish = (input: { TopicArn: string; Message: string; Subject?: string }) =>
  client.send(new PublishCommand(input));

beforeAll(async () => {
  aws = await startAwsStandin({ manualClock: true, seed: { topics: ['db-migrations'] } });
  client = new SNSClient({
    endpoint: aws.env.AWS_ENDPOINT_URL_SNS,
    region: aws.region,
    maxAttempts: 1,
    credentials: { accessKeyId: aws.env.AWS_ACCESS_KEY_ID!, secretAccessKey: aws.env.AWS_SECRET_ACCESS_KEY! },
  });
});
afterAll(async () => {
  client.destroy();
  await aws.close();
});

describe('SNS stand-in', () => {
  const topic = 'arn:aws:sns:us-east-1:111122223333:db-migrations';

  it('Publish to a seeded topic answers a MessageId and keeps the message', async () => {
    const out = await publish({ TopicArn: topic, Subject: 'orders: awaiting approval', Message: 'approve with …' });
    expect(out.MessageId).toMatch(/^[0-9a-f-]{36}$/);
    expect(aws.sns.received(topic)).toEqual([
      expect.objectContaining({
        messageId: out.MessageId,
        topicArn: topic,
        subject: 'orders: awaiting approval',
        message: 'approve with …',
      }),
    ]);
    expect(aws.calls.count('Publish', topic)).toBe(1);
  });

  it('an unknown topic is NotFound, and nothing is kept', async () => {
    const before = aws.sns.messages.length;
    const err = await publish({ TopicArn: 'arn:aws:sns:us-east-1:111122223333:nope', Message: 'x' }).catch((e) => e);
    expect((err as Error).name).toBe('NotFoundException');
    expect(aws.sns.messages.length).toBe(before);
  });

  it('an injected fault answers in SNS error format', async () => {
    aws.faults.fail({ operation: 'Publish', code: 'AuthorizationError', status: 403 });
    const err = await publish({ TopicArn: topic, Message: 'x' }).catch((e) => e);
    expect((err as Error).name).toBe('AuthorizationErrorException');
  });

  it('the control API lists received messages for child-process tests', async () => {
    const res = await fetch(`${aws.endpoint}/_standin/sns/messages`);
    const body = (await res.json()) as { messages: Array<{ topicArn: string }> };
    expect(body.messages.map((m) => m.topicArn)).toEqual([topic]);
  });
});
