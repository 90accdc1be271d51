// The request/response shapes the stand-in's service handlers work with (decoupled from node:http).

export interface StandinRequest {
  method: string;
  /** Decoded-later raw path, e.g. /bucket/events/2023/a.csv */
  path: string;
  query: URLSearchParams;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export interface StandinResponse {
  status: number;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

export function header(req: StandinRequest, name: string): string | undefined {
  const v = req.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

let counter = 0;
/** A request id in AWS's shape (uuid-like), unique per answer. */
export function requestId(): string {
  counter += 1;
  const hex = (counter.toString(16) + Date.now().toString(16)).padStart(32, '0').slice(-32);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
