// Step type "s3-import": backfill tables from S3 objects with Aurora's aws_s3.table_import_from_s3,
// each object exactly once (ledger aurora_migrate.s3_import_ledger, written in the import's own
// transaction). See src/steps/s3-import/ for the parts: spec checks, IAM role, listing, ledger,
// the per-file transaction, the worker pool and progress.
import type { S3ImportSpec } from '../../plan/types.js';
import { SECRET_PLACEHOLDER } from '../../plan/values.js';
import type { PlannedAction, StepModule } from '../step.js';
import { roleActions } from './iam-role.js';
import { IMPORT_SQL, IMPORT_WITH_CREDENTIALS_SQL, importParams } from './import-file.js';
import { DONE_SQL, LEDGER_DDL } from './ledger.js';
import { runImport } from './run-import.js';
import { CREATE_EXTENSION_SQL } from './db-setup.js';
import { columnListText } from './spec-checks.js';

export function describeImport(spec: S3ImportSpec): PlannedAction[] {
  const actions: PlannedAction[] = [];
  if (spec.cluster && spec.iamRole) actions.push(...roleActions(spec.cluster, spec.iamRole, 's3Import'));
  actions.push({ kind: 'sql', sql: CREATE_EXTENSION_SQL });
  for (const ddl of LEDGER_DDL)
    actions.push({ kind: 'sql', sql: ddl, note: 'exactly-once ledger (created if missing)' });
  const credentials = spec.credentials
    ? {
        accessKeyId: SECRET_PLACEHOLDER,
        secretAccessKey: SECRET_PLACEHOLDER,
        sessionToken: spec.credentials.sessionToken ? SECRET_PLACEHOLDER : undefined,
      }
    : undefined;
  const concurrency = spec.concurrency ?? 4;
  for (const t of spec.tables ?? []) {
    const from = t.from;
    if (from.keys !== undefined) {
      for (const key of from.keys) {
        actions.push({
          kind: 'aws',
          service: 's3',
          operation: 'HeadObject',
          params: { Bucket: from.bucket, Key: key },
          note: `ETag of the object (region ${from.region})`,
        });
      }
    } else {
      actions.push({
        kind: 'aws',
        service: 's3',
        operation: 'ListObjectsV2',
        params: { Bucket: from.bucket, Prefix: from.prefix ?? '' },
        note: `every page, in region ${from.region}`,
      });
    }
    const key = from.keys !== undefined ? '<each key>' : `<each key under ${from.prefix ?? ''}>`;
    const params = importParams(
      {
        table: t.table,
        columns: columnListText(t.columns),
        options: t.options ?? '',
        bucket: from.bucket,
        key,
        region: from.region,
      },
      credentials,
    );
    actions.push({
      kind: 'sql',
      sql: DONE_SQL,
      params: [t.table, from.bucket, '<the keys of each page>'],
      note: 'already imported? (checked again by the ledger key)',
    });
    actions.push({
      kind: 'sql',
      sql: credentials ? IMPORT_WITH_CREDENTIALS_SQL : IMPORT_SQL,
      params: [...params.map((p) => (p === undefined ? '' : p)), '<ETag>', '<size>', '<plan>', '<step>', '<run id>'],
      note:
        `per object into ${t.table}, ${concurrency} at a time, the import and its ledger row in one statement; exactly once per (table, bucket, key, ETag)` +
        (t.expectRows !== undefined ? `; then check ${t.expectRows} rows in all` : ''),
    });
  }
  return actions;
}

export const s3Import: StepModule<S3ImportSpec> = {
  type: 's3-import',
  outputs: ['filesImported', 'rowsImported'],
  describe: (spec) => describeImport(spec),
  run: (spec, ctx) => runImport(spec, ctx),
};
