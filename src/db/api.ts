// The small PostgreSQL interface the project owns. Only src/db/pg-connector.ts imports `pg`
// (lazily). Plan values never become SQL text: they travel as bound parameters.

export interface ResolvedConnection {
  host: string;
  port: number;
  database: string;
  user: string;
  password?: string;
  ssl?: boolean | 'require' | 'verify-full';
}

export interface QueryResult<R = Record<string, unknown>> {
  rows: R[];
  rowCount: number;
}

export interface DbSession {
  query<R = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<QueryResult<R>>;
  close(): Promise<void>;
}

export interface DbConnector {
  connect(
    connection: ResolvedConnection,
    options?: { signal?: AbortSignal; statementTimeoutMs?: number },
  ): Promise<DbSession>;
}
