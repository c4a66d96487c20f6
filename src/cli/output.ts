/**
 * How the CLI talks to people and scripts: stdout only on success (a trailing
 * newline, JSON with the library's stable key order), `error <CODE>: message`
 * on stderr, no stack trace unless CONTENT_TRUST_DEBUG=1, no colour at all (so
 * nothing to switch off for NO_COLOR or a pipe).
 *
 * Nothing reaches the terminal raw: human text goes through `escapeControl`
 * (src/escape.ts), JSON has every control, C1 and bidi character as `\uXXXX`.
 */

import { exitCodeFor, TrustError } from '../errors.js';
import { escapeControl } from '../escape.js';
import { isUntrustedServerCertificate } from '../transport/tls-errors.js';

/** JSON.stringify escapes C0 controls; this also escapes DEL, C1 and bidi controls (same JSON value). */
const JSON_UNSAFE = /[\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/g;

export function printJson(value: unknown): void {
  const text = JSON.stringify(value, null, 2).replace(
    JSON_UNSAFE,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  process.stdout.write(`${text}\n`);
}

/** Human text on stdout: the CLI's own `\n` and `\t` layout stays, every other control is escaped. */
export function printText(text: string): void {
  process.stdout.write(escapeControl(text, '\n\t'));
}

/** Calls `then` once everything written to stdout and stderr so far has been handed to the system. */
export function afterOutput(then: () => void): void {
  process.stdout.write('', () => process.stderr.write('', then));
}

/** Text for stderr (notes beside JSON output, warnings): control characters escaped like all output. */
export function printWarning(text: string): void {
  process.stderr.write(escapeControl(text, '\n\t'));
}

const debug = () => process.env.CONTENT_TRUST_DEBUG === '1';

/** One line per message: trailing whitespace (e.g. OpenSSL's blank lines) trimmed, every control escaped. */
function oneMessage(text: string): string {
  return escapeControl(text.trimEnd());
}

/** The CLI flag that fixes an error, where there is one (library messages never name flags). */
function flagHint(err: TrustError): string {
  if (err.code === 'NETWORK' && isUntrustedServerCertificate(err)) {
    return '; pass its CA certificate with --tlscacert FILE';
  }
  return '';
}

/**
 * Prints an error for a person and returns the exit code the contract gives it
 * (0 never; 1 not trusted, 2 usage/config, 3 unreachable). For usage errors the
 * command's one-line `usage` (e.g. `trust verify IMAGE[:TAG] [OPTIONS]`) follows.
 */
export function reportError(err: unknown, usage?: string): number {
  if (err instanceof TrustError) {
    process.stderr.write(`error ${err.code}: ${oneMessage(err.message)}${flagHint(err)}\n`);
    if (err.code === 'USAGE' && usage) {
      const cmd = usage.split(' ').slice(0, 2).join(' ');
      process.stderr.write(`Usage: ${usage}\nRun '${cmd} --help' for more information.\n`);
    }
    if (debug() && err.stack) process.stderr.write(`${escapeControl(err.stack, '\n')}\n`);
    return exitCodeFor(err);
  }
  const e = err as Error | undefined;
  process.stderr.write(`error INTERNAL: ${oneMessage(String(e?.message ?? err))}\n`);
  if (debug() && e?.stack) process.stderr.write(`${escapeControl(e.stack, '\n')}\n`);
  return 1;
}
