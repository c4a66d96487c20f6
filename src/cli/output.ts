/** How the CLI talks to people and scripts: stdout only on success, `error <CODE>: message` on stderr. */

import { exitCodeFor, TrustError } from '../errors.js';

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Prints an error for a person and returns the exit code the contract gives it. */
export function reportError(err: unknown): number {
  if (err instanceof TrustError) {
    process.stderr.write(`error ${err.code}: ${err.message}\n`);
    if (process.env.CONTENT_TRUST_DEBUG === '1' && err.stack) process.stderr.write(`${err.stack}\n`);
    return exitCodeFor(err);
  }
  const e = err as Error;
  process.stderr.write(`error INTERNAL: ${e?.message ?? String(err)}\n`);
  if (process.env.CONTENT_TRUST_DEBUG === '1' && e?.stack) process.stderr.write(`${e.stack}\n`);
  return 1;
}

/** Colour only for a TTY without NO_COLOR. */
export function useColour(stream: NodeJS.WriteStream = process.stdout): boolean {
  return Boolean(stream.isTTY) && !process.env.NO_COLOR;
}

/** Left-aligned text table (docker's tabwriter look). */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]! + 3)))
      .join('')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}
