// One S3 object into one table, exactly once: in a single transaction, claim the ledger row
// (INSERT ... ON CONFLICT DO NOTHING — a committed or in-flight claim by anyone else means "skip"),
// call aws_s3.table_import_from_s3 with bound parameters only, record the row count, commit.
// A crash anywhere before COMMIT rolls back both the rows and the claim; after COMMIT both stay.
import type { DbSession } from '../../db/api.js';
import { isDbError } from '../../db/errors.js';
import { SECRET_PLACEHOLDER } from '../../plan/values.js';
import { CLAIM_SQL, RECORD_SQL, parseImportedRows } from './ledger.js';

export const IMPORT_SQL =
  'SELECT aws_s3.table_import_from_s3($1, $2, $3, aws_commons.create_s3_uri($4, $5, $6)) AS result';
export const IMPORT_WITH_CREDENTIALS_SQL =
  'SELECT aws_s3.table_import_from_s3($1, $2, $3, aws_commons.create_s3_uri($4, $5, $6), ' +
  'aws_commons.create_aws_credentials($7, $8, $9)) AS result';

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

export function importParams(job: Pick<FileJob, 'table' | 'columns' | 'options' | 'bucket' | 'key' | 'region'>, credentials?: ImportMeta['credentials']) {
  const params: unknown[] = [job.table, job.columns, job.options, job.bucket, job.key, job.region];
  if (credentials) params.push(credentials.accessKeyId, credentials.secretAccessKey, credentials.sessionToken ?? '');
  return params;
}

export function maskCredentialParams(params: readonly unknown[]): unknown[] {
  return params.map((p, i) => (i >= 6 ? SECRET_PLACEHOLDER : p));
}

export async function importFile(session: DbSession, job: FileJob, meta: ImportMeta): Promise<FileOutcome> {
  const ledgerKey = [job.table, job.bucket, job.key, job.etag];
  await session.query('BEGIN');
  let open = true;
  try {
    const claimParams = [...ledgerKey, job.size, meta.planName, meta.stepId, meta.runId];
    meta.onSql(CLAIM_SQL, claimParams);
    const claim = await session.query(CLAIM_SQL, claimParams);
    if (claim.rowCount === 0) {
      await session.query('ROLLBACK');
      open = false;
      return { status: 'skipped' };
    }
    const sql = meta.credentials ? IMPORT_WITH_CREDENTIALS_SQL : IMPORT_SQL;
    const params = importParams(job, meta.credentials);
    meta.onSql(sql, maskCredentialParams(params));
    let result: string;
    try {
      const { rows } = await session.query<{ result: string }>(sql, params);
      result = String(rows[0]?.result ?? '');
    } catch (err) {
      if (isDbError(err, 'query')) throw new FileFailed(job, describeDbFailure(err), { cause: err });
      throw err;
    }
    const imported = parseImportedRows(result);
    if (imported === undefined) {
      throw new FileFailed(job, `aws_s3.table_import_from_s3 returned ${JSON.stringify(result)}, not "<N> rows imported ..."`);
    }
    meta.onSql(RECORD_SQL, [...ledgerKey, imported, result]);
    await session.query(RECORD_SQL, [...ledgerKey, imported, result]);
    await session.query('COMMIT');
    open = false;
    return { status: 'imported', rows: imported, result };
  } finally {
    if (open) await session.query('ROLLBACK').catch(() => undefined);
  }
}

/** The database's message, the COPY line it points at, and its hint. */
export function describeDbFailure(err: { serverMessage?: string; message: string; copyLocation?: string; hint?: string; detail?: string }): string {
  let text = err.serverMessage ?? err.message;
  if (err.detail) text += ` (${err.detail})`;
  if (err.copyLocation) text += ` at ${err.copyLocation}`;
  if (err.hint) text += `. Hint: ${err.hint}`;
  return text;
}
