// The clock bridge between the real CLI and the time-scaled AWS stand-in.
//
// Against real AWS the client's clock and AWS's clock agree, so "the last 8 minutes of lag" sent as
// StartTime = now - 8m, EndTime = now means the last 8 minutes in AWS too. In a rehearsal the
// stand-in's clock runs AURORA_MIGRATE_TIME_SCALE times faster than the CLI's (which, per DESIGN.md,
// keeps its own wall clock), so after a few real seconds the stand-in is hours ahead and every
// window the CLI asks for lies in the stand-in's past. The bridge restores the agreement a real
// client has: it forwards every request unchanged except the timestamps the client sends and reads,
// which it shifts by (stand-in now − wall-clock now), measured once per request:
//   - CloudWatch GetMetricData: StartTime/EndTime in, MetricDataResults[].Timestamps out (the same
//     shift both ways, so 1-minute datapoints stay 1 minute apart);
//   - RDS DescribeEvents: StartTime/EndTime in; each event's <Date> out is mapped to the wall-clock
//     instant at which the stand-in's clock showed it (so promotedAt reads as when it happened).
// Nothing else is touched; resource statuses, call counts and errors are the stand-in's own.
// This belongs in the stand-in itself (see the rehearsal report); until then the demo and the crash
// campaign point the CLI's AWS_ENDPOINT_URL_* here.
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

export interface ClockBridge {
  endpoint: string;
  /** Requests whose timestamps were shifted (for the demo's narration and tests). */
  shifted: number;
  close(): Promise<void>;
}

export interface BridgeClock {
  /** Stand-in now minus wall-clock now, in milliseconds. */
  offsetMs(): number;
  /** The wall-clock instant at which the stand-in's clock showed `standinMs`. */
  toWallClock(standinMs: number): number;
}

/** The bridge clock of a stand-in clock that runs `timeScale` times faster than Date.now(). */
export function scaledBridgeClock(standin: { now(): number; timeScale: number }): BridgeClock {
  return {
    offsetMs: () => standin.now() - Date.now(),
    toWallClock: (t) => Date.now() - (standin.now() - t) / standin.timeScale,
  };
}

export async function startClockBridge(target: string, clock: BridgeClock): Promise<ClockBridge> {
  const upstream = new URL(target);
  const bridge = { shifted: 0 } as ClockBridge;
  const server = createServer((req, res) => {
    void forward(req, res).catch((err) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`clock bridge: ${(err as Error).message}`);
    });
  });

  async function forward(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    let body = Buffer.concat(chunks);
    const offset = clock.offsetMs();
    const kind = classify(req, body);
    if (kind === 'metrics') body = Buffer.from(shiftMetricRequest(body.toString('utf8'), offset));
    if (kind === 'events') body = Buffer.from(shiftEventsRequest(body.toString('utf8'), offset));
    if (kind) bridge.shifted += 1;

    const headers = { ...req.headers, host: upstream.host, 'content-length': String(body.length) };
    const answer = await new Promise<{ status: number; headers: IncomingMessage['headers']; body: Buffer }>((resolve, reject) => {
      const up = request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers }, async (r) => {
        const parts: Buffer[] = [];
        try {
          for await (const c of r) parts.push(c as Buffer);
          resolve({ status: r.statusCode ?? 502, headers: r.headers, body: Buffer.concat(parts) });
        } catch (err) {
          reject(err);
        }
      });
      up.on('error', reject);
      up.end(body);
    });
    let out = answer.body;
    if (kind === 'metrics' && answer.status === 200) out = Buffer.from(shiftMetricResponse(out.toString('utf8'), offset));
    if (kind === 'events' && answer.status === 200) out = Buffer.from(shiftEventsResponse(out.toString('utf8'), clock.toWallClock));
    const outHeaders = { ...answer.headers, 'content-length': String(out.length) };
    delete outHeaders['transfer-encoding'];
    res.writeHead(answer.status, outHeaders);
    res.end(out);
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  if (!address || typeof address !== 'object') throw new Error('clock bridge: no address');
  bridge.endpoint = `http://127.0.0.1:${address.port}`;
  bridge.close = () => closeServer(server);
  return bridge;
}

function classify(req: IncomingMessage, body: Buffer): 'metrics' | 'events' | undefined {
  const target = String(req.headers['x-amz-target'] ?? '');
  if (target.endsWith('.GetMetricData')) return 'metrics';
  if (req.method === 'POST' && /(^|&)Action=DescribeEvents(&|$)/.test(body.toString('utf8'))) return 'events';
  return undefined;
}

/** CloudWatch JSON 1.0 sends epoch seconds (numbers); accept ISO strings too. */
function shiftTime(value: unknown, offsetMs: number): unknown {
  if (typeof value === 'number') return value + offsetMs / 1000;
  if (typeof value === 'string') {
    const t = /^\d+(\.\d+)?$/.test(value) ? Number(value) * 1000 : Date.parse(value);
    return Number.isNaN(t) ? value : new Date(t + offsetMs).toISOString();
  }
  return value;
}

export function shiftMetricRequest(text: string, offsetMs: number): string {
  const input = JSON.parse(text || '{}') as Record<string, unknown>;
  for (const k of ['StartTime', 'EndTime']) if (k in input) input[k] = shiftTime(input[k], offsetMs);
  return JSON.stringify(input);
}

export function shiftMetricResponse(text: string, offsetMs: number): string {
  const output = JSON.parse(text) as { MetricDataResults?: Array<{ Timestamps?: unknown[] }> };
  for (const r of output.MetricDataResults ?? []) r.Timestamps = (r.Timestamps ?? []).map((t) => shiftTime(t, -offsetMs));
  return JSON.stringify(output);
}

export function shiftEventsRequest(text: string, offsetMs: number): string {
  const params = new URLSearchParams(text);
  for (const k of ['StartTime', 'EndTime']) {
    const v = params.get(k);
    if (v) params.set(k, String(shiftTime(v, offsetMs)));
  }
  return params.toString();
}

export function shiftEventsResponse(xml: string, toWallClock: (standinMs: number) => number): string {
  return xml.replace(/<Date>([^<]+)<\/Date>/g, (m, d: string) => {
    const t = Date.parse(d);
    return Number.isNaN(t) ? m : `<Date>${new Date(Math.round(toWallClock(t))).toISOString()}</Date>`;
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
