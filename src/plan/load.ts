// Loading a plan: untrusted bytes -> YAML with source positions -> schema -> semantic checks ->
// a deep-frozen Plan, or every problem found, each placed on its file:line:col. Never throws for
// anything a user can put in (or instead of) a plan file.
import { readFile, stat } from 'node:fs';
import { promisify } from 'node:util';
import { deepFreeze } from './freeze.js';
import { checkSchema } from './schema-check.js';
import { resolveReversePairing } from './reverse-pairing.js';
import { checkReferences } from './semantic-refs.js';
import { checkStepRules } from './semantic-rules.js';
import { collector, isRecord } from './semantic-problem.js';
import { STEP_OUTPUTS } from './step-outputs.js';
import { joinPointer } from './pointer.js';
import { deepNestingOffset, MAX_NESTING, parseYamlSource, type Position, type YamlSource } from './yaml-source.js';
import { readPlainYaml } from './yaml-quick.js';
import type { Plan, PlanFile } from './types.js';

export interface Diagnostic {
  file: string;
  line: number;
  column: number;
  severity: 'error' | 'warning';
  message: string;
  /** JSON pointer into the plan, e.g. /steps/2/maxLag. */
  path: string;
}

export type LoadResult = { ok: true; plan: Plan; diagnostics: Diagnostic[] } | { ok: false; diagnostics: Diagnostic[] };

/** Plans are small; anything bigger is a mistake (and would be slow to parse). */
export const MAX_PLAN_BYTES = 1024 * 1024;

/**
 * Values (mappings, lists and scalars) in a plan: a big plan holds a few thousand. Past this the
 * checks would report thousands of problems, and the schema validator gathers them in time that
 * grows with their square (minutes for a hostile 1 MiB file), so the file gets one problem instead.
 */
export const MAX_PLAN_VALUES = 10_000;

export async function loadPlan(file: string): Promise<LoadResult> {
  const text = await readPlanText(file);
  if (typeof text !== 'string') return { ok: false, diagnostics: [fileProblem(file, text.message)] };
  return checkPlanText(file, text);
}

/** Validates plan text that is already in memory (also used by tests and editors' tooling). */
export function checkPlanText(file: string, text: string): LoadResult {
  if (text.trim() === '' || /^(\s*#[^\n]*\n?)*\s*$/.test(text)) {
    return {
      ok: false,
      diagnostics: [
        fileProblem(file, 'the plan file is empty; a plan needs at least "version: 1", "name" and "steps"'),
      ],
    };
  }
  let parsed: YamlSource | undefined;
  const source = (): YamlSource => (parsed ??= parseYamlSource(text));
  // Most plans are plain YAML and valid: the quick read serves those, and only when the plan it
  // gives has no problem at all; anything else is checked and reported from `yaml` (yaml-quick.ts).
  const quick = deepNestingOffset(text, MAX_NESTING) === undefined ? readPlainYaml(text) : undefined;
  if (quick) {
    const result = checkData(file, quick.data, source, []);
    if (result.ok && result.diagnostics.length === 0) return result;
  }
  const full = source();
  const diagnostics: Diagnostic[] = full.problems.map((p) => ({
    file,
    line: p.line,
    column: p.column,
    severity: 'error',
    message: p.message,
    path: '',
  }));
  if (!full.usable) return { ok: false, diagnostics: sortDiagnostics(diagnostics) };
  return checkData(file, full.data, source, diagnostics);
}

/** The schema and semantic checks of parsed plan data; `source` places each problem in the file. */
function checkData(file: string, data: unknown, source: () => YamlSource, diagnostics: Diagnostic[]): LoadResult {
  const values = countValues(data);
  if (values > MAX_PLAN_VALUES) {
    const largest = largestCollection(data);
    const at = source().locate(largest.pointer);
    const message =
      `the plan holds ${values} values, more than the ${MAX_PLAN_VALUES} a plan may have ` +
      `(the largest list or mapping, here, has ${largest.entries} entries). Is this the right file?`;
    diagnostics.push({ file, ...at, severity: 'error', message, path: largest.pointer });
    return { ok: false, diagnostics: sortDiagnostics(diagnostics) };
  }
  for (const p of checkSchema(data, (pointer, target) => source().locate(pointer, target))) {
    diagnostics.push({ file, line: p.line, column: p.column, severity: 'error', message: p.message, path: p.pointer });
  }
  if (isRecord(data)) {
    const { problems, report } = collector();
    checkReferences(data, STEP_OUTPUTS, report);
    checkStepRules(data, report);
    for (const p of problems) {
      const pos = positionWithin(source(), p.pointer, p.target, p.within);
      diagnostics.push({ file, ...pos, severity: p.severity, message: p.message, path: p.pointer });
    }
  }
  const sorted = sortDiagnostics(dedupe(diagnostics));
  if (sorted.some((d) => d.severity === 'error')) return { ok: false, diagnostics: sorted };
  const planFile = data as PlanFile;
  // The plan decides what a step pair needs of each other (a reverse-replication and its switchover).
  const plan = deepFreeze({
    ...planFile,
    steps: resolveReversePairing(planFile.steps),
    vars: planFile.vars ?? {},
    file,
  }) as Plan;
  return { ok: true, plan, diagnostics: sorted };
}

/** How many values (mappings, lists and scalars) `data` holds. */
function countValues(data: unknown): number {
  let values = 0;
  const stack = [data];
  while (stack.length > 0) {
    const node = stack.pop();
    values++;
    if (node !== null && typeof node === 'object') for (const value of Object.values(node)) stack.push(value);
  }
  return values;
}

/** The list or mapping with the most entries (a JSON pointer), and how many: where an oversized plan is reported. */
function largestCollection(data: unknown): { pointer: string; entries: number } {
  let largest = { pointer: '', entries: -1 };
  const stack: Array<{ node: unknown; pointer: string }> = [{ node: data, pointer: '' }];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const { node, pointer } = item;
    if (node === null || typeof node !== 'object') continue;
    const entries = Object.entries(node);
    if (entries.length > largest.entries) largest = { pointer, entries: entries.length };
    for (const [key, value] of entries) stack.push({ node: value, pointer: pointer + joinPointer([key]) });
  }
  return largest;
}

