// Step type "s3-export": one query's result to S3 with Aurora's aws_s3.query_export_to_s3, recorded
// once in aurora_migrate.s3_export_ledger (keyed by plan, step, bucket and path) in the export's own
// transaction: a resume after success returns the recorded counts and does not export again. A
// crash after the upload but before COMMIT exports again on resume, to the same object (S3 replaces
// it whole). Every value is a bound parameter; the query text is the plan's, reviewed like code.
import { createHash } from 'node:crypto';
import type { ResolvedConnection } from '../db/api.js';
import { toResolvedConnection } from '../db/connection.js';
import { withSession } from '../db/with-session.js';
import { withTransaction } from '../db/with-transaction.js';
import { Interrupted, StepFailed } from '../errors.js';
import type { S3ExportSpec } from '../plan/types.js';
import type { PlannedAction, StepContext, StepModule } from './step.js';
import { CREATE_EXTENSION_SQL, ensureDatabaseSetup, sentence } from './s3-import/db-setup.js';

export const EXPORT_LEDGER_DDL: readonly string[] = [
  'CREATE SCHEMA IF NOT EXISTS aurora_migrate',
  `CREATE TABLE IF NOT EXISTS aurora_migrate.s3_export_ledger (
  plan_name text NOT NULL,
  step_id text NOT NULL,
  bucket text NOT NULL,
  path text NOT NULL,
  region text NOT NULL,
  query_sha256 text NOT NULL,
  rows_uploaded bigint,
  files_uploaded bigint,
  bytes_uploaded bigint,
  run_id text,
  exported_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (plan_name, step_id, bucket, path)
)`,
];

export const EXPORT_SQL =
  'SELECT rows_uploaded, files_uploaded, bytes_uploaded FROM aws_s3.query_export_to_s3($1, aws_commons.create_s3_uri($2, $3, $4), $5)';
const RECORDED_SQL =
  'SELECT rows_uploaded, files_uploaded, bytes_uploaded, query_sha256, exported_at FROM aurora_migrate.s3_export_ledger ' +
  'WHERE plan_name = $1 AND step_id = $2 AND bucket = $3 AND path = $4 AND rows_uploaded IS NOT NULL';
const CLAIM_SQL =
  'INSERT INTO aurora_migrate.s3_export_ledger (plan_name, step_id, bucket, path, region, query_sha256, run_id) ' +
  'VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING';
const RECORD_SQL =
  'UPDATE aurora_migrate.s3_export_ledger SET rows_uploaded = $5, files_uploaded = $6, bytes_uploaded = $7, exported_at = now() ' +
  'WHERE plan_name = $1 AND step_id = $2 AND bucket = $3 AND path = $4';

interface Counts {
  rows_uploaded: string | number;
  files_uploaded: string | number;
  bytes_uploaded: string | number;
}

const outputsOf = (c: Counts) => ({
  rowsUploaded: Number(c.rows_uploaded),
  filesUploaded: Number(c.files_uploaded),
  bytesUploaded: Number(c.bytes_uploaded),
});

export function describeExport(spec: S3ExportSpec, env: { planName: string; stepId: string }): PlannedAction[] {
  const key = [env.planName, env.stepId, spec.to.bucket, spec.to.path];
  return [
    { kind: 'sql', sql: CREATE_EXTENSION_SQL },
    ...EXPORT_LEDGER_DDL.map(
      (sql): PlannedAction => ({ kind: 'sql', sql, note: 'export ledger (created if missing)' }),
    ),
    { kind: 'sql', sql: RECORDED_SQL, params: key, note: 'already exported? then nothing more is done' },
    {
      kind: 'sql',
      sql: `BEGIN; ${CLAIM_SQL}; ${EXPORT_SQL}; ${RECORD_SQL}; COMMIT`,
      params: [spec.query, spec.to.bucket, spec.to.path, spec.to.region, spec.options ?? null],
      note: `export to s3://${spec.to.bucket}/${spec.to.path} (${spec.to.region}), recorded in the same transaction`,
    },
  ];
}

