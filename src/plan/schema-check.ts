// Schema validation (the precompiled Ajv validator for schemas/plan.schema.json) with every Ajv error
// rewritten into words a person understands and placed on the offending key or value.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import validatePlanSchema from './schema-validator.generated.js';
import { SECRET_KEYS } from './values.js';
import { displayPath, joinPointer } from './pointer.js';
import { didYouMean } from './suggest.js';
import { splitPointer, type Position } from './yaml-source.js';

export interface SchemaProblem extends Position {
  pointer: string;
  message: string;
}

interface AjvError {
  instancePath: string;
  schemaPath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string;
  propertyName?: string;
}

type Locate = (pointer: string, target?: 'key' | 'value') => Position;

const PATTERN_WORDS: Record<string, string> = {
  '^[a-z][a-z0-9-]*$':
    'must start with a lower-case letter and hold only lower-case letters, digits and hyphens (e.g. "catch-up")',
  '^[0-9]+(\\.[0-9]+)?(ms|s|m|h|d)$': 'must be a duration such as 90s, 5m, 8h or 2d',
  '^[a-z]{2}(-[a-z]+)+-[0-9]+$': 'must be an AWS region such as us-east-1',
  '^[^:]*$': 'must not contain ":" (RDS refuses an export prefix with a colon)',
  '^[A-Za-z0-9$_]+(\\.[A-Za-z0-9$_]+){0,2}$':
    'must be database, database.schema or database.schema.table, each part of Latin letters, digits, $ and _ only (RDS refuses a partial export of other names)',
  '^[A-Za-z][A-Za-z0-9]*$': 'must be a CloudWatch metric name such as FreeStorageSpace',
  '^([0-9]+|\\$\\{[^}]+\\})$': 'must be a whole number or a ${...} reference',
};

const TYPE_WORDS: Record<string, string> = {
  object: 'a mapping (key: value pairs)',
  array: 'a list',
  string: 'a string',
  integer: 'a whole number',
  number: 'a number',
  boolean: 'true or false',
  null: 'empty',
};

let schemaCache: unknown;
function planSchema(): unknown {
  schemaCache ??= JSON.parse(readFileSync(schemaFile(), 'utf8'));
  return schemaCache;
}

/** schemas/plan.schema.json of this package, found upwards from this module (src/ or a bundled dist/). */
function schemaFile(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'schemas', 'plan.schema.json');
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('schemas/plan.schema.json not found next to the aurora-migrate package');
    dir = parent;
  }
}

type SchemaObject = Record<string, unknown> & {
  $ref?: string;
  properties?: Record<string, SchemaObject>;
  items?: SchemaObject;
  oneOf?: SchemaObject[];
  discriminator?: unknown;
};

/**
 * The schema object that applies at an instance path, found by walking the plan itself (a step's
 * schema by its `type`). Ajv's schemaPath is relative to a separately compiled $ref'd schema when
 * that schema holds a $ref of its own, so it cannot say which step type an error is about.
 */
function schemaForInstance(data: unknown, instancePath: string): SchemaObject | undefined {
  const root = planSchema() as SchemaObject & { $defs: Record<string, SchemaObject> };
  const deref = (n: SchemaObject | undefined): SchemaObject | undefined => {
    let node = n;
    for (let i = 0; node?.$ref && i < 10; i++) node = root.$defs[node.$ref.replace('#/$defs/', '')];
    return node;
  };
  let node = deref(root);
  let value: unknown = data;
  const pick = () => {
    if (node?.discriminator && value && typeof value === 'object') {
      const t = (value as Record<string, unknown>).type;
      node = typeof t === 'string' ? deref(root.$defs[`step-${t}`]) : undefined;
    }
  };
  pick();
  for (const raw of instancePath.split('/').slice(1)) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (!node) return undefined;
    node = deref(node.properties?.[seg] ?? (/^\d+$/.test(seg) ? node.items : undefined));
    value = value && typeof value === 'object' ? (value as Record<string, unknown>)[seg] : undefined;
    pick();
  }
  return node?.properties ? node : undefined;
}

