// Roles from the source to the target: `pg_dumpall --roles-only --no-role-passwords` (RDS does not
// let anyone read pg_authid, which the flag avoids), read as data. Roles missing on the target are
// created with the attributes a master user may give (LOGIN, INHERIT, CREATEDB, CREATEROLE,
// CONNECTION LIMIT, VALID UNTIL; never SUPERUSER, REPLICATION or BYPASSRLS); RDS's own roles, pg_*
// roles and superusers are left out; roles already on the target are skipped. Memberships and
// per-role settings follow. The tool then makes itself a member of the roles that own the
// replicated tables (pg_dump makes them owners; 16+: CREATEROLE gives only ADMIN OPTION), and sets
// the passwords from rolePasswords as SCRAM verifiers — never logged, never in output, state or event log.
import type { ResolvedConnection } from '../../db/api.js';
import { runTool, type PgToolsDeps } from './dump.js';
import { scramVerifier } from './scram.js';
import { lit, q } from './spec.js';
import type { Sql } from './session.js';

export interface DumpedRole {
  name: string;
  attributes: string[];
  superuser: boolean;
  login: boolean;
}

export interface DumpedRoles {
  roles: DumpedRole[];
  /** GRANT a TO b [WITH ADMIN OPTION] (GRANTED BY dropped: the target's grantor is the tool's user). */
  grants: string[];
  /** ALTER ROLE x [IN DATABASE d] SET … */
  settings: Array<{ role: string; sql: string }>;
}

const IDENT = '(?:"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)';
const unquote = (s: string) => (s.startsWith('"') ? s.slice(1, -1).replace(/""/g, '"') : s);
const KEEP = /^(LOGIN|NOLOGIN|INHERIT|NOINHERIT|CREATEDB|NOCREATEDB|CREATEROLE|NOCREATEROLE)$/;

/** Roles RDS and PostgreSQL own: never copied. */
export const isSystemRole = (name: string) => /^(pg_|rds)/.test(name);

export function parseRoles(text: string): DumpedRoles {
  const roles = new Map<string, DumpedRole>();
  const grants: string[] = [];
  const settings: DumpedRoles['settings'] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    let m = new RegExp(`^CREATE ROLE (${IDENT});$`).exec(line);
    if (m) {
      const name = unquote(m[1]);
      roles.set(name, { name, attributes: [], superuser: false, login: false });
      continue;
    }
    m = new RegExp(`^ALTER ROLE (${IDENT}) WITH (.*);$`).exec(line);
    if (m) {
      const role = roles.get(unquote(m[1]));
      if (!role) continue;
      const words: string[] = m[2].match(/CONNECTION LIMIT -?\d+|VALID UNTIL '[^']*'|\S+/g) ?? [];
      role.superuser = words.includes('SUPERUSER');
      role.login = words.includes('LOGIN');
      role.attributes = words.filter((w) => KEEP.test(w) || /^(CONNECTION LIMIT|VALID UNTIL)/.test(w));
      continue;
    }
    m = new RegExp(`^ALTER ROLE (${IDENT}) (IN DATABASE ${IDENT} )?SET .*;$`).exec(line);
    if (m) {
      settings.push({ role: unquote(m[1]), sql: line });
      continue;
    }
    m = new RegExp(`^GRANT (${IDENT}) TO (${IDENT})( WITH ADMIN OPTION)?(?: GRANTED BY ${IDENT})?;$`).exec(line);
    if (m) grants.push(`GRANT ${m[1]} TO ${m[2]}${m[3] ?? ''}`);
  }
  return { roles: [...roles.values()], grants, settings };
}

export const ROLES_ARGS = ['--roles-only', '--no-role-passwords'];

export interface RolesResult {
  created: string[];
  skipped: string[];
  passwordsSet: string[];
  /** Roles as pg_dumpall listed them (for the "no password on the target" warning). */
  dumped: DumpedRole[];
}

/**
 * Copies the roles. `owners`: roles that own replicated tables (the tool becomes their member on
 * the target). `passwords`: rolePasswords, resolved (secrets).
 */
