// Sending one message to one target: SNS Publish through the project's AwsApi (the SDK stays behind
// src/aws), or an HTTP POST of the JSON body to a webhook with global fetch. Both are bounded in time,
// so a hanging endpoint never holds a run (nor a cutover window) for long. Errors come back as short
// reasons, never with the webhook URL (it may carry a token).
import type { AwsApi } from '../aws/api.js';
import type { NotifyTarget } from '../plan/notify-targets.js';
import type { NotificationMessage } from './messages.js';

export const SEND_TIMEOUT_MS = 10_000;

export interface SendDeps {
  aws: AwsApi;
  fetch?: typeof fetch;
  timeoutMs?: number;
}

export type SendResult = { ok: true; id?: string } | { ok: false; reason: string };

export async function sendTo(
  target: NotifyTarget,
  message: NotificationMessage,
  key: string,
  deps: SendDeps,
): Promise<SendResult> {
  const timeoutMs = deps.timeoutMs ?? SEND_TIMEOUT_MS;
  try {
    if (target.kind === 'sns') {
      const input: Record<string, unknown> = {
        TopicArn: target.topicArn,
        Subject: message.subject,
        Message: message.text,
      };
      if (target.fifo) {
        // FIFO topics need a group; the notification key is the natural deduplication id.
        input.MessageGroupId = 'aurora-migrate';
        input.MessageDeduplicationId = key.replace(/[^A-Za-z0-9!-/:-@[-`{-~]/g, '-').slice(-128);
      }
      const out = await deps.aws.send<{ MessageId?: string }>('sns', 'Publish', input, {
        region: target.region,
        signal: AbortSignal.timeout(timeoutMs),
      });
      return { ok: true, id: out?.MessageId };
    }
    const res = await (deps.fetch ?? fetch)(target.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'aurora-migrate' },
      body: JSON.stringify(message.json),
      signal: AbortSignal.timeout(timeoutMs),
      redirect: 'error',
    });
    await res.body?.cancel().catch(() => undefined);
    if (!res.ok) return { ok: false, reason: `the webhook answered HTTP ${res.status}` };
    return { ok: true };
  } catch (err) {
    return { ok: false, reason: reasonOf(err, target, timeoutMs) };
  }
}

function reasonOf(err: unknown, target: NotifyTarget, timeoutMs: number): string {
  const e = err as Error & { code?: string; cause?: { code?: string; message?: string } };
  const timedOut =
    e?.name === 'TimeoutError' ||
    e?.name === 'AbortError' ||
    e?.code === 'INTERRUPTED' ||
    (e?.cause as Error | undefined)?.name === 'TimeoutError';
  if (timedOut) return `no answer within ${timeoutMs < 1000 ? `${timeoutMs}ms` : `${Math.round(timeoutMs / 1000)}s`}`;
  let text = e?.cause?.code ? `${e.message} (${e.cause.code})` : String(e?.message ?? err);
  if (target.kind === 'webhook') text = text.split(target.url).join('<webhook URL>');
  return text.length > 300 ? text.slice(0, 299) + '…' : text;
}
