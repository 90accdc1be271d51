// ${vars.NAME}, ${env.NAME} and ${steps.ID.outputs.NAME}: finding references in plan values and
// resolving them, either for real (apply) or for display (plan, logs), where secrets become *** and
// values not known yet become placeholders.

export type Ref =
  | { kind: 'vars'; name: string; text: string }
  | { kind: 'env'; name: string; text: string }
  | { kind: 'steps'; stepId: string; output: string; text: string };

const REF = /\$\{([^}]*)\}/g;
const VARS = /^vars\.([A-Za-z_][A-Za-z0-9_-]*)$/;
const ENV = /^env\.([A-Za-z_][A-Za-z0-9_]*)$/;
const STEPS = /^steps\.([a-z][a-z0-9-]*)\.outputs\.([A-Za-z][A-Za-z0-9_]*)$/;

export const SECRET_PLACEHOLDER = '***';

/**
 * Field names whose values are secrets wherever they appear (docs/design.md "Secrets": never written
 * anywhere): plan fields, and MasterUserPassword, the AWS parameter aurora-cluster sends masterPassword in.
 */
export const SECRET_KEYS: ReadonlySet<string> = new Set([
  'password',
  'accessKeyId',
  'secretAccessKey',
  'sessionToken',
  'masterPassword',
  'MasterUserPassword',
]);

/** Fields whose every value is a secret (credentials' keys; rolePasswords: role -> password). */
export const SECRET_CONTAINER_KEYS: ReadonlySet<string> = new Set(['credentials', 'rolePasswords']);

/** Parses one reference body (the text between `${` and `}`); undefined when malformed. */
export function parseRef(body: string): Ref | undefined {
  const text = '${' + body + '}';
  let m = VARS.exec(body);
  if (m) return { kind: 'vars', name: m[1], text };
  m = ENV.exec(body);
  if (m) return { kind: 'env', name: m[1], text };
  m = STEPS.exec(body);
  if (m) return { kind: 'steps', stepId: m[1], output: m[2], text };
  return undefined;
}

/** Every `${...}` in a string, with malformed ones reported as `{ malformed: text }`. */
export function findRefs(value: string): Array<Ref | { malformed: string }> {
  const found: Array<Ref | { malformed: string }> = [];
  for (const m of value.matchAll(REF)) {
    const ref = parseRef(m[1]);
    found.push(ref ?? { malformed: m[0] });
  }
  return found;
}

export interface ValueScope {
  vars: Readonly<Record<string, string>>;
  env: Readonly<Record<string, string | undefined>>;
  /** stepId -> outputs of steps that have run (or whose outputs are known from state). */
  outputs: Readonly<Record<string, Readonly<Record<string, unknown>> | undefined>>;
}

export interface Resolution<T> {
  value: T;
  /** References that could not be resolved (display mode shows placeholders for them). */
  unresolved: string[];
  /** Actual secret values met while resolving (for redaction of logs and output). */
  secrets: string[];
}

/**
 * Resolves every reference inside `spec` (deeply). mode 'run' throws on anything unresolved;
 * mode 'display' leaves `<steps.x.outputs.y>` / `<env.X unset>` placeholders and masks secrets.
 */
/**
 * `run`: every value must resolve (throws otherwise). `display`: unknown values become placeholders and
 * secrets `***`. `preflight`: placeholders like display, but secrets keep their value (read-only checks
 * must log in; they never print it).
 */
