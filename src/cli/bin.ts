/**
 * The `trust` executable, built as CommonJS into dist/cli.cjs (the package's
 * bin; dist/cli.js is an ES module alias of it): runs the CLI, bundled into one
 * CommonJS file (dist/cli-main.cjs, built from main.ts), through a V8 code
 * cache (code-cache.ts). One CommonJS file and a code cache instead of the ES
 * module loader resolving, reading and compiling some twenty chunks on every
 * run: this is the process cost of a pre-pull hook (issue 12).
 */

import { join } from 'node:path';
import { runBundle } from './code-cache.js';

runBundle(join(__dirname, 'cli-main.cjs'), process.argv[2]);
