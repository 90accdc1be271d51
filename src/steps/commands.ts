// External programs of the logical route's schema copy (pg_dump, pg_dumpall, psql), run through a
// small injected runner so tests and the dry-run can show every command with its arguments. The
// password travels in PGPASSWORD (the child's environment), never in an argument, never in an event.
// Programs are found in PG_BINDIR when it is set, else on PATH; their major must be at least the
// source's (pg_dump refuses to dump a newer server).
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { ResolvedConnection } from '../db/api.js';

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CommandRunner {
  run(
    program: string,
    args: readonly string[],
    options?: { env?: Record<string, string>; input?: string; signal?: AbortSignal },
  ): Promise<CommandResult>;
}

export type PgProgram = 'pg_dump' | 'pg_dumpall' | 'psql';

/** Where a program is: PG_BINDIR/program when PG_BINDIR is set, else the bare name (PATH). */
export function programPath(
  program: PgProgram,
  env: Readonly<Record<string, string | undefined>> = process.env,
): string {
  const dir = env.PG_BINDIR;
  return dir ? join(dir, program) : program;
}

/** Spawns programs with node:child_process; a program that is not found answers code 127. */
export const nodeRunner: CommandRunner = {
  run(program, args, options = {}) {
    return new Promise((resolve, reject) => {
      const child = spawn(program, [...args], {
        env: { ...process.env, ...options.env },
        signal: options.signal,
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on('data', (d: Buffer) => out.push(d));
      child.stderr.on('data', (d: Buffer) => err.push(d));
      child.on('error', (e: NodeJS.ErrnoException) => {
        if (e.code === 'ENOENT') resolve({ code: 127, stdout: '', stderr: `${program}: not found` });
        else reject(e);
      });
      child.on('close', (code) =>
        resolve({
          code: code ?? 1,
          stdout: Buffer.concat(out).toString('utf8'),
          stderr: Buffer.concat(err).toString('utf8'),
        }),
      );
      child.stdin.on('error', () => undefined);
      child.stdin.end(options.input ?? '');
    });
  },
};

/** Connection arguments (never the password) and the environment that carries the password and TLS mode. */
export function connectionArgs(conn: ResolvedConnection): { args: string[]; env: Record<string, string> } {
  const env: Record<string, string> = { PGAPPNAME: 'aurora-migrate', PGCONNECT_TIMEOUT: '10' };
  if (conn.password) env.PGPASSWORD = conn.password;
  env.PGSSLMODE =
    conn.ssl === 'require' ? 'require' : conn.ssl === true || conn.ssl === 'verify-full' ? 'verify-full' : 'disable';
  return { args: ['-h', conn.host, '-p', String(conn.port), '-U', conn.user], env };
}

/** "pg_dump (PostgreSQL) 15.18 (Debian …)" → { major: 15, version: "15.18" }. */
export function parseVersion(text: string): { major: number; version: string } | undefined {
  const m = /\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?/.exec(text);
  if (!m) return undefined;
  return { major: Number(m[1]), version: m[2] !== undefined ? `${m[1]}.${m[2]}` : m[1] };
}

/** Each program's version, or why it cannot be used. */
export async function programVersions(
  runner: CommandRunner,
  env?: Readonly<Record<string, string | undefined>>,
): Promise<Record<PgProgram, { path: string; major?: number; version?: string; problem?: string }>> {
  const out = {} as Record<PgProgram, { path: string; major?: number; version?: string; problem?: string }>;
  for (const program of ['pg_dump', 'pg_dumpall', 'psql'] as const) {
    const path = programPath(program, env);
    const r = await runner.run(path, ['--version']).catch((e: Error) => ({ code: 1, stdout: '', stderr: e.message }));
    const v = r.code === 0 ? parseVersion(r.stdout) : undefined;
    out[program] = v
      ? { path, ...v }
      : {
          path,
          problem:
            r.code === 127
              ? `${path} was not found (install the PostgreSQL client, e.g. Debian's postgresql-client, or set PG_BINDIR)`
              : `${path} --version failed: ${(r.stderr || r.stdout).trim().slice(0, 200)}`,
        };
  }
  return out;
}

/** The display form of a command for the dry-run and the event log (no password: it is in the environment). */
export const commandLine = (program: string, args: readonly string[]) =>
  [program, ...args.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`))].join(' ');
