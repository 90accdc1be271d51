// Who must be able to log in to the target after the switch: every login role that could connect
// to the source database BEFORE the fence (the fence took CONNECT away; its recorded ACL says who
// had it — the freeze checkpoint through ctx.cutover.frozenBefore()), directly, through PUBLIC, or
// through a role it inherits from, plus the database's owner. Superusers (RDS's rdsadmin), RDS's
// and PostgreSQL's own roles and the tool's own users are left out.
//
// What the tool can see on the target: that the role exists, has LOGIN and an unexpired VALID UNTIL
// (pg_roles). Whether a password is set is in pg_authid.rolpassword, which RDS and Aurora let no one
// read. So a role counts as able to log in only when the plan says how: its password is in
// rolePasswords (this step sets it, as a SCRAM verifier, never logged) or it is in rolesReady
// (IAM authentication, or a password set another way). Any other role fails the step, named,
// before the point of no return.
import { isSystemRole } from '../logical-replica/roles.js';
import { lit, q } from '../logical-replica/spec.js';
import { scramVerifier } from '../logical-replica/scram.js';
import type { Sql } from '../logical-replica/session.js';

/**
 * Login roles that could connect to database $1 before the fence: by the recorded ACL when $3 (null
 * recorded: the owner's defaults, where PUBLIC has CONNECT), else by the current one.
 */
export const SOURCE_LOGIN_ROLES_SQL = `SELECT r.rolname::text AS rolname FROM pg_roles r, pg_database d
 WHERE d.datname = $1 AND r.rolcanlogin AND NOT r.rolsuper
   AND (r.oid = d.datdba OR EXISTS (
        SELECT 1 FROM aclexplode(COALESCE(CASE WHEN $3::boolean THEN $2::text[]::aclitem[] ELSE d.datacl END, acldefault('d', d.datdba))) a
         WHERE a.privilege_type = 'CONNECT' AND (a.grantee = 0 OR pg_has_role(r.oid, a.grantee, 'USAGE'))))
 ORDER BY 1`;

export const TARGET_ROLES_SQL = `SELECT rolname::text AS rolname, rolcanlogin AS login, COALESCE(rolvaliduntil < now(), false) AS expired
  FROM pg_roles WHERE rolname = ANY($1::text[])`;

export interface RolesVerdict {
  needed: string[];
  problems: string[];
}

/** The source roles that must log in to the target (tool users and system roles left out). */
export async function rolesThatConnect(
  source: Pick<Sql, 'read'>,
  database: string,
  recordedAcl: { acl: string[] | null } | undefined,
  toolUsers: readonly string[],
): Promise<string[]> {
  const rows = await source.read<{ rolname: string }>(SOURCE_LOGIN_ROLES_SQL, [
    database,
    recordedAcl?.acl ?? null,
    recordedAcl !== undefined,
  ]);
  return rows.map((r) => r.rolname).filter((r) => !isSystemRole(r) && !toolUsers.includes(r));
}

/** Sets the passwords of rolePasswords on the target (convergent; the statement is logged with *** only). */
export async function setPasswords(
  target: Pick<Sql, 'read' | 'exec'>,
  passwords: Readonly<Record<string, string>>,
): Promise<string[]> {
  const set: string[] = [];
  const existing = new Set(
    (await target.read<{ rolname: string }>(TARGET_ROLES_SQL, [Object.keys(passwords)])).map((r) => r.rolname),
  );
  for (const [role, password] of Object.entries(passwords)) {
    if (!existing.has(role)) continue; // reported by the check
    await target.exec(
      `ALTER ROLE ${q(role)} PASSWORD ${lit(scramVerifier(password))}`,
      [],
      `ALTER ROLE ${q(role)} PASSWORD ***`,
    );
    set.push(role);
  }
  return set;
}

/** What stops each needed role from logging in to the target (empty: all can). */
export async function loginProblems(
  target: Pick<Sql, 'read'>,
  needed: readonly string[],
  spec: { rolePasswords?: Record<string, string>; rolesReady?: string[] },
): Promise<string[]> {
  const rows = new Map(
    (await target.read<{ rolname: string; login: boolean; expired: boolean }>(TARGET_ROLES_SQL, [needed])).map((r) => [
      r.rolname,
      r,
    ]),
  );
  const known = new Set([...Object.keys(spec.rolePasswords ?? {}), ...(spec.rolesReady ?? [])]);
  const problems: string[] = [];
  for (const role of needed) {
    const r = rows.get(role);
    if (!r) problems.push(`role ${role} does not exist on the target`);
    else if (!r.login) problems.push(`role ${role} cannot log in there (NOLOGIN)`);
    else if (r.expired) problems.push(`role ${role}'s password has expired there (VALID UNTIL)`);
    else if (!known.has(role))
      problems.push(
        `role ${role} has no password the tool knows of on the target (give it in rolePasswords as \${env.…}, or list it in rolesReady if it logs in another way)`,
      );
  }
  return problems;
}
