// --verbose: every AWS call (operation, resource, region, duration, attempts, outcome) and every SQL
// statement (where, duration, rows, the text and its parameters) on stderr, one line each, as it
// happens. Secrets are masked: the values the plan takes from the environment for its secret fields,
// and every connection's password. Decorators over the project's own AwsApi and DbConnector, so the
// engine and the steps are unchanged.
import { ATTEMPTS, type AwsApi, type AwsService } from '../aws/api.js';
import type { DbConnector, DbSession } from '../db/api.js';
import { identifiersOf } from '../aws/call-details.js';
import { redact, secretEnvValues, sqlForms } from '../plan/values.js';

export interface VerboseTrace {
  /** One line to stderr (without the trailing newline). */
  write(line: string): void;
  /** Values never to print (they are replaced by ***). */
  secrets(): readonly string[];
  /** Milliseconds, monotonic (injectable for tests). */
  now?(): number;
}

const MAX_SQL = 400;
const clip = (s: string, max: number) => (s.length > max ? `${s.slice(0, max)}… (${s.length} chars)` : s);
const oneLine = (s: string) => s.replace(/\s+/g, ' ').trim();
const ms = (t: number) => `${Math.round(t)} ms`;

/** The trace of one command: lines to `io.stderr`, masking the plan's secrets from `io.env`. */
export function verboseTraceFor(
  io: { stderr: { write(s: string): unknown }; env: Readonly<Record<string, string | undefined>> },
  plan: { steps: readonly unknown[] },
): VerboseTrace {
  const secrets = secretEnvValues(plan, io.env);
  return { write: (line) => void io.stderr.write(`${line}\n`), secrets: () => secrets };
}

export function traceAws(api: AwsApi, trace: VerboseTrace): AwsApi {
  const now = trace.now ?? (() => performance.now());
  return {
    ...api,
    async send(service: AwsService, operation: string, input: Record<string, unknown>, options) {
      const t0 = now();
      const what = `aws ${service} ${operation}${resourceOf(service, input)}${options?.region ? ` (${options.region})` : ''}`;
      try {
        const out = await api.send(service, operation, input, options);
        const attempts = (out as Record<string, unknown> | undefined)?.[ATTEMPTS];
        const tries = typeof attempts === 'number' ? `, ${attempts} attempt${attempts === 1 ? '' : 's'}` : '';
        trace.write(redact(`verbose: ${what} ${ms(now() - t0)}${tries}, ok`, trace.secrets()));
        return out;
      } catch (err) {
        const e = err as { code?: string; name?: string; attempts?: number };
        const tries = e.attempts ? `, ${e.attempts} attempt${e.attempts === 1 ? '' : 's'}` : '';
        trace.write(
          redact(`verbose: ${what} ${ms(now() - t0)}${tries}, failed: ${e.code ?? e.name ?? 'error'}`, trace.secrets()),
        );
        throw err;
      }
    },
  };
}

function resourceOf(service: AwsService, input: Record<string, unknown>): string {
  const ids = Object.values(identifiersOf(service, input));
  return ids.length ? ` ${ids.slice(0, 2).join(' ')}` : '';
}

export function traceDb(db: DbConnector, trace: VerboseTrace): DbConnector {
  const now = trace.now ?? (() => performance.now());
  return {
    async connect(conn, options) {
      const where = `${conn.user}@${conn.host}:${conn.port}/${conn.database}`;
      const secrets = () => [...trace.secrets(), ...(conn.password ? [conn.password] : [])].flatMap(sqlForms);
      const t0 = now();
      let session: DbSession;
      try {
        session = await db.connect(conn, options);
      } catch (err) {
        trace.write(
          redact(`verbose: sql ${where} connect ${ms(now() - t0)} failed: ${(err as Error).message}`, secrets()),
        );
        throw err;
      }
      trace.write(`verbose: sql ${where} connected ${ms(now() - t0)}`);
      return {
        async query(sql, params) {
          const t = now();
          const text = clip(oneLine(sql), MAX_SQL);
          const args = params?.length ? ` [params: ${clip(JSON.stringify(params), 200)}]` : '';
          try {
            const r = await session.query(sql, params);
            trace.write(
              redact(
                `verbose: sql ${where} ${ms(now() - t)}, ${r.rowCount} row${r.rowCount === 1 ? '' : 's'}: ${text}${args}`,
                secrets(),
              ),
            );
            return r;
          } catch (err) {
            trace.write(
              redact(
                `verbose: sql ${where} ${ms(now() - t)} failed (${(err as Error).message}): ${text}${args}`,
                secrets(),
              ),
            );
            throw err;
          }
        },
        close: () => session.close(),
      } as DbSession;
    },
  };
}