/** The schema object at a schemaPath such as #/$defs/step-promote/additionalProperties (its parent). */
function schemaAt(schemaPath: string): Record<string, unknown> | undefined {
  let node: unknown = planSchema();
  const segs = schemaPath.replace(/^#/, '').split('/').filter(Boolean).slice(0, -1);
  for (const s of segs) {
    if (!node || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[s.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return node && typeof node === 'object' ? (node as Record<string, unknown>) : undefined;
}

function typeName(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'number') return Number.isInteger(value) ? 'a whole number' : 'a number';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  return 'a string';
}

function valueAt(data: unknown, pointer: string): unknown {
  let v = data;
  for (const s of splitPointer(pointer)) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[s];
  }
  return v;
}

/** `(got "x")` unless the value is a secret or too long to be useful. */
function got(value: unknown, pointer: string): string {
  const key = splitPointer(pointer).at(-1) ?? '';
  if (
    SECRET_KEYS.has(key) ||
    key === 'credentials' ||
    pointer.includes('/credentials/') ||
    pointer.includes('/rolePasswords/')
  )
    return '';
  if (typeof value === 'string') return value.length <= 60 ? ` (got ${JSON.stringify(value)})` : '';
  if (typeof value === 'number' || typeof value === 'boolean') return ` (got ${value})`;
  return ` (got ${typeName(value)})`;
}

function at(pointer: string, message: string): string {
  const path = displayPath(pointer);
  return path ? `${path}: ${message}` : message;
}

export function checkSchema(data: unknown, locate: Locate): SchemaProblem[] {
  if (validatePlanSchema(data)) return [];
  const errors = ((validatePlanSchema as unknown as { errors?: AjvError[] }).errors ?? []).slice();
  const problems: SchemaProblem[] = [];
  const push = (pointer: string, target: 'key' | 'value', message: string) =>
    problems.push({ pointer, message, ...locate(pointer, target) });

  for (const e of errors) {
    const p = e.instancePath;
    const value = valueAt(data, p);
    switch (e.keyword) {
      case 'discriminator':
        break; // always accompanied by a required/type/enum error on `type`, which says it better
      case 'required': {
        const missing = String(e.params.missingProperty);
        push(p, p === '' || /\/\d+$/.test(p) ? 'value' : 'key', at(p, `missing required field "${missing}"`));
        break;
      }
      case 'additionalProperties': {
        const extra = String(e.params.additionalProperty);
        const parent = schemaForInstance(data, p) ?? schemaAt(e.schemaPath);
        const allowed = Object.keys((parent?.properties as object | undefined) ?? {});
        const hint = didYouMean(extra, allowed);
        push(
          joinPointerOf(p, extra),
          'key',
          at(p, `unknown key "${extra}"${hint}; allowed here: ${allowed.join(', ')}`),
        );
        break;
      }
      case 'type': {
        const types = ([] as string[]).concat(e.params.type as string | string[]);
        const words = types.flatMap((t) => (t.includes(',') ? t.split(',') : [t]));
        const want = words.map((t) => TYPE_WORDS[t] ?? t).join(' or ');
        push(p, 'value', at(p, `must be ${want}, not ${typeName(value)}`));
        break;
      }
      case 'enum': {
        const allowed = (e.params.allowedValues as unknown[]) ?? [];
        if (/^\/steps\/\d+\/type$/.test(p)) {
          if (typeof value !== 'string') break; // the type error says it
          const hint = didYouMean(value, allowed as string[]);
          const step = p.replace(/\/type$/, '');
          push(p, 'key', at(step, `unknown step type "${value}"${hint}; the step types are ${allowed.join(', ')}`));
          break;
        }
        const hint =
          typeof value === 'string'
            ? didYouMean(
                value,
                allowed.filter((a): a is string => typeof a === 'string'),
              )
            : '';
        push(
          p,
          'value',
          at(p, `must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}${got(value, p)}${hint}`),
        );
        break;
      }
      case 'const':
        push(
          p,
          'value',
          at(
            p,
            `must be ${JSON.stringify(e.params.allowedValue)}${got(value, p)}${p === '/version' ? '; 1 is the only plan format version' : ''}`,
          ),
        );
        break;
      case 'pattern': {
        if (e.schemaPath.includes('/propertyNames/')) break; // reported by the propertyNames error
        const words = PATTERN_WORDS[String(e.params.pattern)] ?? `must match ${String(e.params.pattern)}`;
        push(p, 'value', at(p, words + got(value, p)));
        break;
      }
      case 'propertyNames': {
        const name = String(e.params.propertyName);
        push(
          joinPointerOf(p, name),
          'key',
          at(p, `"${name}" is not a valid name: use letters, digits, _ and -, starting with a letter or _`),
        );
        break;
      }
      case 'minLength':
        push(p, 'value', at(p, 'must not be empty'));
        break;
      case 'maxLength':
        push(p, 'value', at(p, `must be at most ${String(e.params.limit)} characters long`));
        break;
      case 'minimum':
      case 'maximum':
        push(
          p,
          'value',
          at(p, `must be ${e.keyword === 'minimum' ? '>=' : '<='} ${String(e.params.limit)}${got(value, p)}`),
        );
        break;
      case 'minItems': {
        const n = Number(e.params.limit);
        push(
          p,
          'value',
          at(
            p,
            p === '/steps' ? 'a plan needs at least one step' : `must hold at least ${n} item${n === 1 ? '' : 's'}`,
          ),
        );
        break;
      }
      default:
        push(p, 'value', at(p, e.message ?? `fails schema keyword ${e.keyword}`));
    }
  }
  return dedupe(problems);
}

function joinPointerOf(parent: string, key: string): string {
  return parent + joinPointer([key]);
}

function dedupe(problems: SchemaProblem[]): SchemaProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const k = `${p.line}:${p.column}:${p.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