/** The position of a piece of text inside a scalar's source (a ${...}), else of the key or value. */
function positionWithin(source: YamlSource, pointer: string, target: 'key' | 'value', within?: string): Position {
  if (within && target === 'value') {
    const scalar = source.scalarSource(pointer);
    const i = scalar ? scalar.source.indexOf(within) : -1;
    if (scalar && i >= 0) return source.positionOf(scalar.offset + i);
  }
  return source.locate(pointer, target);
}

// node:fs, not node:fs/promises: loading that module costs `validate` about 1 ms of its start-up.
const statFile = promisify(stat);
const readWholeFile = promisify(readFile);

async function readPlanText(file: string): Promise<string | { message: string }> {
  try {
    const info = await statFile(file);
    if (info.isDirectory()) return { message: 'is a directory, not a plan file; give the path of a .yaml file' };
    if (!info.isFile()) return { message: 'is not a regular file; give the path of a .yaml plan file' };
    if (info.size > MAX_PLAN_BYTES) {
      return {
        message: `the file is ${(info.size / 1024 / 1024).toFixed(1)} MiB; a plan file is at most 1 MiB. Is this the right file?`,
      };
    }
    const bytes = await readWholeFile(file);
    if (bytes.includes(0)) return { message: 'is a binary file, not a YAML plan' };
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      return { message: 'is not valid UTF-8 text; save the plan as UTF-8' };
    }
    return text.startsWith('\uFEFF') ? text.slice(1) : text;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { message: 'no such file; check the path' };
    if (code === 'EACCES' || code === 'EPERM') return { message: 'permission denied; make the file readable' };
    if (code === 'EISDIR') return { message: 'is a directory, not a plan file; give the path of a .yaml file' };
    return { message: `cannot read the file: ${(err as Error).message}` };
  }
}

function fileProblem(file: string, message: string): Diagnostic {
  return { file, line: 1, column: 1, severity: 'error', message, path: '' };
}

function dedupe(list: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return list.filter((d) => {
    const k = `${d.line}:${d.column}:${d.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

function sortDiagnostics(list: Diagnostic[]): Diagnostic[] {
  return list
    .map((d, i) => ({ d, i }))
    .sort((a, b) => a.d.line - b.d.line || a.d.column - b.d.column || a.i - b.i)
    .map((x) => x.d);
}
