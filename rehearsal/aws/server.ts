// The stand-in's HTTP server and router: one node:http server on 127.0.0.1 answers every
// service. A request is routed by the service in its SigV4 credential scope (rds, monitoring, s3,
// route53, sns), falling back to its shape (x-amz-target → CloudWatch JSON, /2013-04-01/ → Route 53,
// Action= form → RDS query, else S3 REST). Before a handler runs, the call is counted and the faults get their say (throttling,
// injected failures), answered in that service's own error format.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { header, type StandinRequest, type StandinResponse } from './http-types.js';
import type { CallLog, StandinService } from './calls.js';
import type { Faults } from './faults.js';
import { s3ConditionalParams, s3ErrorResponse, S3Error, s3OperationOf } from './s3.js';
import { rdsErrorResponse } from './rds-errors.js';
import { cloudwatchErrorResponse } from './cloudwatch.js';
import { parseQueryParams } from './xml.js';
import { snsErrorResponse } from './sns.js';
import { route53ErrorResponse, route53OperationOf } from './route53.js';

export interface ServiceHandler {
  /** Operation name and the resource it is about, for counts and faults. */
  identify(req: StandinRequest): { operation: string; resourceId?: string; params: Record<string, unknown> };
  handle(
    req: StandinRequest,
    operation: string,
    params: Record<string, unknown>,
  ): StandinResponse | Promise<StandinResponse>;
  error(req: StandinRequest, code: string, message: string, status: number): StandinResponse;
}

export interface RouterDeps {
  handlers: Record<StandinService, ServiceHandler>;
  faults: Faults;
  calls: CallLog;
  now: () => number;
  /** Unsigned /_standin/ requests (the control API), when set. */
  control?: (req: StandinRequest) => StandinResponse | undefined;
  /** Called with unexpected handler errors (stand-in bugs), answered as HTTP 500. */
  onInternalError?: (err: unknown) => void;
}

export function serviceOf(req: StandinRequest): StandinService {
  const auth = header(req, 'authorization') ?? '';
  const scope = /Credential=[^/]+\/\d{8}\/[^/]+\/([^/]+)\//.exec(auth)?.[1];
  if (scope === 'rds') return 'rds';
  if (scope === 'monitoring') return 'cloudwatch';
  if (scope === 's3') return 's3';
  if (scope === 'route53') return 'route53';
  if (scope === 'sns') return 'sns';
  if (header(req, 'x-amz-target')?.startsWith('GraniteServiceVersion20100801.')) return 'cloudwatch';
  if (req.path.startsWith('/2013-04-01/')) return 'route53';
  if (req.method === 'POST' && req.path === '/' && /(^|&)Action=/.test(req.body.toString('utf8'))) return 'rds';
  return 's3';
}

