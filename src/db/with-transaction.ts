// One transaction on an open session, written once (graphile-migrate's withTransaction): BEGIN in
// the mode asked for, the work, COMMIT; on an error ROLLBACK and rethrow. The ROLLBACK's own failure
// is ignored (a broken session has rolled back already): the work's error is the one to report.
import type { DbSession } from './api.js';

export interface TransactionOptions {
  /** How it opens: 'BEGIN' (the default), 'BEGIN READ ONLY', 'BEGIN READ WRITE', an isolation level. */
  begin?: string;
  /** How it ends when the work succeeds: COMMIT (the default), or ROLLBACK for checks that must leave nothing behind. */
  end?: 'COMMIT' | 'ROLLBACK';
}

export async function withTransaction<T>(
  session: DbSession,
  fn: () => Promise<T>,
  options: TransactionOptions = {},
): Promise<T> {
  await session.query(options.begin ?? 'BEGIN');
  let result: T;
  try {
    result = await fn();
  } catch (err) {
    await session.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
  if (options.end === 'ROLLBACK') await session.query('ROLLBACK').catch(() => undefined);
  else await session.query('COMMIT');
  return result;
}
