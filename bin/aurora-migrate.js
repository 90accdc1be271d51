#!/usr/bin/env node
// Thin launcher: the compiled CLI lives in dist/ (built by `npm run build`, run by `prepare` on npm ci).
// On Node 22.1+ V8's code cache for dist/ is kept on disk (module.enableCompileCache, in the OS temp
// folder), so later runs skip compiling it again (docs/performance.md "Start-up"); Node 20 has no such API.
import module from 'node:module';

module.enableCompileCache?.();
import('../dist/cli/main.js').catch((err) => {
  if (err && err.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('dist/cli/main.js')) {
    process.stderr.write('aurora-migrate: not built yet. Run `npm run build` (npm ci does it for you).\n');
    process.exit(1);
  }
  throw err;
});
