// AWS's input rules the RDS stand-in enforces: identifiers, ARNs, engine versions, ExportOnly names.
// Each check throws RdsFault with the code and (as near as documented) the message AWS uses.
import { RdsFault } from './rds-errors.js';

/**
 * Cluster/instance identifiers: 1–63 letters, digits or hyphens; first a letter; no trailing hyphen;
 * no two consecutive hyphens. Snapshot and export ids: the same, up to 255 (export ids up to 60).
 * Returns the identifier lower-cased, as RDS stores it.
 */
export function checkIdentifier(param: string, value: unknown, maxLength = 63): string {
  if (typeof value !== 'string' || value === '')
    throw new RdsFault('MissingParameter', `The request must contain the parameter ${param}`);
  const ok =
    value.length <= maxLength && /^[A-Za-z][A-Za-z0-9-]*$/.test(value) && !value.endsWith('-') && !value.includes('--');
  if (!ok) {
    throw new RdsFault(
      'InvalidParameterValue',
      `The parameter ${param} is not a valid identifier. Identifiers must begin with a letter; must contain only ASCII letters, digits, and hyphens; and must not end with a hyphen or contain two consecutive hyphens.`,
    );
  }
  return value.toLowerCase();
}

export function required(param: string, value: unknown): string {
  if (typeof value !== 'string' || value === '')
    throw new RdsFault('MissingParameter', `The request must contain the parameter ${param}`);
  return value;
}

export interface ParsedArn {
  region: string;
  account: string;
  resourceType: string;
  id: string;
}

/** arn:aws:rds:us-east-1:111122223333:db:orders-pg → { resourceType: 'db', id: 'orders-pg', ... } */
export function parseRdsArn(value: string): ParsedArn | undefined {
  const m = /^arn:aws[a-z-]*:rds:([a-z0-9-]+):(\d{12}):([a-z-]+):(.+)$/.exec(value);
  return m ? { region: m[1]!, account: m[2]!, resourceType: m[3]!, id: m[4]!.toLowerCase() } : undefined;
}

export function parseVersion(v: string): { major: number; minor: number } {
  const [major = '0', minor = '0'] = v.split('.');
  return { major: Number(major), minor: Number(minor) };
}

/**
 * The Aurora version must be the source's major version and the same or a higher minor
 * (replica from an instance, restore from a snapshot).
 */
export function checkAuroraVersion(auroraVersion: string, sourceVersion: string, what: string): void {
  const a = parseVersion(auroraVersion);
  const s = parseVersion(sourceVersion);
  if (a.major !== s.major || a.minor < s.minor) {
    throw new RdsFault(
      'InvalidParameterCombination',
      `Cannot create an Aurora PostgreSQL ${auroraVersion} cluster from ${what} running PostgreSQL ${sourceVersion}: the Aurora version must be the same major version and the same or a higher minor version.`,
    );
  }
}

const EXPORT_NAME = /^[A-Za-z0-9$_]+$/;

/** ExportOnly entries: database, database.schema or database.schema.table of [A-Za-z0-9$_]. */
export function checkExportOnly(list: unknown): string[] | undefined {
  if (list === undefined) return undefined;
  const items = Array.isArray(list) ? list.map(String) : [String(list)];
  for (const item of items) {
    const parts = item.split('.');
    if (parts.length < 1 || parts.length > 3 || !parts.every((p) => EXPORT_NAME.test(p))) {
      throw new RdsFault(
        'InvalidExportOnly',
        `The ExportOnly value "${item}" is not valid. Use database, database.schema or database.schema.table names made of Latin letters, digits, $ and _.`,
      );
    }
  }
  return items;
}

export function bool(value: unknown): boolean | undefined {
  if (value === undefined) return undefined;
  return String(value).toLowerCase() === 'true';
}

export function asList<T = unknown>(value: unknown): T[] {
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]) as T[];
}

export function tagsOf(value: unknown): Array<{ Key: string; Value: string }> {
  return asList<any>(value).map((t) => ({ Key: String(t?.Key ?? ''), Value: String(t?.Value ?? '') }));
}