export function resolveDeep<T>(spec: T, scope: ValueScope, mode: 'run' | 'display' | 'preflight'): Resolution<T> {
  const unresolved: string[] = [];
  const secrets: string[] = [];

  const resolveString = (s: string, secretField: boolean): unknown => {
    // A value that is exactly one reference keeps the referenced value's type (numbers stay numbers).
    const whole = /^\$\{([^}]*)\}$/.exec(s);
    const one = (body: string): { ok: true; value: unknown } | { ok: false; placeholder: string } => {
      const ref = parseRef(body);
      if (!ref) return { ok: false, placeholder: '${' + body + '}' };
      if (ref.kind === 'vars') {
        return ref.name in scope.vars
          ? { ok: true, value: scope.vars[ref.name] }
          : { ok: false, placeholder: `<vars.${ref.name} undefined>` };
      }
      if (ref.kind === 'env') {
        const v = scope.env[ref.name];
        return v !== undefined ? { ok: true, value: v } : { ok: false, placeholder: `<env.${ref.name} unset>` };
      }
      const out = scope.outputs[ref.stepId];
      if (out && ref.output in out && out[ref.output] !== undefined) return { ok: true, value: out[ref.output] };
      return { ok: false, placeholder: `<steps.${ref.stepId}.outputs.${ref.output}>` };
    };
    let result: unknown;
    if (whole) {
      const r = one(whole[1]);
      if (r.ok) result = r.value;
      else {
        unresolved.push(s);
        result = r.placeholder;
      }
    } else {
      result = s.replace(REF, (text, body: string) => {
        const r = one(body);
        if (r.ok) return String(r.value);
        unresolved.push(text);
        return r.placeholder;
      });
    }
    if (secretField && typeof result === 'string' && result !== '') {
      secrets.push(result);
      if (mode === 'display') return SECRET_PLACEHOLDER;
    }
    return result;
  };

  const walk = (v: unknown, secretField: boolean): unknown => {
    if (typeof v === 'string') return resolveString(v, secretField);
    if (Array.isArray(v)) return v.map((x) => walk(x, secretField));
    if (v && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v))
        out[k] = walk(x, secretField || SECRET_KEYS.has(k) || SECRET_CONTAINER_KEYS.has(k));
      return out;
    }
    return v;
  };

  const value = walk(spec, false) as T;
  if (mode === 'run' && unresolved.length > 0) {
    throw new Error(`unresolved value(s): ${[...new Set(unresolved)].join(', ')}`);
  }
  return { value, unresolved: [...new Set(unresolved)], secrets };
}

/** Replaces every occurrence of any secret in a JSON-able value with ***. */
export function redact<T>(value: T, secrets: readonly string[]): T {
  const list = secrets.filter((s) => s.length >= 3).sort((a, b) => b.length - a.length);
  if (list.length === 0) return value;
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') {
      let s = v;
      for (const secret of list) if (s.includes(secret)) s = s.split(secret).join(SECRET_PLACEHOLDER);
      return s;
    }
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v))
        out[k] = SECRET_KEYS.has(k) && typeof x === 'string' ? SECRET_PLACEHOLDER : walk(x);
      return out;
    }
    return v;
  };
  return walk(value) as T;
}

/** Values of env variables that the plan uses in secret fields (password, credentials, rolePasswords). */
export function secretEnvValues(
  plan: { steps: readonly unknown[] },
  env: Readonly<Record<string, string | undefined>>,
): string[] {
  const found: string[] = [];
  const walk = (v: unknown, secret: boolean, depth: number): void => {
    if (depth > 12) return;
    if (typeof v === 'string' && secret) {
      for (const m of v.matchAll(/\$\{env\.([A-Za-z_][A-Za-z0-9_]*)\}/g)) {
        const value = env[m[1]];
        if (value && value !== SECRET_PLACEHOLDER) found.push(value);
      }
    } else if (Array.isArray(v)) {
      for (const x of v) walk(x, secret, depth + 1);
    } else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v))
        walk(x, secret || SECRET_KEYS.has(k) || SECRET_CONTAINER_KEYS.has(k), depth + 1);
    }
  };
  walk(plan.steps, false, 0);
  return found;
}

/**
 * The forms a secret takes inside SQL text: as it is, in a string literal ('' for '), and inside a
 * libpq connection-string value that is itself in a literal (\ and \' escapes, then ''): the
 * subscription's CONNECTION '… password=…'. A trace of raw SQL masks all of them.
 */
export function sqlForms(secret: string): string[] {
  const conninfo = secret.replace(/\\/g, '\\\\').replace(/'/g, "\\'");
  return [...new Set([secret, secret.replace(/'/g, "''"), conninfo, conninfo.replace(/'/g, "''")])];
}
