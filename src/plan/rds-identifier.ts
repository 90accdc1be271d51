// RDS identifier rules (docs/plans.md "Checks beyond the schema"): 1–63 letters, digits or hyphens
// (snapshots up to 255), first a letter, no trailing hyphen, no "--". Returns what is wrong in words,
// or undefined when fine.

export function identifierProblem(value: string, what: string, maxLength = 63): string | undefined {
  if (value.length === 0) return `${what} must not be empty`;
  if (value.length > maxLength)
    return `${what} "${value.slice(0, 20)}…" is ${value.length} characters long; RDS allows at most ${maxLength}`;
  if (!/^[A-Za-z]/.test(value)) return `${what} "${value}" must start with a letter (RDS identifier rules)`;
  const bad = /[^A-Za-z0-9-]/.exec(value);
  if (bad)
    return `${what} "${value}" contains ${JSON.stringify(bad[0])}; RDS identifiers hold only letters, digits and hyphens`;
  if (value.includes('--')) return `${what} "${value}" contains "--"; RDS identifiers cannot hold two hyphens in a row`;
  if (value.endsWith('-')) return `${what} "${value}" ends with a hyphen; RDS identifiers cannot`;
  return undefined;
}

const DB_ARN = /^arn:aws[a-z-]*:rds:[a-z0-9-]+:\d{12}:db:(.+)$/;
const SNAPSHOT_ARN = /^arn:aws[a-z-]*:rds:[a-z0-9-]+:\d{12}:snapshot:(.+)$/;

/** An RDS instance given as an identifier or an ARN (a source instance). */
export function instanceRefProblem(value: string, what: string): string | undefined {
  if (value.startsWith('arn:')) {
    const m = DB_ARN.exec(value);
    if (!m) return `${what} "${value}" is not an RDS DB instance ARN (arn:aws:rds:REGION:ACCOUNT:db:ID)`;
    return identifierProblem(m[1], `${what}'s instance id`);
  }
  return identifierProblem(value, what);
}

/** A DB snapshot given as an identifier (automated ones start with "rds:") or an ARN. */
export function snapshotRefProblem(value: string, what: string): string | undefined {
  if (value.startsWith('arn:')) {
    const m = SNAPSHOT_ARN.exec(value);
    if (!m) return `${what} "${value}" is not an RDS DB snapshot ARN (arn:aws:rds:REGION:ACCOUNT:snapshot:ID)`;
    return identifierProblem(m[1].replace(/^rds:/, ''), `${what}'s snapshot id`, 255);
  }
  return identifierProblem(value.replace(/^rds:/, ''), what, 255);
}

export function iamRoleProblem(value: string, what: string): string | undefined {
  return /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/.test(value)
    ? undefined
    : `${what} must be an IAM role ARN such as arn:aws:iam::111122223333:role/rds-s3-import`;
}

/** A custom DB (cluster) parameter group name: identifier rules up to 255; a default.* group cannot be modified. */
export function parameterGroupProblem(value: string, what: string): string | undefined {
  if (/^default\./i.test(value)) {
    return `${what} "${value}" is a default parameter group, which RDS does not let anyone modify; name a custom group (the step creates it from the family)`;
  }
  return identifierProblem(value, what, 255);
}

/** The master user of a new cluster: 1–63 letters, digits or underscores, first a letter, not an RDS-reserved name. */
export function masterUsernameProblem(value: string, what: string): string | undefined {
  if (!/^[A-Za-z][A-Za-z0-9_]{0,62}$/.test(value))
    return `${what} "${value.slice(0, 70)}" must be 1–63 letters, digits or underscores, starting with a letter`;
  if (['rdsadmin', 'rds_superuser', 'rdsrepladmin', 'public'].includes(value.toLowerCase()))
    return `${what} "${value}" is reserved by RDS`;
  return undefined;
}
