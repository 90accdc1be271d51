// One S3 object into one table, exactly once, in ONE statement (so one transaction and one round
// trip, like a plain COPY): a MATERIALIZED CTE calls aws_s3.table_import_from_s3 once, and the
// INSERT records (table, bucket, key, ETag, rows) in the ledger. Both commit together or not at all;
// a second importer of the same file fails on the ledger's primary key and its rows roll back.
// Bound parameters only: $1 table, $2 columns, $3 options, $4 bucket, $5 key, $6 region,
// [$7..$9 credentials], then the ledger's own values.
import type { DbSession } from '../../db/api.js';
import { isDbError } from '../../db/errors.js';
import { SECRET_PLACEHOLDER } from '../../plan/values.js';
import { LEDGER_PKEY, LEDGER_TABLE } from './ledger.js';

function importStatement(withCredentials: boolean): string {
  const creds = withCredentials ? ', aws_commons.create_aws_credentials($7, $8, $9)' : '';
  const n = withCredentials ? 9 : 6;
  const p = (i: number) => `$${n + i}`;
  return (
    'WITH imported AS MATERIALIZED (' +
    `SELECT aws_s3.table_import_from_s3($1, $2, $3, aws_commons.create_s3_uri($4, $5, $6)${creds}) AS result) ` +
    `INSERT INTO ${LEDGER_TABLE} (table_name, bucket, key, etag, size_bytes, plan_name, step_id, run_id, rows_imported, result) ` +
    `SELECT $1, $4, $5, ${p(1)}, ${p(2)}, ${p(3)}, ${p(4)}, ${p(5)}, ` +
    "substring(result from '^\\s*(\\d+) rows? imported')::bigint, result FROM imported " +
    'RETURNING rows_imported, result'
  );
}

export const IMPORT_SQL = importStatement(false);
export const IMPORT_WITH_CREDENTIALS_SQL = importStatement(true);

export interface FileJob {
  tableIndex: number;
  /** Canonical quoted name from the database, e.g. public.events_archive. */
  table: string;
  /** column_list argument ("" = all columns). */
  columns: string;
  options: string;
  bucket: string;
  region: string;
  key: string;
  etag: string;
  size: number;
}

export interface ImportMeta {
  planName: string;
  stepId: string;
  runId: string;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Receives each statement sent (credentials already masked). */
  onSql(sql: string, params: unknown[]): void;
}

export type FileOutcome = { status: 'imported'; rows: number; result: string } | { status: 'skipped' };

/** The database refused this file (bad row, wrong options, missing object...): not retryable. */
export class FileFailed extends Error {
  constructor(
    readonly job: FileJob,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`s3://${job.bucket}/${job.key} into ${job.table}: ${reason}`, options);
    this.name = 'FileFailed';
  }
}

/** The parameters aws_s3 sees ($1..$6, and $7..$9 with credentials). */
export function importParams(
  job: Pick<FileJob, 'table' | 'columns' | 'options' | 'bucket' | 'key' | 'region'>,
  credentials?: ImportMeta['credentials'],
) {
  const params: unknown[] = [job.table, job.columns, job.options, job.bucket, job.key, job.region];
  if (credentials) params.push(credentials.accessKeyId, credentials.secretAccessKey, credentials.sessionToken ?? '');
  return params;
}

export function maskCredentialParams(params: readonly unknown[], withCredentials: boolean): unknown[] {
  return params.map((p, i) => (withCredentials && i >= 6 && i < 9 ? SECRET_PLACEHOLDER : p));
}

export async function importFile(session: DbSession, job: FileJob, meta: ImportMeta): Promise<FileOutcome> {
  const withCredentials = !!meta.credentials;
  const sql = withCredentials ? IMPORT_WITH_CREDENTIALS_SQL : IMPORT_SQL;
  const params = [...importParams(job, meta.credentials), job.etag, job.size, meta.planName, meta.stepId, meta.runId];
  meta.onSql(sql, maskCredentialParams(params, withCredentials));
  let row: { rows_imported: string; result: string } | undefined;
  try {
    row = (await session.query<{ rows_imported: string; result: string }>(sql, params)).rows[0];
  } catch (err) {
    if (isDbError(err, 'query') && err.sqlstate === '23505' && err.constraint === LEDGER_PKEY)
      return { status: 'skipped' };
    if (isDbError(err, 'query') && err.sqlstate === '23502' && /rows_imported/.test(err.serverMessage ?? '')) {
      throw new FileFailed(
        job,
        'aws_s3.table_import_from_s3 did not answer "<N> rows imported ..."; nothing was imported from this file',
        { cause: err },
      );
    }
    if (isDbError(err, 'query')) throw new FileFailed(job, describeDbFailure(err), { cause: err });
    throw err;
  }
  if (!row)
    throw new FileFailed(
      job,
      'the import statement returned no row (the file may or may not be recorded; run apply again to check)',
    );
  return { status: 'imported', rows: Number(row.rows_imported), result: row.result };
}

/** The database's message, the COPY line it points at, and its hint. */
export function describeDbFailure(err: {
  serverMessage?: string;
  message: string;
  copyLocation?: string;
  hint?: string;
  detail?: string;
}): string {
  let text = err.serverMessage ?? err.message;
  if (err.detail) text += ` (${err.detail})`;
  if (err.copyLocation) text += ` at ${err.copyLocation}`;
  if (err.hint) text += `. Hint: ${err.hint}`;
  return text;
}
