// One database session for the logical-replica steps: reads are not logged, every statement that
// changes something is recorded in the event log first (with a display form when the text holds a
// secret: the subscription's password shows as ***). Statements that take a lock on a production
// table run with a short lock_timeout and are retried, so the application never queues behind them.
import type { DbSession, ResolvedConnection } from '../../db/api.js';
import { Interrupted, StepFailed } from '../../errors.js';
import { describeConnection } from '../../db/connection.js';
import { withSession } from '../../db/with-session.js';
import type { StepContext } from '../step.js';

export type Ctx = Pick<
  StepContext,
  'stepId' | 'planName' | 'db' | 'signal' | 'event' | 'progress' | 'warn' | 'clock' | 'sleep' | 'runId'
>;

export interface Sql {
  read<R = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<R[]>;
  /** A change: logged (as `display` when given), then run. */
  exec<R = Record<string, unknown>>(text: string, params?: readonly unknown[], display?: string): Promise<R[]>;
  /** A change that locks a production table: lock_timeout 2s, retried up to 10 times on lock_not_available. */
  execLocking(text: string, params?: readonly unknown[]): Promise<void>;
  conn: ResolvedConnection;
}

export const LOCK_TIMEOUT = '2s';
const LOCK_RETRIES = 10;

export async function withSql<T>(
  ctx: Ctx,
  conn: ResolvedConnection,
  what: string,
  fn: (sql: Sql) => Promise<T>,
): Promise<T> {
  const connectFailed = (err: unknown) =>
    ctx.signal.aborted
      ? new Interrupted('interrupted')
      : new StepFailed(
          ctx.stepId,
          `cannot reach the ${what} (${describeConnection(conn)}): ${(err as Error).message}`,
          { cause: err },
        );
  return withSession(ctx.db, conn, { signal: ctx.signal, connectFailed }, async (session) => {
    try {
      return await fn(sqlOn(ctx, session, conn, what));
    } catch (err) {
      if (err instanceof StepFailed || err instanceof Interrupted) throw err;
      if (ctx.signal.aborted) throw new Interrupted('interrupted');
      throw new StepFailed(ctx.stepId, `on the ${what} (${describeConnection(conn)}): ${(err as Error).message}`, {
        cause: err,
      });
    }
  });
}

function sqlOn(ctx: Ctx, session: DbSession, conn: ResolvedConnection, what: string): Sql {
  return {
    conn,
    read: async (text, params) => (await session.query(text, params)).rows as never,
    exec: async (text, params, display) => {
      ctx.event('sql', { sql: display ?? text, ...(params?.length ? { params: [...params] } : {}), on: what });
      return (await session.query(text, params)).rows as never;
    },
    execLocking: async (text, params) => {
      ctx.event('sql', {
        sql: text,
        ...(params?.length ? { params: [...params] } : {}),
        on: what,
        lockTimeout: LOCK_TIMEOUT,
      });
      for (let attempt = 1; ; attempt++) {
        try {
          await session.query(`SET lock_timeout = '${LOCK_TIMEOUT}'`);
          await session.query(text, params);
          await session.query('RESET lock_timeout');
          return;
        } catch (err) {
          const state = (err as { sqlstate?: string; code?: string }).sqlstate ?? (err as { code?: string }).code;
          if (state !== '55P03' || attempt >= LOCK_RETRIES) throw err;
          ctx.progress(
            `waiting for a lock on the ${what} (attempt ${attempt} of ${LOCK_RETRIES}): ${text.slice(0, 80)}`,
          );
          await ctx.sleep(1_000 * attempt);
        }
      }
    },
  };
}

/** A lost or refused connection during a long wait: the next poll reconnects. */
export class ConnectionTrouble extends Error {}

/**
 * A session opened on first use and reopened after a lost connection, for waits that last days
 * (a network blip or a failover must not fail the step). Other errors pass through.
 */
export function lazySql(ctx: Ctx, conn: ResolvedConnection, what: string): { sql: Sql; close(): Promise<void> } {
  let session: DbSession | undefined;
  const use = async <R>(fn: (s: DbSession) => Promise<R>): Promise<R> => {
    try {
      session ??= await ctx.db.connect(conn, { signal: ctx.signal });
      return await fn(session);
    } catch (err) {
      if (ctx.signal.aborted) throw new Interrupted('interrupted');
      const kind = (err as { kind?: string }).kind;
      if (kind === 'connect' || kind === 'connection') {
        await session?.close().catch(() => undefined);
        session = undefined;
        throw new ConnectionTrouble(
          `the ${what} (${describeConnection(conn)}) cannot be reached: ${(err as Error).message}`,
          { cause: err },
        );
      }
      throw err;
    }
  };
  const sql: Sql = {
    conn,
    read: (text, params) => use(async (s) => (await s.query(text, params)).rows as never),
    exec: (text, params, display) =>
      use(async (s) => {
        ctx.event('sql', { sql: display ?? text, ...(params?.length ? { params: [...params] } : {}), on: what });
        return (await s.query(text, params)).rows as never;
      }),
    execLocking: () => Promise.reject(new Error('execLocking is not used on a reconnecting session')),
  };
  return { sql, close: async () => void (await session?.close().catch(() => undefined)) };
}