export async function copyRoles(
  deps: PgToolsDeps & { warn(message: string): void },
  source: ResolvedConnection,
  target: Sql,
  owners: readonly string[],
  passwords: Readonly<Record<string, string>>,
): Promise<RolesResult> {
  const r = await runTool(deps, 'pg_dumpall', { ...source, database: source.database }, [
    ...ROLES_ARGS,
    '-l',
    source.database,
  ]);
  if (r.code !== 0) throw new Error(`pg_dumpall --roles-only failed: ${r.stderr.trim().slice(0, 600)}`);
  const dumped = parseRoles(r.stdout);
  const existing = new Set(
    (await target.read<{ rolname: string }>('SELECT rolname FROM pg_roles')).map((x) => x.rolname),
  );
  const created: string[] = [];
  const skipped: string[] = [];
  for (const role of dumped.roles) {
    if (isSystemRole(role.name) || existing.has(role.name)) continue;
    if (role.superuser) {
      skipped.push(role.name);
      deps.warn(
        `role ${role.name} is a superuser on the source and was not copied (a master user cannot create superusers); create what it needs on the target yourself`,
      );
      continue;
    }
    await target.exec(
      `CREATE ROLE ${q(role.name)}${role.attributes.length ? ` WITH ${role.attributes.join(' ')}` : ''}`,
    );
    created.push(role.name);
    existing.add(role.name);
  }
  for (const grant of dumped.grants) {
    const [, a, b] = /^GRANT (.+) TO (.+?)( WITH ADMIN OPTION)?$/.exec(grant) ?? [];
    if (!a || !b || !existing.has(unquote(a)) || !existing.has(unquote(b)) || isSystemRole(unquote(a))) continue;
    if (!created.includes(unquote(a)) && !created.includes(unquote(b))) continue;
    await target
      .exec(grant)
      .catch((err: Error) => deps.warn(`could not copy the membership "${grant}" to the target: ${err.message}`));
  }
  for (const s of dumped.settings) {
    if (!created.includes(s.role)) continue;
    await target
      .exec(s.sql)
      .catch((err: Error) => deps.warn(`could not copy the role setting "${s.sql}" to the target: ${err.message}`));
  }
  await joinOwners(target, owners);
  const passwordsSet: string[] = [];
  for (const [role, password] of Object.entries(passwords)) {
    if (!existing.has(role))
      throw new Error(
        `rolePasswords names role "${role}", which is neither on the source nor on the target (names are case-sensitive)`,
      );
    await target.exec(
      `ALTER ROLE ${q(role)} PASSWORD ${lit(scramVerifier(password))}`,
      [],
      `ALTER ROLE ${q(role)} PASSWORD ***`,
    );
    passwordsSet.push(role);
  }
  return { created, skipped, passwordsSet, dumped: dumped.roles };
}

/** The tool's user on the target becomes a member of each owning role it is not yet a member of (SET needed for ALTER … OWNER, setval, REFRESH). */
export async function joinOwners(target: Sql, owners: readonly string[]): Promise<void> {
  for (const owner of [...new Set(owners)]) {
    const [row] = await target.read<{ ok: boolean | null; exists: boolean; superuser: boolean | null }>(
      `SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1) AS exists, (SELECT rolsuper FROM pg_roles WHERE rolname = $1) AS superuser,
              CASE WHEN EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1) THEN pg_has_role(current_user, $1, 'USAGE') END AS ok`,
      [owner],
    );
    // A superuser or RDS's own role cannot be joined; objects it owns stay the tool's user's (pre-data leaves their OWNER TO out).
    if (!row?.exists || row.ok || row.superuser || isSystemRole(owner)) continue;
    try {
      await target.exec(`GRANT ${q(owner)} TO ${q(target.conn.user)}`);
    } catch (err) {
      throw new Error(
        `the target's ${target.conn.user} must be a member of role ${owner}, which owns replicated tables, and could not grant it to itself (${(err as Error).message}). Run on the target: GRANT ${owner} TO ${target.conn.user}`,
      );
    }
  }
}

/** Login roles of the source that have neither a password in rolePasswords nor a place in rolesReady. */
export function rolesWithoutPassword(
  roles: DumpedRole[],
  spec: { rolePasswords?: Record<string, string>; rolesReady?: string[] },
  toolUsers: readonly string[],
): string[] {
  const ok = new Set([...Object.keys(spec.rolePasswords ?? {}), ...(spec.rolesReady ?? []), ...toolUsers]);
  return roles.filter((r) => r.login && !r.superuser && !isSystemRole(r.name) && !ok.has(r.name)).map((r) => r.name);
}
