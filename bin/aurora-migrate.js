#!/usr/bin/env node
// The installed command: a thin launcher. The CLI itself is dist/cli/main.cjs (`npm run build`, which
// npm ci runs as `prepare`), loaded with its V8 code cache by ./load-cli.js.
'use strict';
require('./load-cli.js').loadCli().cli.runFromBin(process.argv.slice(2));
