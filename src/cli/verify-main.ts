/**
 * `trust verify ...` as its own CommonJS bundle, dist/cli-verify.cjs (issue 12): the pre-pull hook's
 * command without the code of the other commands (publishing, keys, export, migrate), so each run
 * reads, checks and deserializes less code and creates fewer functions at start. The launcher
 * (bin.ts) runs it for the command word `verify`; `trust help verify` and everything else run the
 * whole CLI (main.ts), which answers `verify` identically.
 */

import { run } from './commands/verify.js';
import { runCli } from './run-cli.js';

// argv: node, the bin, `verify`, then the command's own arguments
runCli(() => run(process.argv.slice(3)));
