/**
 * The `trust` executable, built as CommonJS into dist/cli.cjs (the package's
 * bin; dist/cli.js is an ES module alias of it): runs the CLI, bundled into one
 * CommonJS file (dist/cli-main.cjs, built from main.ts), through a V8 code
 * cache (code-cache.ts). One CommonJS file and a code cache instead of the ES
 * module loader resolving, reading and compiling some twenty chunks on every
 * run: this is the process cost of a pre-pull hook (issue 12). `trust verify` runs
 * dist/cli-verify.cjs instead (verify-main.ts), and `trust sign` dist/cli-sign.cjs (sign-main.ts):
 * the same command, without the code of the others.
 */

import { join } from 'node:path';
import { cacheWord, runBundle } from './code-cache.js';

// `trust verify` (the pre-pull hook) and `trust sign` have bundles of their own, without the other
// commands' code
const command = process.argv[2];
const bundle = command === 'verify' ? 'cli-verify.cjs' : command === 'sign' ? 'cli-sign.cjs' : 'cli-main.cjs';
// the bundles sit beside the launcher: its own `require` resolves what theirs would
runBundle(join(__dirname, bundle), cacheWord(process.argv.slice(2)), require);
