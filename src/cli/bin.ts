#!/usr/bin/env node
/**
 * The `trust` executable (dist/cli.js): runs the CLI, bundled into one
 * CommonJS file (dist/cli-main.cjs, built from main.ts), through a V8 code
 * cache (code-cache.ts). One file and a code cache instead of the ES module
 * loader resolving, reading and compiling some twenty chunks on every run: this
 * is the process cost of a pre-pull hook (issue 12).
 */

import { fileURLToPath } from 'node:url';
import { runBundle } from './code-cache.js';

runBundle(fileURLToPath(new URL('./cli-main.cjs', import.meta.url)), process.argv[2]);
