// The quick read of a plan file. Most plans are plain YAML (block mappings and lists, strings,
// numbers, true/false, comments) and valid; js-yaml reads those about four times faster than the
// `yaml` package on a cold start, which is most of what `validate` costs (docs/performance.md
// "validate start-up"). `yaml` stays the parser of record: it gives every source position and
// every syntax message. load.ts uses the quick result only when the plan it yields has no
// problem at all, so a file the two parsers could read differently but where any check fails is
// always reported from `yaml`; here the text is refused (undefined) whenever it uses YAML that is
// more than plain, and the scalars resolve exactly as `yaml` resolves them (its YAML 1.2 core
// schema, yaml/dist/schema/core). test/plan/yaml-quick.test.ts compares the two on many texts.
import { FAILSAFE_SCHEMA, load, Type } from 'js-yaml';

const NULL = /^(?:~|[Nn]ull|NULL)?$/;
const BOOL = /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/;
const INT_OCT = /^0o[0-7]+$/;
const INT = /^[-+]?[0-9]+$/;
const INT_HEX = /^0x[0-9a-fA-F]+$/;
const FLOAT_SPECIAL = /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/;
const FLOAT_EXP = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/;
const FLOAT = /^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/;

const scalar = (tag: string, test: (s: string) => boolean, value: (s: string) => unknown) =>
  new Type(`tag:yaml.org,2002:${tag}`, {
    kind: 'scalar',
    resolve: (s: string | null) => test(s ?? ''),
    construct: (s: string | null) => value(s ?? ''),
  });

const CORE = FAILSAFE_SCHEMA.extend({
  implicit: [
    scalar(
      'null',
      (s) => NULL.test(s),
      () => null,
    ),
    scalar(
      'bool',
      (s) => BOOL.test(s),
      (s) => s[0] === 't' || s[0] === 'T',
    ),
    scalar(
      'int',
      (s) => INT_OCT.test(s) || INT.test(s) || INT_HEX.test(s),
      (s) =>
        INT_OCT.test(s) ? parseInt(s.substring(2), 8) : INT.test(s) ? parseInt(s, 10) : parseInt(s.substring(2), 16),
    ),
    scalar(
      'float',
      (s) => FLOAT_SPECIAL.test(s) || FLOAT_EXP.test(s) || FLOAT.test(s),
      (s) =>
        !FLOAT_SPECIAL.test(s)
          ? parseFloat(s)
          : s.slice(-3).toLowerCase() === 'nan'
            ? Number.NaN
            : s[0] === '-'
              ? Number.NEGATIVE_INFINITY
              : Number.POSITIVE_INFINITY,
    ),
  ],
});

/** Where a YAML node can start: a line's indentation, after `key:`, a list's `- `, or inside [ ] or { }. */
const NODE_START = '(?:^[ ]*|:[ ]*|-[ ]+|[[{,][ ]*)';

/**
 * Text that may use more than plain YAML, found without parsing (a false alarm, such as a `*` that
 * starts a line of a long description, only costs the quick read): tabs, carriage returns, anchors,
 * aliases and tags, directives, a document marker other than a first `---`, complex and merge keys.
 */
const NOT_PLAIN = [
  /[\t\r]/,
  new RegExp(`${NODE_START}[&*!]`, 'm'),
  new RegExp(`${NODE_START}\\?(?:[ ]|$)`, 'm'),
  /^(?:%|\.\.\.)/m,
  /\n---/,
  /<</,
];

/** The plan file's data as `yaml` would read it, or undefined when this quick read cannot be sure. */
export function readPlainYaml(text: string): { data: unknown } | undefined {
  if (NOT_PLAIN.some((re) => re.test(text))) return undefined;
  let data: unknown;
  try {
    data = load(text, { schema: CORE });
  } catch {
    return undefined; // `yaml` says what is wrong, and where
  }
  // A key `~:`, `null:` or an empty one is "null" here and "" in `yaml`.
  return hasNullKey(data) ? undefined : { data };
}

function hasNullKey(node: unknown): boolean {
  const stack = [node];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    if (item === null || typeof item !== 'object') continue;
    if (!Array.isArray(item) && Object.hasOwn(item, 'null')) return true;
    // One at a time: a 1 MiB file can hold a list of 300,000 items, too many to spread into push().
    for (const value of Object.values(item)) stack.push(value);
  }
  return false;
}
