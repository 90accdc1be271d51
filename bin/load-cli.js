// Loads the built CLI, dist/cli/main.cjs (one CommonJS module, which `npm run build` writes already
// inside its module function, ASCII only), as require() would, but compiled through node:vm with the
// V8 code cache the build wrote beside it. The build runs `validate` on the example plans and saves
// what V8 compiled for it, so a later run skips parsing and compiling most of what it needs: that is
// most of the start-up time of `validate` and an offline `plan` (docs/performance.md "validate
// start-up"). The cache is only an optimisation: without one (another Node version than the
// build's, or none written) V8 compiles as usual.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');
const Module = require('node:module');
const { isAscii } = require('node:buffer');

const ENTRY = path.join(__dirname, '..', 'dist', 'cli', 'main.cjs');
/**
 * V8 checks a cache against its own version and flags and the source's length only, so the build
 * deletes every cache when it writes a new bundle; the V8 version and CPU are in the name so that a
 * Node version without a cache does not read another version's.
 */
const CACHE = `${ENTRY}.v8-${process.versions.v8}-${process.arch}.cache`;

function readSource() {
  try {
    const bytes = fs.readFileSync(ENTRY);
    // The build writes ASCII only; read so, a string is made about 3x faster than by UTF-8 decoding.
    return bytes.toString(isAscii(bytes) ? 'latin1' : 'utf8');
  } catch (err) {
    if (err && err.code === 'ENOENT') {
      process.stderr.write('aurora-migrate: not built yet. Run `npm run build` (npm ci does it for you).\n');
      process.exit(1);
    }
    throw err;
  }
}

function readCache() {
  try {
    return fs.readFileSync(CACHE);
  } catch {
    return undefined; // no cache for this Node version: V8 compiles as usual
  }
}

/**
 * The bundle's exports (`main`, `runFromBin`), the compiled script (the build calls
 * createCachedData() on it after its warm-up) and whether V8 took the cache.
 */
function loadCli({ useCache = true } = {}) {
  const cachedData = useCache ? readCache() : undefined;
  const script = new vm.Script(readSource(), { filename: ENTRY, cachedData }); // the build wrote it wrapped
  const module = { exports: {} };
  script
    .runInThisContext()
    .call(module.exports, module.exports, Module.createRequire(ENTRY), module, ENTRY, path.dirname(ENTRY));
  return { cli: module.exports, script, cacheUsed: cachedData !== undefined && !script.cachedDataRejected };
}

/**
 * The build's warm-up: runs the CLI on each argument list in this process (output discarded), then
 * saves what V8 compiled for the bundle as the cache for this Node, written whole or not at all.
 */
async function writeCodeCache(runs, cwd) {
  const { cli, script } = loadCli({ useCache: false });
  const quiet = { write: () => true };
  const io = {
    stdout: quiet,
    stderr: quiet,
    get stdin() {
      return process.stdin;
    },
    env: { NO_COLOR: '1' },
    cwd,
  };
  for (const argv of runs) await cli.main(argv, io);
  const temp = `${CACHE}.${process.pid}.tmp`;
  fs.writeFileSync(temp, script.createCachedData());
  fs.renameSync(temp, CACHE);
  return CACHE;
}

module.exports = { loadCli, writeCodeCache, ENTRY, CACHE };
