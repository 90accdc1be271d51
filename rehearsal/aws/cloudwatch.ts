// CloudWatch over the wire protocol the pinned @aws-sdk/client-cloudwatch speaks: AWS JSON 1.0
// (POST /, x-amz-target: GraniteServiceVersion20100801.GetMetricData, content-type
// application/x-amz-json-1.0), in its awsQuery-compatible mode (x-amzn-query-mode: true; errors carry
// x-amzn-query-error: Code;Sender). Timestamps are epoch seconds in JSON.
import { requestId, type StandinResponse } from './http-types.js';
import type { MetricStore } from './metrics.js';
import { shiftMetricResult, shiftWindow, type CallerClock } from './caller-clock.js';

const QUERY_COMPAT_STATUS: Record<string, number> = {
  InvalidParameterValue: 400,
  InvalidParameterCombination: 400,
  MissingParameter: 400,
  InvalidNextToken: 400,
  LimitExceeded: 400,
  Throttling: 400,
  InternalServiceError: 500,
};

export function cloudwatchErrorResponse(code: string, message: string, status?: number): StandinResponse {
  const httpStatus = status ?? QUERY_COMPAT_STATUS[code] ?? 400;
  return {
    status: httpStatus,
    headers: {
      'Content-Type': 'application/x-amz-json-1.0',
      'x-amzn-RequestId': requestId(),
      'x-amzn-query-error': `${code};${httpStatus >= 500 ? 'Receiver' : 'Sender'}`,
    },
    body: JSON.stringify({ __type: `com.amazonaws.cloudwatch#${code}`, message }),
  };
}

export function cloudwatchResult(result: unknown): StandinResponse {
  return {
    status: 200,
    headers: { 'Content-Type': 'application/x-amz-json-1.0', 'x-amzn-RequestId': requestId() },
    body: JSON.stringify(result),
  };
}

/** Answers one CloudWatch JSON operation (GetMetricData). */
export function handleCloudWatch(
  metrics: MetricStore,
  operation: string,
  params: Record<string, unknown>,
  callerClock?: CallerClock,
): StandinResponse {
  if (operation !== 'GetMetricData') {
    return cloudwatchErrorResponse('InvalidAction', `The stand-in does not implement CloudWatch ${operation}.`, 400);
  }
  const offset = callerClock?.offsetMs() ?? 0;
  const out = metrics.getMetricData((callerClock ? shiftWindow(params, offset) : params) as any);
  if ('error' in out) return cloudwatchErrorResponse(out.error.code, out.error.message);
  return cloudwatchResult(callerClock ? shiftMetricResult(out.result, offset) : out.result);
}
