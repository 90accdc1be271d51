// A parsed plan file that can answer "where is this?": JSON pointer -> 1-based line and column of
// the key or the value, from the `yaml` package's document tree and LineCounter.
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node, type Pair } from 'yaml';

export interface Position {
  line: number;
  column: number;
}

export interface SourceProblem extends Position {
  message: string;
}

export interface YamlSource {
  /** Plain data (only meaningful when `problems` is empty or only lists duplicate keys). */
  data: unknown;
  /** YAML syntax problems and duplicate keys, in source order. */
  problems: SourceProblem[];
  /** False when the text is not usable YAML (then `data` is undefined). */
  usable: boolean;
  /** Where the value at `pointer` starts (or its key, with target 'key'); the nearest existing ancestor otherwise. */
  locate(pointer: string, target?: 'key' | 'value'): Position;
  /** Offset of a value's first character of source text, and its raw source, for finer positions. */
  scalarSource(pointer: string): { offset: number; source: string } | undefined;
  positionOf(offset: number): Position;
}

export function splitPointer(pointer: string): string[] {
  if (pointer === '' || pointer === '/') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

const YAML_WORDS: Record<string, string> = {
  MULTIPLE_DOCS: 'a plan file holds exactly one YAML document; remove the extra "---" document',
  TAB_AS_INDENT: 'tabs are not allowed for indentation in YAML; use spaces',
};

/** Deeper than any plan; the YAML parser recurses per level, so refuse absurd nesting before parsing. */
export const MAX_NESTING = 64;

export function parseYamlSource(text: string): YamlSource {
  const lineCounter = new LineCounter();
  const tooDeep = deepNestingOffset(text, MAX_NESTING);
  if (tooDeep !== undefined) return tooDeepSource(text, tooDeep, lineCounter);
  const doc = parseDocument(text, {
    lineCounter,
    prettyErrors: false,
    // Duplicate keys are found below, in one pass: yaml's own check compares each key with every key
    // before it, which takes minutes on a hostile 1 MiB mapping.
    uniqueKeys: false,
    logLevel: 'error',
    merge: false,
  });
  const positionOf = (offset: number): Position => {
    const { line, col } = lineCounter.linePos(Math.max(0, Math.min(offset, text.length)));
    return { line, column: col };
  };

  const problems: SourceProblem[] = [];
  let usable = documentProblems(doc, text, positionOf, problems);
  let data: unknown;
  if (usable) {
    try {
      data = doc.toJS({ maxAliasCount: 100 });
    } catch (err) {
      usable = false;
      problems.push({
        line: 1,
        column: 1,
        message: `YAML cannot be expanded: ${(err as Error).message} (too many aliases)`,
      });
    }
  }
  problems.sort((a, b) => a.line - b.line || a.column - b.column);

  return {
    data,
    problems,
    usable,
    positionOf,
    locate(pointer, target = 'value') {
      const found = findNode(doc, pointer);
      if (target === 'key' && found.pair) {
        const k = rangeStart(found.pair.key);
        if (k !== undefined) return positionOf(k);
      }
      const v = rangeStart(found.node);
      return positionOf(v ?? found.fallback);
    },
    scalarSource(pointer) {
      const { node } = findNode(doc, pointer);
      if (!isScalar(node) || !node.range) return undefined;
      return { offset: node.range[0], source: text.slice(node.range[0], node.range[1]) };
    },
  };
}

/** A file nested deeper than MAX_NESTING: one problem where it starts, nothing parsed. */
function tooDeepSource(text: string, offset: number, lineCounter: LineCounter): YamlSource {
  lineCounter.addNewLine(0);
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) lineCounter.addNewLine(i + 1);
  const { line, col } = lineCounter.linePos(offset);
  const problem = {
    line,
    column: col,
    message: `the YAML is nested more than ${MAX_NESTING} levels deep; a plan needs only a few levels. Is this the right file?`,
  };
  return {
    data: undefined,
    problems: [problem],
    usable: false,
    positionOf: () => ({ line, column: col }),
    locate: () => ({ line, column: col }),
    scalarSource: () => undefined,
  };
}

