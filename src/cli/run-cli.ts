/**
 * The process shell every CLI bundle shares (main.ts, and verify-main.ts for the verify path): runs
 * a command, sets the exit code, and turns whatever escapes it into one `error CODE: message` line.
 */

import { afterOutput, reportError } from './output.js';

/** Runs `command` as the whole process: its result is the exit code. */
export function runCli(command: () => Promise<number>): void {
  // A reader that stops early (`trust inspect ... | head`) is not an error.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
  // Last resort: whatever escapes a command is still one `error CODE: message` line, never a stack
  // trace (unless CONTENT_TRUST_DEBUG=1).
  const fatal = (err: unknown) => process.exit(reportError(err));
  process.on('uncaughtException', fatal);
  process.on('unhandledRejection', fatal);
  command().then(finish, (err: unknown) => finish(reportError(err)));
}

/**
 * Success ends the process naturally. A failure ends it once its output is written, without waiting
 * for work still under way that no longer matters: `trust sign` starts unlocking its key while it
 * fetches the repository's state, and a fetch that fails fast would otherwise wait for the whole key
 * derivation (~0.5 s at our default rounds) before exiting.
 */
function finish(code: number): void {
  process.exitCode = code;
  if (code === 0) return;
  afterOutput(() => process.exit(code));
}
