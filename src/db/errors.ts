// DbError: every error a database call ends with, as one class steps can branch on.
// kind 'connect'    — could not open a session (message says where and what to check);
//      'connection' — the session broke mid-way (a retry on a new session is safe when the work is
//                     transactional: the server rolled back whatever did not commit);
//      'canceled'   — we canceled the statement (abort signal);
//      'query'      — the server refused the statement (sqlstate, detail, where, hint kept).
// Messages never contain the password: the connector builds them from parts and scrubs it anyway.

export type DbErrorKind = 'connect' | 'connection' | 'canceled' | 'query';

export interface DbErrorDetails {
  kind: DbErrorKind;
  /** SQLSTATE from the server, e.g. 22P02, 28P01. */
  sqlstate?: string;
  /** The server's (or driver's) own message, first line. */
  serverMessage?: string;
  detail?: string;
  hint?: string;
  /** Where the error happened, e.g. "COPY t, line 3, column id: \"x\"". */
  where?: string;
  /** The constraint a 23xxx error is about, e.g. s3_import_ledger_pkey. */
  constraint?: string;
}

export class DbError extends Error {
  readonly kind: DbErrorKind;
  readonly sqlstate?: string;
  readonly serverMessage?: string;
  readonly detail?: string;
  readonly hint?: string;
  readonly where?: string;
  readonly constraint?: string;

  constructor(message: string, details: DbErrorDetails, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DbError';
    this.kind = details.kind;
    this.sqlstate = details.sqlstate;
    this.serverMessage = details.serverMessage;
    this.detail = details.detail;
    this.hint = details.hint;
    this.where = details.where;
    this.constraint = details.constraint;
  }

  /** The first line of `where` that names a COPY line ("COPY t, line 3, column id: ..."), if any. */
  get copyLocation(): string | undefined {
    return this.where?.split('\n').find((l) => /^COPY .*line \d+/.test(l));
  }
}

export function isDbError(err: unknown, ...kinds: DbErrorKind[]): err is DbError {
  return err instanceof DbError && (kinds.length === 0 || kinds.includes(err.kind));
}

/** SQLSTATE classes and driver codes that mean "the connection is gone", not "the SQL was wrong". */
export function isConnectionLoss(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | undefined;
  const code = typeof e?.code === 'string' ? e.code : '';
  if (/^08/.test(code) || ['57P01', '57P02', '57P03'].includes(code)) return true;
  if (
    ['ECONNRESET', 'EPIPE', 'ECONNREFUSED', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNABORTED'].includes(code)
  )
    return true;
  const msg = typeof e?.message === 'string' ? e.message : '';
  return /Connection terminated|connection error and is not queryable|Client was closed|not queryable/i.test(msg);
}

/** Replaces every occurrence of `secret` in `text` (no-op for short or missing secrets). */
export function scrub(text: string, secret: string | undefined): string {
  if (!secret || secret.length < 3) return text;
  return text.split(secret).join('***');
}
