// The rehearsal's backfill data: CSV files in the local "S3" folder (<s3Root>/<bucket>/<key>, which
// both the AWS stand-in's S3 and the aws_s3 SQL stand-in read), plus the DDL of the table they load
// into. Deterministic, so a test knows exactly how many rows each file holds and can tell, per file,
// whether it was imported once, twice or not at all (every row's payload names its file).

export interface BackfillFile {
  bucket: string;
  key: string;
  /** Absolute path of the object in the local S3 folder. */
  path: string;
  rows: number;
  bytes: number;
}

export interface BackfillOptions {
  /** Stores one object and returns its absolute path (the PostgreSQL harness's putObject). */
  put(bucket: string, key: string, body: string): Promise<string>;
  bucket: string;
  /** Key prefix, e.g. "events/2023/" (the plan's `from.prefix`). */
  prefix: string;
  files: number;
  /** Rows in file i (0-based); default varies between 150 and 649 so counts differ per file. */
  rowsInFile?(index: number): number;
}

const KINDS = ['order-created', 'order-paid', 'order-shipped', 'order-refunded'];

/** Writes the files with a header line, as `(format csv, header true)` expects. */
export async function writeBackfillFiles(options: BackfillOptions): Promise<BackfillFile[]> {
  const rowsInFile = options.rowsInFile ?? ((i: number) => 150 + ((i * 7919) % 500));
  const files: BackfillFile[] = [];
  let nextId = 1;
  for (let i = 0; i < options.files; i++) {
    const month = String(i + 1).padStart(3, '0');
    const key = `${options.prefix}part-${month}.csv`;
    const rows = rowsInFile(i);
    const lines = ['id,kind,payload'];
    for (let r = 0; r < rows; r++) {
      const id = nextId++;
      const payload = JSON.stringify({ file: key, n: r, amount_cents: (id * 37) % 10_000 });
      lines.push(`${id},${KINDS[id % KINDS.length]},"${payload.replaceAll('"', '""')}"`);
    }
    const text = lines.join('\n') + '\n';
    const file = await options.put(options.bucket, key, text);
    files.push({ bucket: options.bucket, key, path: file, rows, bytes: Buffer.byteLength(text) });
  }
  return files;
}

/**
 * The table the backfill loads into. No primary key on purpose: a file imported twice must show up
 * as doubled row counts, not as a unique-violation that hides how often it ran.
 */
export function backfillTableDdl(table: string): string {
  return `CREATE TABLE IF NOT EXISTS ${table} (id bigint NOT NULL, kind text NOT NULL, payload jsonb NOT NULL)`;
}

/** Rows per file key actually in the table, from the payload each row carries. */
export function rowsPerFileSql(table: string): string {
  return `SELECT payload->>'file' AS key, count(*)::int AS rows, count(DISTINCT id)::int AS ids FROM ${table} GROUP BY 1 ORDER BY 1`;
}
