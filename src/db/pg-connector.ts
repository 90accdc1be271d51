// The PostgreSQL adapter: DbConnector over `pg`, loaded lazily (only steps that talk to a database
// pay for it). Sessions are single connections with:
//   - TLS per ConnectionSpec.ssl: false/omitted none; 'require' encrypted without certificate checks;
//     true / 'verify-full' encrypted with certificate and host name checks;
//   - application_name = aurora-migrate, an optional statement timeout, a short connect timeout;
//   - TCP keepalive after 1 s idle (Aurora's advice, docs/aws-setup.md "Connections"):
//     Node sets the idle time; probe interval and count are the operating system's;
//   - cancellation: aborting the signal cancels the running statement on the server
//     (pg_cancel_backend from a second short connection) so its transaction rolls back at once.
// Errors become DbError with context + remedy; the password never appears in them.
import type { DbConnector, DbSession, QueryResult, ResolvedConnection } from './api.js';
import { DbError, isConnectionLoss, scrub } from './errors.js';
import { connectFailureMessage } from './connect-errors.js';
import { loadPackage } from '../load-package.js';

export interface PgConnectorOptions {
  /** Connect (and login) timeout. Default 10 s. */
  connectTimeoutMs?: number;
  /** TCP keepalive idle time. Default 1 s. */
  keepAliveInitialDelayMs?: number;
  /** application_name reported to the server. Default aurora-migrate. */
  applicationName?: string;
}

type PgModule = typeof import('pg');
let pgModule: Promise<PgModule> | undefined;
function loadPg(): Promise<PgModule> {
  pgModule ??= loadPackage<PgModule>('pg').then(
    (m) => ((m as unknown as { default?: PgModule }).default ?? m) as PgModule,
  );
  return pgModule;
}

/** The pg.ClientConfig for a resolved connection (exported for tests). */
export function clientConfig(
  conn: ResolvedConnection,
  options: PgConnectorOptions & { statementTimeoutMs?: number } = {},
) {
  return {
    host: conn.host,
    port: conn.port,
    database: conn.database,
    user: conn.user,
    password: conn.password,
    ssl: sslOption(conn),
    application_name: options.applicationName ?? 'aurora-migrate',
    statement_timeout:
      options.statementTimeoutMs && options.statementTimeoutMs > 0 ? Math.round(options.statementTimeoutMs) : undefined,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
    keepAlive: true,
    keepAliveInitialDelayMillis: options.keepAliveInitialDelayMs ?? 1_000,
  };
}

function sslOption(conn: ResolvedConnection): false | { rejectUnauthorized: boolean; servername?: string } {
  if (conn.ssl === undefined || conn.ssl === false) return false;
  if (conn.ssl === 'require') return { rejectUnauthorized: false };
  return { rejectUnauthorized: true, servername: conn.host };
}

export function createPgConnector(options: PgConnectorOptions = {}): DbConnector {
  return {
    async connect(conn, connectOptions) {
      const signal = connectOptions?.signal;
      if (signal?.aborted) throw new DbError('interrupted before connecting', { kind: 'canceled' });
      const pg = await loadPg();
      const config = clientConfig(conn, { ...options, statementTimeoutMs: connectOptions?.statementTimeoutMs });
      const client = new pg.Client(config);
      let broken: unknown;
      // Without a listener a server-side disconnect of an idle client would crash the process.
      client.on('error', (err) => {
        broken = err;
      });
      const onAbortConnect = () => void client.end().catch(() => undefined);
      signal?.addEventListener('abort', onAbortConnect, { once: true });
      try {
        await client.connect();
      } catch (err) {
        await client.end().catch(() => undefined);
        if (signal?.aborted) throw new DbError('interrupted while connecting', { kind: 'canceled' }, { cause: err });
        throw new DbError(scrub(connectFailureMessage(conn, err, config.connectionTimeoutMillis), conn.password), {
          kind: 'connect',
          ...serverFields(err, conn.password),
        });
      } finally {
        signal?.removeEventListener('abort', onAbortConnect);
      }

      const pid = (client as unknown as { processID?: number }).processID;
      let running = 0;
      let canceledByUs = false;
      const cancel = async () => {
        if (running === 0 || !pid) return;
        canceledByUs = true;
        const other = new pg.Client({
          ...config,
          statement_timeout: undefined,
          application_name: `${config.application_name} (cancel)`,
        });
        other.on('error', () => undefined);
        try {
          await other.connect();
          await other.query('SELECT pg_cancel_backend($1)', [pid]);
        } catch {
          // Best effort: closing the session below ends the statement anyway.
        } finally {
          await other.end().catch(() => undefined);
        }
      };
      const onAbort = () => void cancel();
      signal?.addEventListener('abort', onAbort, { once: true });

      let closed = false;
      const session: DbSession = {
        async query<R>(sql: string, params?: readonly unknown[]): Promise<QueryResult<R>> {
          if (closed) throw new DbError('the database session is closed', { kind: 'connection' });
          if (broken) throw lost(conn, broken);
          if (signal?.aborted) throw new DbError('interrupted', { kind: 'canceled' });
          running++;
          try {
            const result = await client.query(sql, params as unknown[] | undefined);
            return { rows: result.rows as R[], rowCount: result.rowCount ?? 0 };
          } catch (err) {
            if (canceledByUs && (err as { code?: string }).code === '57014') {
              throw new DbError(
                'statement canceled: interrupted',
                { kind: 'canceled', sqlstate: '57014' },
                { cause: err },
              );
            }
            if (isConnectionLoss(err) || broken) throw lost(conn, broken ?? err);
            const fields = serverFields(err, conn.password);
            throw new DbError(fields.serverMessage ?? 'query failed', { kind: 'query', ...fields }, { cause: err });
          } finally {
            running--;
          }
        },
        async close() {
          if (closed) return;
          closed = true;
          signal?.removeEventListener('abort', onAbort);
          await client.end().catch(() => undefined);
        },
      };
      return session;
    },
  };
}

function lost(conn: ResolvedConnection, err: unknown): DbError {
  const why = scrub(String((err as Error)?.message ?? err), conn.password);
  return new DbError(
    `lost the connection to PostgreSQL at ${conn.host}:${conn.port} (database "${conn.database}"): ${why}. ` +
      'Work that had not committed was rolled back by the server; running apply again resumes.',
    { kind: 'connection', ...serverFields(err, conn.password) },
    { cause: err },
  );
}

function serverFields(err: unknown, password: string | undefined) {
  const e = err as {
    code?: unknown;
    message?: unknown;
    detail?: unknown;
    hint?: unknown;
    where?: unknown;
    constraint?: unknown;
  };
  const str = (v: unknown) => (typeof v === 'string' && v !== '' ? scrub(v, password) : undefined);
  const code = str(e?.code);
  return {
    sqlstate: code && /^[0-9A-Z]{5}$/.test(code) ? code : undefined,
    serverMessage: str(e?.message),
    detail: str(e?.detail),
    hint: str(e?.hint),
    where: str(e?.where),
    constraint: str(e?.constraint),
  };
}
