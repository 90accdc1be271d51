// SNS in the stand-in (awsQuery, like RDS): Publish to a seeded topic answers a MessageId and keeps
// the message, so tests can read every notification the tool sent (aws.sns.messages, or
// GET /_standin/sns/messages from another process). An unknown topic answers NotFound, as AWS does.
import { escapeXml } from './xml.js';
import { requestId, type StandinResponse } from './http-types.js';

const XMLNS = 'http://sns.amazonaws.com/doc/2010-03-31/';

export interface SnsMessage {
  messageId: string;
  topicArn: string;
  subject?: string;
  message: string;
  /** Stand-in time it was received. */
  at: number;
}

/** SNS error codes on the wire → HTTP status (the SDK names them <Code>Exception). */
const SNS_ERROR_STATUS: Record<string, number> = {
  NotFound: 404,
  AuthorizationError: 403,
  InvalidParameter: 400,
  Throttled: 429,
  Throttling: 400,
  InternalFailure: 500,
  InternalError: 500,
};

export class SnsFault extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export class SnsWorld {
  readonly topics = new Set<string>();
  readonly messages: SnsMessage[] = [];
  private counter = 0;

  constructor(private readonly now: () => number) {}

  /** Creates a topic; returns its ARN. `nameOrArn` may be a full ARN or a name in this account/region. */
  seedTopic(nameOrArn: string, region: string, accountId: string): string {
    const arn = nameOrArn.startsWith('arn:') ? nameOrArn : `arn:aws:sns:${region}:${accountId}:${nameOrArn}`;
    this.topics.add(arn);
    return arn;
  }

  publish(params: Record<string, unknown>): string {
    const topicArn = params.TopicArn;
    if (typeof topicArn !== 'string' || topicArn === '') {
      throw new SnsFault(
        'InvalidParameter',
        'Invalid parameter: TopicArn or TargetArn Reason: no value for required parameter',
      );
    }
    const message = params.Message;
    if (typeof message !== 'string' || message === '')
      throw new SnsFault('InvalidParameter', 'Invalid parameter: Message');
    if (Buffer.byteLength(message) > 256 * 1024)
      throw new SnsFault('InvalidParameter', 'Invalid parameter: Message too long');
    const subject = params.Subject;
    if (subject !== undefined && (typeof subject !== 'string' || subject.length > 100 || /[\r\n]/.test(subject))) {
      throw new SnsFault('InvalidParameter', 'Invalid parameter: Subject');
    }
    if (!this.topics.has(topicArn)) throw new SnsFault('NotFound', 'Topic does not exist');
    this.counter += 1;
    const messageId = `00000000-0000-4000-8000-${this.counter.toString(16).padStart(12, '0')}`;
    this.messages.push({
      messageId,
      topicArn,
      ...(subject !== undefined ? { subject: subject as string } : {}),
      message,
      at: this.now(),
    });
    return messageId;
  }

  /** Messages received on one topic (or all). */
  received(topicArn?: string): SnsMessage[] {
    return this.messages.filter((m) => topicArn === undefined || m.topicArn === topicArn);
  }
}

export function handleSns(world: SnsWorld, operation: string, params: Record<string, unknown>): StandinResponse {
  try {
    switch (operation) {
      case 'Publish':
        return snsResultResponse('Publish', `<MessageId>${escapeXml(world.publish(params))}</MessageId>`);
      default:
        return snsErrorResponse(
          'InvalidAction',
          `The action ${operation} is not valid for this endpoint (the stand-in models Publish only).`,
          400,
        );
    }
  } catch (err) {
    if (err instanceof SnsFault) return snsErrorResponse(err.code, err.message);
    throw err;
  }
}

export function snsResultResponse(operation: string, resultXml: string): StandinResponse {
  const body =
    `<${operation}Response xmlns="${XMLNS}"><${operation}Result>${resultXml}</${operation}Result>` +
    `<ResponseMetadata><RequestId>${requestId()}</RequestId></ResponseMetadata></${operation}Response>`;
  return { status: 200, headers: { 'Content-Type': 'text/xml' }, body };
}

export function snsErrorResponse(code: string, message: string, status?: number): StandinResponse {
  const httpStatus = status || SNS_ERROR_STATUS[code] || 400;
  const type = httpStatus >= 500 ? 'Receiver' : 'Sender';
  const body =
    `<ErrorResponse xmlns="${XMLNS}"><Error><Type>${type}</Type><Code>${escapeXml(code)}</Code>` +
    `<Message>${escapeXml(message)}</Message></Error><RequestId>${requestId()}</RequestId></ErrorResponse>`;
  return { status: httpStatus, headers: { 'Content-Type': 'text/xml' }, body };
}
