// PLAN... arguments: files as typed, and globs expanded by the tool itself — quoted so that a shell
// left them alone ('plans/*.yaml' in a CI step), or from a shell that does not expand them. An
// argument that names an existing file is that file, even if it has glob characters. Matches are
// sorted; a plan given twice is shown once. tinyglobby is loaded only when there is a glob.
import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { UsageError } from '../errors.js';

const GLOB_CHARS = /[*?[\]{}]/;

export async function expandPlanArgs(args: readonly string[], cwd: string): Promise<string[]> {
  const out: string[] = [];
  const seen = new Set<string>();
  const add = (file: string) => {
    const key = resolve(cwd, file);
    if (seen.has(key)) return;
    seen.add(key);
    out.push(file);
  };
  for (const arg of args) {
    if (!GLOB_CHARS.test(arg) || existsSync(resolve(cwd, arg))) {
      add(arg);
      continue;
    }
    const { glob } = await import('tinyglobby');
    const matches = await glob([arg], { cwd, onlyFiles: true, expandDirectories: false, absolute: isAbsolute(arg) });
    if (matches.length === 0)
      throw new UsageError(`no plan file matches ${arg} (looked in ${cwd}). Check the pattern.`);
    for (const m of matches.sort()) add(m);
  }
  return out;
}