/** The parser's errors and complex keys as problems (pushed onto `problems`); false when the data cannot be trusted. */
function documentProblems(
  doc: Document.Parsed,
  text: string,
  positionOf: (offset: number) => Position,
  problems: SourceProblem[],
): boolean {
  let usable = true;
  for (const err of doc.errors) {
    const at = positionOf(err.pos[0]);
    // After the first syntax error the parser's view of the rest is guesswork: report that one only.
    if (!usable) continue;
    usable = false;
    const first = err.message.split('\n')[0].replace(/\s+at line \d+, column \d+.*$/, '');
    problems.push({
      ...at,
      message: `YAML syntax error: ${YAML_WORDS[err.code] ?? first}${flowHint(text, err.pos[0])}`,
    });
  }
  const keys = checkKeys(doc);
  for (const offset of keys.duplicates) {
    const key = /^["']?([^"':\n]*)/.exec(text.slice(offset, offset + 200))?.[1].trim() || '?';
    problems.push({
      ...positionOf(offset),
      message: `duplicate key "${key}": a key may appear only once in a mapping`,
    });
  }
  // Keys must be plain scalars: a mapping or a sequence used as a key has no JSON equivalent.
  for (const k of keys.complex) {
    problems.push({ ...positionOf(k), message: 'a key must be a plain name, not a mapping or a list' });
    usable = false;
  }
  return usable;
}

/** The node a JSON pointer names, the pair holding it, and the nearest position when it is absent. */
function findNode(doc: Document.Parsed, pointer: string): { node?: Node; pair?: Pair; fallback: number } {
  let node: unknown = doc.contents;
  let pair: Pair | undefined;
  let fallback = rangeStart(node) ?? 0;
  for (const seg of splitPointer(pointer)) {
    if (isMap(node)) {
      const p = node.items.find((it) => isPair(it) && isScalar(it.key) && String(it.key.value) === seg);
      if (!p) return { fallback };
      pair = p;
      node = p.value;
      fallback = rangeStart(p.value) ?? rangeStart(p.key) ?? fallback;
    } else if (isSeq(node)) {
      const item = node.items[Number(seg)];
      if (!/^\d+$/.test(seg) || item === undefined) return { fallback };
      pair = undefined;
      node = item;
      fallback = rangeStart(item) ?? fallback;
    } else {
      return { fallback };
    }
  }
  return { node: (node ?? undefined) as Node | undefined, pair, fallback };
}

/**
 * Offset where nesting first exceeds `limit` levels, counting block indentation levels, "- " sequence
 * entries and open flow brackets (quotes and comments roughly skipped). Undefined when shallower.
 */
export function deepNestingOffset(text: string, limit: number): number | undefined {
  const indents: number[] = [];
  let flow = 0;
  let offset = 0;
  for (const line of text.split('\n')) {
    const start = offset;
    offset += line.length + 1;
    const body = line.trimStart();
    if (flow === 0) {
      if (body === '' || body.startsWith('#')) continue;
      const indent = line.length - body.length;
      while (indents.length > 0 && indents[indents.length - 1] >= indent) indents.pop();
      indents.push(indent);
      const dashes = (/^(-\s+)*/.exec(body)?.[0] ?? '').split('-').length - 1;
      if (indents.length + dashes > limit) return start + indent;
    }
    let quote = '';
    for (let i = 0; i < line.length; i++) {
      const c = line[i];
      if (quote) {
        if (c === quote) quote = '';
      } else if (c === '"' || c === "'") quote = c;
      else if (c === '#' && (i === 0 || /\s/.test(line[i - 1]))) break;
      else if (c === '[' || c === '{') {
        flow++;
        if (indents.length + flow > limit) return start + i;
      } else if ((c === ']' || c === '}') && flow > 0) flow--;
    }
  }
  return undefined;
}

/** `{ host: ${x} }` is a YAML trap: inside { } or [ ] a ${...} must be quoted. */
function flowHint(text: string, offset: number): string {
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  const lineEnd = text.indexOf('\n', offset);
  const line = text.slice(lineStart, lineEnd < 0 ? undefined : lineEnd);
  const flow = line.search(/[[{]/);
  const ref = line.indexOf('${');
  return flow >= 0 && ref > flow ? '. Inside { } or [ ], quote a ${...} value: "${...}"' : '';
}

function rangeStart(node: unknown): number | undefined {
  const r = (node as { range?: [number, number, number] } | null | undefined)?.range;
  return r ? r[0] : undefined;
}

/**
 * Where keys break the rules, in one pass over the document: a key seen before in the same mapping
 * (a duplicate: the same scalar value, as yaml's uniqueKeys compares them), and a mapping or a
 * list used as a key.
 */
const NO_KEY = Symbol('no key'); // `: value`, which yaml tells apart from a `~` or `null` key

function checkKeys(doc: Document): { duplicates: number[]; complex: number[] } {
  const duplicates: number[] = [];
  const complex: number[] = [];
  const stack: Array<{ node: unknown; depth: number }> = [{ node: doc.contents, depth: 0 }];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const { node, depth } = item;
    if (depth > 200) continue; // deeper than any plan; schema checks report the shape
    if (isMap(node)) {
      const seen = new Set<unknown>();
      for (const p of node.items) {
        if (p.key !== null && !isScalar(p.key)) complex.push(rangeStart(p.key) ?? 0);
        else {
          const value = p.key === null ? NO_KEY : p.key.value;
          if (seen.has(value)) duplicates.push(rangeStart(p.key) ?? 0);
          seen.add(value);
        }
        stack.push({ node: p.value, depth: depth + 1 });
      }
    } else if (isSeq(node)) {
      for (const item of node.items) stack.push({ node: item, depth: depth + 1 });
    }
  }
  return { duplicates: duplicates.sort((a, b) => a - b), complex: complex.sort((a, b) => a - b) };
}
