/**
 * How the CLI talks to people and scripts: stdout only on success (a trailing
 * newline, JSON with the library's stable key order), `error <CODE>: message`
 * on stderr, no stack trace unless CONTENT_TRUST_DEBUG=1, no colour at all (so
 * nothing to switch off for NO_COLOR or a pipe).
 */

import { exitCodeFor, TrustError } from '../errors.js';

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

const debug = () => process.env.CONTENT_TRUST_DEBUG === '1';

/** One line per message: trailing whitespace (e.g. OpenSSL's blank lines) trimmed. */
function oneMessage(text: string): string {
  return text.trimEnd();
}

/**
 * Prints an error for a person and returns the exit code the contract gives it
 * (0 never; 1 not trusted, 2 usage/config, 3 unreachable). For usage errors the
 * command's one-line `usage` (e.g. `trust verify IMAGE[:TAG] [OPTIONS]`) follows.
 */
export function reportError(err: unknown, usage?: string): number {
  if (err instanceof TrustError) {
    process.stderr.write(`error ${err.code}: ${oneMessage(err.message)}\n`);
    if (err.code === 'USAGE' && usage) {
      const cmd = usage.split(' ').slice(0, 2).join(' ');
      process.stderr.write(`Usage: ${usage}\nRun '${cmd} --help' for more information.\n`);
    }
    if (debug() && err.stack) process.stderr.write(`${err.stack}\n`);
    return exitCodeFor(err);
  }
  const e = err as Error | undefined;
  process.stderr.write(`error INTERNAL: ${oneMessage(String(e?.message ?? err))}\n`);
  if (debug() && e?.stack) process.stderr.write(`${e.stack}\n`);
  return 1;
}
