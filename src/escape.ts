/**
 * The one escaping function for text that reaches a person: terminal output and error messages.
 *
 * Server bytes (error bodies, tag names, signer names, token realms) must never drive the terminal:
 * ESC/CSI sequences can move the cursor, CR can overwrite a line, BEL rings, C1 controls (U+0080..U+009F)
 * act like ESC on many terminals, and bidi overrides reorder what is displayed. Every such character is
 * replaced by a visible escape (`\x1b`, `\r`, `\u202e`), so nothing a peer sends can forge a line such
 * as `TRUSTED OK`. The output contains no control character at all (unless `keep` names it), so escaping
 * twice gives the same text.
 */

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** C0, DEL, C1, bidi embeddings/overrides/isolates, LRM/RLM/ALM, line and paragraph separators. */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/g;

function visible(c: string): string {
  const named = NAMED[c];
  if (named !== undefined) return named;
  const code = c.charCodeAt(0);
  return code <= 0xff
    ? `\\x${code.toString(16).padStart(2, '0')}`
    : `\\u${code.toString(16).padStart(4, '0')}`;
}

/**
 * `text` with every control, C1 and bidi-control character replaced by a visible escape.
 * `keep` lists characters to leave as they are (the CLI keeps its own `\n` and `\t` layout).
 */
export function escapeControl(text: string, keep = ''): string {
  return text.replace(UNSAFE, (c) => (keep.includes(c) ? c : visible(c)));
}
