// Builds dist/ with esbuild: the CLI and everything it always needs (our modules, commander, yaml,
// the precompiled validator) bundled into a few ESM files, so `validate` and an offline `plan`
// start fast (see docs/performance.md). The AWS SDK, pg and listr2 stay external packages, loaded
// lazily by the commands and steps that use them. Type checking is `npm run typecheck` (tsc).
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
// Only our outputs: dist/.build-lock (the rehearsal's build lock) must survive a rebuild.
for (const dir of ['cli', 'chunks']) rmSync(`${root}/dist/${dir}`, { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints: { 'cli/main': 'src/cli/main.ts' },
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  chunkNames: 'chunks/[name]-[hash]',
  external: ['@aws-sdk/*', 'pg', 'pg-*', 'listr2'],
  // commander and yaml are CommonJS: give the bundle a require() for their node: built-ins.
  banner: {
    js: "import { createRequire as __amCreateRequire } from 'node:module'; const require = __amCreateRequire(import.meta.url);",
  },
  sourcemap: 'linked',
  logLevel: 'warning',
});
