// The quick read (js-yaml) must give exactly the data `yaml` gives, or nothing: compared on every
// YAML file in the repository and on texts chosen for where YAML parsers part ways.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { checkPlanText } from '../../src/plan/load.js';
import { readPlainYaml } from '../../src/plan/yaml-quick.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** What `yaml` reads, with the options the plan loader gives it; undefined when it reports an error. */
function yamlData(text: string): { data: unknown } | undefined {
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true, logLevel: 'error', merge: false });
  return doc.errors.length > 0 ? undefined : { data: doc.toJS({ maxAliasCount: 100 }) };
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (name === 'node_modules' || name.startsWith('.')) return [];
    if (statSync(path).isDirectory()) return yamlFiles(path);
    return /\.ya?ml$/.test(name) ? [path] : [];
  });
}

// Texts where YAML parsers are known to differ: number and boolean spellings outside the core
// schema, keys, quoting and escapes, folding, block scalars, flow collections, comments.
const EDGE_TEXTS = [
  'a: 017',
  'a: 1_000',
  'a: 1_0.5',
  'a: 0b101',
  'a: +12',
  'a: -0',
  'a: 00',
  'a: 0o17',
  'a: 0o',
  'a: 0x1F',
  'a: 0x',
  'a: 12345678901234567890',
  'a: 1e3',
  'a: 1E3',
  'a: 0.1e+2',
  'a: .5',
  'a: +.5',
  'a: 1.',
  'a: 1.50',
  'a: -.inf',
  'a: .NaN',
  'a: .nan',
  'a: yes',
  'a: no',
  'a: on',
  'a: y',
  'a: True',
  'a: TRUE',
  'a: tRue',
  'a: Null',
  'a: NULL',
  'a: nULL',
  'a: ~',
  'a:',
  'a: 2026-01-01',
  'a: 2026-01-01T03:00:00Z',
  'a: 1:2',
  'a: 190:20:30',
  'a: 30s',
  '1: a',
  'true: a',
  '1.50: a',
  '0x1F: a',
  '"null": a',
  'null: a',
  '~: a',
  ': a',
  '__proto__: {polluted: 1}',
  'a: "x\\/y"',
  'a: "\\x41\\u0042\\U00000043\\N\\_\\L\\P\\0\\e\\a\\v"',
  "a: 'it''s'",
  'a: "multi\n  line\n\n  para"',
  "a: 'x\n\n  y'",
  'a: plain\n  continued\n\n  after blank',
  'a:  x  ',
  'a: x #c',
  'a: x#c',
  'a: "x" # c',
  'a: |\n  x\n  y\n',
  'a: |-\n  x\n  y\n\n',
  'a: |+\n  x\n\n',
  'a: >\n  x\n  y\n\n  z\n',
  'a: >-\n  x\n   indented\n  y\n',
  'a: |2\n   x\n  y\n',
  'a: >\n\n  x\n',
  'a: [x, y]',
  'a: [x, y, ]',
  'a: {b: 1, c: [2, 3]}',
  'a: {b: 1,}',
  'a: [a: b]',
  'a: [ "q", \'s\' ]',
  'a: { host: ${x} }',
  'a: [${x}]',
  'a: ${x}',
  'a: "${x}"',
  'a: b: c',
  'a: -',
  'a: @x',
  'a: `x`',
  'a: %x',
  '- a\n- b: c\n  d: e',
  'a:\n- 1\n-  2',
  'a:\n  - 1\n  -\n  - 3',
  'a:\n  b\n  c',
  'key with space: 1',
  '"quoted key": 1',
  "'single key': 1",
  'a: 1\nb: 2\na: 3',
  'a: 1\n"a": 2',
  '1: a\n"1": b',
  '---\na: 1',
  '---\na: 1\n---\nb: 2',
  'a: 1\n...\n',
  '%YAML 1.2\n---\na: 1',
  'a: &x 1\nb: *x',
  'a: !!str 1',
  'a: !custom 1',
  '<<: {b: 1}',
  'a:\n\tb: 1',
  'a: 1\r\nb: 2\r\n',
  '? a\n: 1',
  '[a, b]',
  '"just a string"',
  'a: "unterminated',
  'a: [1, 2',
  '  a: 1\n b: 2',
  'a:\n  b: 1\n c: 2',
  'a: é ü 日本',
  'a: "\\u00e9"',
  'description: |\n  Moves orders-db to Aurora.\n    Indented line.\n  # not a comment\n',
];

describe('the quick YAML read', () => {
  it('gives exactly what yaml gives, or nothing, for every YAML file in the repository', () => {
    const files = ['plans', 'test', 'docs', 'rehearsal'].flatMap((d) => yamlFiles(join(root, d)));
    expect(files.length).toBeGreaterThan(40);
    let compared = 0;
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      const quick = readPlainYaml(text);
      if (!quick) continue;
      expect(quick, relative(root, file)).toEqual(yamlData(text));
      compared++;
    }
    expect(compared).toBeGreaterThan(files.length / 2);
    process.stdout.write(`quick read compared with yaml on ${compared} of ${files.length} files\n`);
  });

  it('gives exactly what yaml gives, or nothing, for texts where YAML parsers part ways', () => {
    let compared = 0;
    for (const text of EDGE_TEXTS) {
      const quick = readPlainYaml(text);
      if (!quick) continue;
      expect(quick, JSON.stringify(text)).toEqual(yamlData(text));
      compared++;
    }
    expect(compared).toBeGreaterThan(EDGE_TEXTS.length / 2);
    process.stdout.write(`quick read compared with yaml on ${compared} of ${EDGE_TEXTS.length} texts\n`);
  });

  it('reads every example plan (else validate would lose its fast start without a test failing)', () => {
    const plans = readdirSync(join(root, 'plans')).filter((f) => f.endsWith('.yaml'));
    expect(plans.length).toBeGreaterThan(3);
    for (const name of plans) {
      expect(readPlainYaml(readFileSync(join(root, 'plans', name), 'utf8')), name).toBeDefined();
    }
  });

  it('leaves anchors, aliases, tags, directives, extra documents, tabs, complex and merge keys to yaml', () => {
    for (const text of [
      'a: &x 1\nb: *x',
      'a: !!str 1',
      '%YAML 1.2\n---\na: 1',
      'a: 1\n---\nb: 2',
      'a: 1\n...\n',
      'a:\n\tb: 1',
      'a: 1\r\nb: 2\r\n',
      '? a\n: 1',
      'a:\n  <<: {b: 1}',
      '~: a',
      'null: a',
    ]) {
      expect(readPlainYaml(text), JSON.stringify(text)).toBeUndefined();
    }
  });

  it('a plan it reads that has a problem is still reported at yaml positions', () => {
    const text = ['version: 1', 'name: quick', 'steps:', '  - id: wait', '    type: approval', '    colour: blue'].join(
      '\n',
    );
    expect(readPlainYaml(text)).toBeDefined();
    const result = checkPlanText('quick.yaml', text);
    expect(result.ok).toBe(false);
    expect(result.diagnostics).toContainEqual(
      expect.objectContaining({ line: 6, column: 5, severity: 'error', path: '/steps/0/colour' }),
    );
  });
});
