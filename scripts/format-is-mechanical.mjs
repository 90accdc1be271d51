// Proves that a formatting change changed layout only: every .ts/.js/.mjs/.cjs file that differs
// from a git revision compiles (esbuild with whitespace minified: comments and layout dropped) to the same JavaScript as it
// did at that revision, and every .json/.jsonc file parses to the same value. Run after re-applying
// the formatter (CONTRIBUTING.md "Formatting and linting"):
//
//   node scripts/format-is-mechanical.mjs [REV]     (REV defaults to HEAD; compares the work tree with it)
//
// Exits 1 and names each file whose code changed.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { transformSync } from 'esbuild';

const rev = process.argv[2] ?? 'HEAD';
const git = (...args) => execFileSync('git', args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });

const changed = git('diff', '--name-only', '--diff-filter=M', rev, '--')
  .split('\n')
  .filter((f) => /\.(ts|js|mjs|cjs|json|jsonc)$/.test(f));

const loaderOf = (file) => (file.endsWith('.ts') ? 'ts' : 'js');
const code = (file, text) =>
  transformSync(text, { loader: loaderOf(file), format: 'esm', minifyWhitespace: true, legalComments: 'none' }).code;
// JSON with comments and trailing commas (biome.jsonc, tsconfig): drop them before parsing.
const jsonValue = (text) =>
  JSON.stringify(
    JSON.parse(
      text.replace(/("(?:[^"\\]|\\.)*")|\/\/[^\n]*|\/\*[\s\S]*?\*\//g, (_, s) => s ?? '').replace(/,(\s*[}\]])/g, '$1'),
    ),
  );

const differ = [];
for (const file of changed) {
  const before = git('show', `${rev}:${file}`);
  const after = readFileSync(file, 'utf8');
  const same = /\.jsonc?$/.test(file)
    ? jsonValue(before) === jsonValue(after)
    : code(file, before) === code(file, after);
  if (!same) differ.push(file);
}

if (differ.length > 0) {
  console.error(`${differ.length} file(s) changed more than layout since ${rev}:\n  ${differ.join('\n  ')}`);
  console.error('Look at `git diff` for these files: a formatter must not change code.');
  process.exit(1);
}
console.log(`${changed.length} changed file(s): layout only (same compiled code / same JSON value as ${rev}).`);