export async function route(deps: RouterDeps, req: StandinRequest): Promise<StandinResponse> {
  const controlled = deps.control?.(req);
  if (controlled) return controlled;
  const service = serviceOf(req);
  const handler = deps.handlers[service];
  let identified: ReturnType<ServiceHandler['identify']>;
  try {
    identified = handler.identify(req);
  } catch (err) {
    return handler.error(req, 'MalformedQueryString', err instanceof Error ? err.message : String(err), 400);
  }
  const { operation, resourceId, params } = identified;
  const scope = /Credential=([^/]+)\/\d{8}\/([^/]+)\//.exec(header(req, 'authorization') ?? '');
  const record = {
    service,
    operation,
    resourceId,
    region: scope?.[2],
    accessKeyId: scope?.[1],
    at: deps.now(),
    wallAt: Date.now(),
    outcome: 'ok',
    params,
  };
  deps.calls.add(record);
  const decision = deps.faults.beforeCall(service, operation, resourceId);
  if (decision.kind === 'throttle') {
    record.outcome = service === 's3' ? 'SlowDown' : 'Throttling';
    return service === 's3'
      ? handler.error(req, 'SlowDown', 'Please reduce your request rate.', 503)
      : handler.error(req, 'Throttling', 'Rate exceeded', 400);
  }
  if (decision.kind === 'fail') {
    record.outcome = decision.code;
    return handler.error(
      req,
      decision.code,
      decision.message ?? `Injected failure of ${operation} (stand-in fault).`,
      decision.status ?? 0,
    );
  }
  try {
    const res = await handler.handle(req, operation, params);
    if (res.status >= 300) record.outcome = errorCodeOf(res) ?? `HTTP ${res.status}`;
    return res;
  } catch (err) {
    deps.onInternalError?.(err);
    record.outcome = 'InternalFailure';
    return handler.error(
      req,
      'InternalFailure',
      `stand-in bug: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
      500,
    );
  }
}

function errorCodeOf(res: StandinResponse): string | undefined {
  const body = typeof res.body === 'string' ? res.body : (res.body?.toString('utf8') ?? '');
  return /<Code>([^<]+)<\/Code>/.exec(body)?.[1] ?? /"__type":"(?:[^"#]*#)?([^"]+)"/.exec(body)?.[1];
}

/** S3 handler glue (identify + error format); handle() is bound by the caller to the store. */
export function s3Identify(req: StandinRequest) {
  const { operation, bucket, key } = s3OperationOf(req);
  return {
    operation,
    resourceId: bucket ? (key !== undefined ? `${bucket}/${key}` : bucket) : undefined,
    params: { Bucket: bucket, Key: key, ...Object.fromEntries(req.query), ...s3ConditionalParams(req) } as Record<
      string,
      unknown
    >,
  };
}
export function s3Error(req: StandinRequest, code: string, message: string, status: number): StandinResponse {
  return s3ErrorResponse(new S3Error(code, message, status || 400), req);
}

/** RDS identify: Action and the identifier parameters of the form body. */
export function rdsIdentify(req: StandinRequest) {
  const params = parseQueryParams(req.body.toString('utf8'));
  const operation = String(params.Action ?? 'Unknown');
  delete params.Action;
  delete params.Version;
  // The resource the call is about: what it creates or describes first (CreateDBSnapshot → the
  // snapshot, CreateDBInstance → the instance, RestoreDBClusterFromSnapshot → the cluster).
  const keys = [
    'ExportTaskIdentifier',
    'DBSnapshotIdentifier',
    'DBInstanceIdentifier',
    'DBClusterIdentifier',
    'ResourceName',
    'SourceIdentifier',
  ];
  const key = keys.find((k) => typeof params[k] === 'string');
  return { operation, resourceId: key ? String(params[key]).toLowerCase() : undefined, params };
}
export function rdsError(_req: StandinRequest, code: string, message: string, status: number): StandinResponse {
  return rdsErrorResponse(code, message, status || undefined);
}

/** SNS identify: Action of the awsQuery form body; the resource is the topic. */
export function snsIdentify(req: StandinRequest) {
  const params = parseQueryParams(req.body.toString('utf8'));
  const operation = String(params.Action ?? 'Unknown');
  delete params.Action;
  delete params.Version;
  return { operation, resourceId: typeof params.TopicArn === 'string' ? params.TopicArn : undefined, params };
}
export function snsError(_req: StandinRequest, code: string, message: string, status: number): StandinResponse {
  return snsErrorResponse(code, message, status || undefined);
}

export function cloudwatchIdentify(req: StandinRequest) {
  const operation = (header(req, 'x-amz-target') ?? '').split('.')[1] ?? 'Unknown';
  const text = req.body.toString('utf8') || '{}';
  const params = JSON.parse(text) as Record<string, unknown>;
  return { operation, resourceId: undefined, params };
}
export function cloudwatchError(_req: StandinRequest, code: string, message: string, status: number): StandinResponse {
  return cloudwatchErrorResponse(code, message, status || 400);
}

/** Route 53 identify: operation and hosted zone (or change) id from the REST path. */
export function route53Identify(req: StandinRequest) {
  const { operation, resourceId } = route53OperationOf(req);
  return {
    operation,
    resourceId,
    params: { ...(resourceId ? { Id: resourceId } : {}), ...Object.fromEntries(req.query) } as Record<string, unknown>,
  };
}
export function route53Error(_req: StandinRequest, code: string, message: string, status: number): StandinResponse {
  return route53ErrorResponse(code, message, status || 400);
}

async function readRequest(msg: IncomingMessage): Promise<StandinRequest> {
  const chunks: Buffer[] = [];
  for await (const chunk of msg) chunks.push(chunk as Buffer);
  const url = new URL(msg.url ?? '/', 'http://localhost');
  return {
    method: msg.method ?? 'GET',
    path: url.pathname,
    query: url.searchParams,
    headers: msg.headers,
    body: Buffer.concat(chunks),
  };
}

export async function listen(
  deps: RouterDeps,
  host = '127.0.0.1',
  port = 0,
): Promise<{ server: Server; endpoint: string }> {
  const server = createServer((msg, res) => {
    readRequest(msg)
      .then(async (req) => {
        const out = await route(deps, req);
        const body = out.body ?? '';
        const headers = { ...(out.headers ?? {}) };
        if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-length'))
          headers['Content-Length'] = String(Buffer.byteLength(body));
        res.writeHead(out.status, headers);
        res.end(req.method.toUpperCase() === 'HEAD' ? undefined : body);
      })
      .catch((err) => {
        deps.onInternalError?.(err);
        res.writeHead(500);
        res.end(String(err));
      });
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  return { server, endpoint: `http://${host}:${addr.port}` };
}
