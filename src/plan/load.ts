// PLACEHOLDER (issue 2 replaces the internals): reads and parses a plan file without validation.
// The signature is the contract other modules use.
import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
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

export async function loadPlan(file: string): Promise<LoadResult> {
  const text = await readFile(file, 'utf8');
  const data = parse(text) as PlanFile;
  return { ok: true, plan: Object.freeze({ ...data, vars: data.vars ?? {}, file }) as Plan, diagnostics: [] };
}
