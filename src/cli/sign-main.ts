/**
 * `trust sign ...` as its own CommonJS bundle, dist/cli-sign.cjs (issue 12): the command without the
 * code of the others (inspect, export, migrate, key and signer management, demo), so each run reads,
 * hashes and deserializes less code. The launcher (bin.ts) runs it for the command word `sign`;
 * `trust help sign` and everything else run the whole CLI (main.ts), which answers `sign` identically.
 */

import { run } from './commands/sign.js';
import { runCli } from './run-cli.js';

// argv: node, the bin, `sign`, then the command's own arguments
runCli(() => run(process.argv.slice(3)));