async function runExport(spec: S3ExportSpec, ctx: StepContext): Promise<Record<string, unknown>> {
  if (!spec.query?.trim()) throw new StepFailed(ctx.stepId, 'query is empty. Fix the plan, then run apply again.');
  if (!spec.to?.bucket || !spec.to.path || !spec.to.region)
    throw new StepFailed(ctx.stepId, 'to needs bucket, path and region. Fix the plan, then run apply again.');
  let conn: ResolvedConnection;
  try {
    conn = toResolvedConnection(spec.connection);
  } catch (err) {
    throw new StepFailed(
      ctx.stepId,
      `${sentence((err as Error).message)} Fix the plan (or the environment variable it reads), then run apply again.`,
      { cause: err },
    );
  }
  const key = [ctx.planName, ctx.stepId, spec.to.bucket, spec.to.path];
  const queryHash = createHash('sha256')
    .update(spec.query)
    .update('\0')
    .update(spec.options ?? '')
    .digest('hex');
  const target = `s3://${spec.to.bucket}/${spec.to.path}`;

  const connectFailed = (err: unknown) =>
    ctx.signal.aborted
      ? new Interrupted('interrupted')
      : new StepFailed(ctx.stepId, (err as Error).message, { cause: err });
  return withSession(ctx.db, conn, { signal: ctx.signal, connectFailed }, async (session) => {
    const sql = async <R>(text: string, params?: unknown[]) => {
      ctx.event('sql', { sql: text, ...(params ? { params } : {}) });
      return session.query<R>(text, params);
    };
    try {
      await ensureDatabaseSetup(session, ctx, 'aurora_migrate.s3_export_ledger', EXPORT_LEDGER_DDL);

      const recorded = async () =>
        (await session.query<Counts & { query_sha256: string; exported_at: Date }>(RECORDED_SQL, key)).rows[0];
      const done = await recorded();
      if (done) {
        if (done.query_sha256 !== queryHash) {
          ctx.warn(
            `${target} was exported by this step before with a different query or options; keeping that export (use a new path to export again)`,
          );
        }
        ctx.progress(`already exported to ${target} at ${new Date(done.exported_at).toISOString()}`);
        return outputsOf(done);
      }

      const counts = await withTransaction(session, async () => {
        const claim = await sql(CLAIM_SQL, [...key, spec.to.region, queryHash, ctx.runId]);
        // Another run exported it meanwhile (its transaction committed before our INSERT returned):
        // nothing was claimed, so the empty transaction ends.
        if (claim.rowCount === 0) return undefined;
        ctx.progress(`exporting to ${target}`);
        let uploaded: Counts;
        try {
          uploaded = (
            await sql<Counts>(EXPORT_SQL, [
              spec.query,
              spec.to.bucket,
              spec.to.path,
              spec.to.region,
              spec.options ?? null,
            ])
          ).rows[0];
        } catch (err) {
          if (ctx.signal.aborted) throw new Interrupted('interrupted');
          throw new StepFailed(
            ctx.stepId,
            `aws_s3.query_export_to_s3 to ${target} failed: ${(err as Error).message}. Check the query, the options and that the cluster may write to the bucket (role for feature s3Export), then run apply again.`,
            { cause: err },
          );
        }
        await sql(RECORD_SQL, [...key, uploaded.rows_uploaded, uploaded.files_uploaded, uploaded.bytes_uploaded]);
        return uploaded;
      });
      if (!counts) {
        const other = await recorded();
        if (other) return outputsOf(other);
        throw new StepFailed(ctx.stepId, `the export ledger has an unfinished entry for ${target}; run apply again.`);
      }
      const outputs = outputsOf(counts);
      ctx.progress(
        `exported ${outputs.rowsUploaded} rows in ${outputs.filesUploaded} file(s), ${outputs.bytesUploaded} bytes, to ${target}`,
      );
      return outputs;
    } catch (err) {
      if (err instanceof StepFailed || err instanceof Interrupted) throw err;
      if (ctx.signal.aborted) throw new Interrupted('interrupted');
      throw new StepFailed(ctx.stepId, `${(err as Error).message}. Run apply again once the cause is fixed.`, {
        cause: err,
      });
    }
  });
}

export const s3Export: StepModule<S3ExportSpec> = {
  type: 's3-export',
  outputs: ['rowsUploaded', 'filesUploaded', 'bytesUploaded'],
  describe: (spec, env) => describeExport(spec, env),
  run: (spec, ctx) => runExport(spec, ctx),
};
