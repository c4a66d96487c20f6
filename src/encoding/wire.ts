/**
 * Wire bytes: what the Notary client uploads and notary-server re-serialises
 * and hashes. It is docker/go `json.Marshal` of
 * `{"signed": <RawMessage>, "signatures": [{"keyid","method","sig"}]}`:
 * the raw canonical `signed` bytes pass through Go's `compact(..., escape=true)`,
 * which rewrites `<`, `>`, `&` as `\u003c`, `\u003e`, `\u0026` and U+2028/U+2029 as
 * `\u2028`/`\u2029`. A raw control character inside a string is invalid JSON
 * and makes Go's marshal fail, so it fails here too.
 */

import { FormatError } from '../errors.js';
import { utf8 } from './canonical.js';

export interface WireSignature {
  keyid: string;
  method: string;
  /** Standard base64 of the signature bytes. */
  sig: string;
}

const HTML_UNSAFE = /[<>&\u2028\u2029]/g;
const HTML_UNSAFE_TEST = /[<>&\u2028\u2029]/;
const CONTROL = /[\u0000-\u001f]/;

const HTML_ESCAPES: Record<string, string> = {
  '<': '\\u003c',
  '>': '\\u003e',
  '&': '\\u0026',
  '\u2028': '\\u2028',
  '\u2029': '\\u2029',
};

/** Go's `compact(dst, src, escape=true)` for canonical JSON text (which has no whitespace to drop). */
export function htmlEscapeCompact(canonicalText: string): string {
  if (CONTROL.test(canonicalText)) {
    throw new FormatError(
      'CANONICAL',
      'metadata contains a raw control character in a string, which Go (and so Notary) cannot serialise',
    );
  }
  return HTML_UNSAFE_TEST.test(canonicalText)
    ? canonicalText.replace(HTML_UNSAFE, (c) => HTML_ESCAPES[c]!)
    : canonicalText;
}

/** Go `encoding/json` (non-canonical, HTML-safe) string literal. */
export function goJsonString(s: string): string {
  let out = '"';
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let rep: string | undefined;
    if (c < 0x20 || c === 0x22 || c === 0x5c || c === 0x3c || c === 0x3e || c === 0x26) {
      if (c === 0x22) rep = '\\"';
      else if (c === 0x5c) rep = '\\\\';
      else if (c === 0x0a) rep = '\\n';
      else if (c === 0x0d) rep = '\\r';
      else if (c === 0x09) rep = '\\t';
      else rep = `\\u00${c.toString(16).padStart(2, '0')}`;
    } else if (c === 0x2028 || c === 0x2029) {
      rep = `\\u${c.toString(16)}`;
    } else if (c >= 0xd800 && c <= 0xdfff) {
      const pair = c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00;
      if (pair) {
        i++;
        continue;
      }
      rep = '\\ufffd';
    }
    if (rep !== undefined) {
      out += s.slice(start, i) + rep;
      start = i + 1;
    }
  }
  return `${out + s.slice(start)}"`;
}

/** The envelope text exactly as Go's json.Marshal writes it. */
export function wireJson(canonicalSignedText: string, signatures: readonly WireSignature[] | null): string {
  let out = `{"signed":${htmlEscapeCompact(canonicalSignedText)},"signatures":`;
  if (signatures === null) return `${out}null}`;
  out += '[';
  for (let i = 0; i < signatures.length; i++) {
    const s = signatures[i]!;
    if (i > 0) out += ',';
    out += `{"keyid":${goJsonString(s.keyid)},"method":${goJsonString(s.method)},"sig":${goJsonString(s.sig)}}`;
  }
  return `${out}]}`;
}

/** Wire bytes (UTF-8). */
export function wireBytes(
  canonicalSignedText: string,
  signatures: readonly WireSignature[] | null,
): Uint8Array {
  return utf8(wireJson(canonicalSignedText, signatures));
}
