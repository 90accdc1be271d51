// What the data steps need in the database before they work: the aws_s3 extension and the tool's
// ledger (schema aurora_migrate + a table). Observe first, create only what is missing: a user
// without CREATE on the database can run the steps once an administrator created the extension
// and the schema (CREATE SCHEMA IF NOT EXISTS checks the privilege even when the schema exists).
// Creation is serialised with a transaction-level advisory lock: IF NOT EXISTS alone is not safe
// against a concurrent creator.
import type { DbSession } from '../../db/api.js';
import { withTransaction } from '../../db/with-transaction.js';
import { StepFailed } from '../../errors.js';
import type { StepContext } from '../step.js';

export const CREATE_EXTENSION_SQL = 'CREATE EXTENSION IF NOT EXISTS aws_s3 CASCADE';
export const SETUP_LOCK_SQL = "SELECT pg_advisory_xact_lock(hashtext('aurora-migrate:setup'))";
const OBSERVE_SQL =
  "SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'aws_s3') AS extension, " +
  "EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = 'aurora_migrate') AS schema, " +
  'to_regclass($1) IS NOT NULL AS ledger';

/** Ends a message with exactly one period, so more text can follow. */
export function sentence(text: string): string {
  const t = text.trim();
  return /[.!?]$/.test(t) ? t : `${t}.`;
}

/**
 * Makes sure aws_s3 and the ledger exist. `ledgerDdl` is [CREATE SCHEMA ..., CREATE TABLE ...];
 * `ledgerTable` the table's qualified name. Statements sent are reported as 'sql' events.
 */
export async function ensureDatabaseSetup(
  session: DbSession,
  ctx: Pick<StepContext, 'stepId' | 'event'>,
  ledgerTable: string,
  ledgerDdl: readonly [string, string] | readonly string[],
): Promise<void> {
  const observe = async () =>
    (await session.query<{ extension: boolean; schema: boolean; ledger: boolean }>(OBSERVE_SQL, [ledgerTable])).rows[0];
  let seen = await observe();
  if (seen.extension && seen.schema && seen.ledger) return;

  await withTransaction(session, async () => {
    await session.query(SETUP_LOCK_SQL);
    seen = await observe();
    const run = async (sql: string) => {
      ctx.event('sql', { sql });
      await session.query(sql);
    };
    if (!seen.extension) {
      await run(CREATE_EXTENSION_SQL).catch((err) => {
        throw new StepFailed(
          ctx.stepId,
          `${CREATE_EXTENSION_SQL} failed: ${sentence((err as Error).message)} On Aurora PostgreSQL this needs rds_superuser: ` +
            'have an administrator run it once in this database, then run apply again.',
          { cause: err },
        );
      });
    }
    const [schemaDdl, tableDdl] = ledgerDdl;
    if (!seen.schema) {
      await run(schemaDdl).catch((err) => {
        throw new StepFailed(
          ctx.stepId,
          `creating schema aurora_migrate failed: ${sentence((err as Error).message)} Grant CREATE on the database to the step's user, ` +
            'or have an administrator run CREATE SCHEMA aurora_migrate AUTHORIZATION <user>, then run apply again.',
          { cause: err },
        );
      });
    }
    if (!seen.ledger) {
      await run(tableDdl).catch((err) => {
        throw new StepFailed(
          ctx.stepId,
          `creating the ledger ${ledgerTable} failed: ${sentence((err as Error).message)} The step's user needs CREATE on schema aurora_migrate; fix that, then run apply again.`,
          { cause: err },
        );
      });
    }
  });
}
