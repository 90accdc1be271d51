// A session for the length of one piece of work, written once (graphile-migrate's withClient):
// connect, hand the session over, close it whatever happens. A failing close is ignored: the work's
// result, or its error, is what the caller reports.
import type { DbConnector, DbSession, ResolvedConnection } from './api.js';

export interface SessionOptions {
  signal?: AbortSignal;
  statementTimeoutMs?: number;
  /** The error to throw when the connection cannot be opened (e.g. a step's StepFailed naming the server); the original by default. */
  connectFailed?: (err: unknown) => unknown;
}

export async function withSession<T>(
  db: DbConnector,
  conn: ResolvedConnection,
  options: SessionOptions,
  fn: (session: DbSession) => Promise<T>,
): Promise<T> {
  const { connectFailed, ...connect } = options;
  let session: DbSession;
  try {
    session = await db.connect(conn, connect);
  } catch (err) {
    throw connectFailed ? connectFailed(err) : err;
  }
  try {
    return await fn(session);
  } finally {
    await session.close().catch(() => undefined);
  }
}
