// Builds dist/: the CLI as one CommonJS file, dist/cli/main.cjs (esbuild: our modules, commander, yaml,
// tinyglobby and the precompiled validator), then a V8 code cache for it. The AWS SDK, pg and listr2
// stay external packages, required lazily by the commands and steps that use them.
//
// Why CommonJS and a cache (docs/performance.md "validate start-up"): most of `validate`'s start-up
// was V8 parsing and compiling our code. bin/load-cli.js compiles the bundle through node:vm with
// cached data, which only a classic script can take on Node 20, so the build runs `validate` on the
// example plans in this process and saves what V8 compiled for it. An ES module bundle cannot take a
// cache, and import() inside a vm script needs Node's experimental vm modules: the bundle has none
// (src/load-package.ts; checked below). Type checking is `npm run typecheck` (tsc).
import { build } from 'esbuild';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const require = createRequire(import.meta.url);

/**
 * commander requires node:child_process when it loads, for git-style executable subcommands this
 * CLI does not have; loading it costs every command about 1 ms. commander gets a stand-in that
 * requires the real module on first use instead.
 */
const lazyChildProcessForCommander = {
  name: 'lazy-child-process-for-commander',
  setup(b) {
    b.onResolve({ filter: /^node:child_process$/ }, (args) =>
      /[/\\]node_modules[/\\]commander[/\\]/.test(args.importer)
        ? { path: 'child_process', namespace: 'lazy' }
        : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'lazy' }, () => ({
      contents: "module.exports = { spawn: (...args) => require('node:child_process').spawn(...args) };",
      loader: 'js',
    }));
  },
};

// Only our outputs: dist/.build-lock (the rehearsal's build lock) must survive a rebuild. Every code
// cache goes with the old bundle: V8 checks a cache against the source's length only.
for (const dir of ['cli', 'chunks']) rmSync(`${root}/dist/${dir}`, { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints: { 'cli/main': 'src/cli/main.ts' },
  outExtension: { '.js': '.cjs' },
  outdir: 'dist',
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  external: ['@aws-sdk/*', 'pg', 'pg-*', 'listr2'],
  // src/load-package.ts requires packages in the bundle; schema-check.ts finds schemas/ from import.meta.url.
  define: { AURORA_MIGRATE_BUNDLE: 'true', 'import.meta.url': '__amModuleUrl' },
  banner: { js: "'use strict';\nconst __amModuleUrl = require('node:url').pathToFileURL(__filename).href;" },
  // Folds the define above, so the bundle keeps no import() branch; names and layout stay readable.
  minifySyntax: true,
  plugins: [lazyChildProcessForCommander],
  sourcemap: 'linked',
  logLevel: 'warning',
});

const bundle = `${root}/dist/cli/main.cjs`;
const code = asciiOnly(readFileSync(bundle, 'utf8'));
// Written inside CommonJS's module function, so that bin/load-cli.js compiles the file as it reads
// it: wrapping a 1.7 MB string at every start costs a copy of it.
writeFileSync(bundle, wrapAsModuleFunction(code));
const dynamicImports = code.match(/\bimport\(\s*[^)\s]/g);
if (dynamicImports) {
  throw new Error(
    `dist/cli/main.cjs has ${dynamicImports.length} dynamic import() (${dynamicImports.join(', ')}): ` +
      'load packages with loadPackage() from src/load-package.ts',
  );
}

/**
 * esbuild escapes every non-ASCII character in code (strings, regular expressions, identifiers), not
 * in the comments it keeps (js-yaml's have “quotes”): those become '?', so that bin/load-cli.js can
 * read the bundle as ASCII, about 3x faster than decoding UTF-8.
 */
function asciiOnly(text) {
  return text.replace(/[^\x00-\x7f]/g, '?');
}

/** Node's module wrapper (nodejs.org/api/modules.html "The module wrapper"), as Module.wrap() writes it. */
function wrapAsModuleFunction(text) {
  const [head, tail] = ['(function (exports, require, module, __filename, __dirname) { ', '\n});'];
  const mapComment = /\n\/\/# sourceMappingURL=.*\n?$/.exec(text)?.[0] ?? '';
  return head + text.slice(0, text.length - mapComment.length) + tail + mapComment;
}

// The warm-up: `validate` on the example plans (all valid), so the cache holds what it runs.
const { writeCodeCache } = require('../bin/load-cli.js');
const plans = existsSync(`${root}/plans`)
  ? readdirSync(`${root}/plans`)
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => `plans/${f}`)
  : [];
await writeCodeCache([plans.length > 0 ? ['validate', ...plans] : ['--help']], root);
