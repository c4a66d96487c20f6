/**
 * The byte scan of encoding/json-scan.ts as it was before it fast-forwarded over usual targets
 * entries and searched its latin1 text (commit 083b4ca), kept verbatim as the oracle of a
 * differential test (src/encoding/json-scan.test.ts): every input must get the same verdict, member
 * count, flags and proven span from both. Tests only; not the library's proof.
 */

import { CANONICAL_MAX_DEPTH } from '../../src/encoding/canonical.js';

export type ReferenceScan =
  | { problem: string }
  | {
      members: number;
      surrogateEscapes: boolean;
      escapes: boolean;
      canonicalSigned?: { start: number; end: number };
    };

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const OPEN = 0x7b;

const NOT_YET = 0;
const INSIDE = 1;
const DONE = 2;

/** Whether b[at, at + 6) is `signed`. */
function isSigned(b: Uint8Array, at: number): boolean {
  return (
    b[at] === 0x73 &&
    b[at + 1] === 0x69 &&
    b[at + 2] === 0x67 &&
    b[at + 3] === 0x6e &&
    b[at + 4] === 0x65 &&
    b[at + 5] === 0x64
  );
}

function isHexSurrogateLead(b: number | undefined): boolean {
  // the second hex digit of \uD800-\uDFFF: 8-9, a-f, A-F
  return (
    b !== undefined && ((b >= 0x38 && b <= 0x39) || (b >= 0x61 && b <= 0x66) || (b >= 0x41 && b <= 0x46))
  );
}

/** Byte-wise order of b[as, ae) and b[bs, be) (UTF-8 byte order is code point order). */
function compareBytes(b: Uint8Array, as: number, ae: number, bs: number, be: number): number {
  const la = ae - as;
  const lb = be - bs;
  const n = Math.min(la, lb);
  for (let k = 0; k < n; k++) {
    const d = b[as + k]! - b[bs + k]!;
    if (d !== 0) return d;
  }
  return la - lb;
}

/** Deepest nesting inside `signed` the canonical encoder writes (its default limit). */
const ENCODER_MAX_DEPTH = CANONICAL_MAX_DEPTH;

/**
 * One pass over JSON bytes. Returns a problem for a byte order mark, nesting
 * deeper than `maxDepth` containers (the top-level one is level 1), a number
 * with a fraction or exponent, or `-0`. The text is not otherwise validated
 * (JSON.parse does that next): on invalid JSON the result may be anything but
 * the pass still ends in time linear in its length.
 *
 * With `proveSigned`, the pass also tries to prove that the value of the
 * top-level member `signed` (the first one, written `"signed":{` exactly) is
 * already in docker/go canonical form (encoding/canonical.ts), so that a
 * signature check may use the served bytes instead of re-encoding the parsed
 * value. Proven only when, from its `{` to its `}`: no whitespace outside
 * strings; every object's keys unescaped and strictly increasing byte-wise;
 * no escape in a string other than `\"` and `\\`; every number at most 15
 * digits (a safe integer JavaScript writes back the same; fractions,
 * exponents and `-0` are refused anyway); nesting within the encoder's
 * limit. Valid UTF-8, no repeated key and no lone surrogate are the caller's
 * checks (the document is refused otherwise), and the result means something
 * only for text JSON.parse accepts.
 */
export function referenceScanJson(bytes: Uint8Array, maxDepth: number, proveSigned = false): ReferenceScan {
  const n = bytes.length;
  if (n >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
    return { problem: 'starts with a UTF-8 byte order mark (Go refuses it)' };
  }
  let depth = 0;
  let members = 0;
  let surrogateEscapes = false;
  // the proof of `signed`: NOT_YET (not reached), INSIDE (canonical so far), DONE (proven or not)
  let sig = proveSigned ? NOT_YET : DONE;
  let sigStart = -1;
  let sigEnd = -1;
  // per nesting level, the previous key of the object open there (start -1: none yet)
  const levels = proveSigned ? Math.min(maxDepth, ENCODER_MAX_DEPTH + 1) + 2 : 0;
  const prevStart = new Int32Array(levels);
  const prevEnd = new Int32Array(levels);
  // next backslash at or after i (n when none): strings without one are skipped with a native search
  // searches go through a plain Uint8Array view: its indexOf is the engine's own, where Buffer's
  // override adds a JS wrapper per call (a call per string here)
  const u8 =
    Object.getPrototypeOf(bytes) === Uint8Array.prototype
      ? bytes
      : new Uint8Array(bytes.buffer, bytes.byteOffset, n);
  let nextBackslash = u8.indexOf(BACKSLASH);
  if (nextBackslash < 0) nextBackslash = n;
  const escapes = nextBackslash < n;
  let i = 0;
  while (i < n) {
    const c = bytes[i]!;
    if (c === QUOTE) {
      const start = ++i;
      const close = u8.indexOf(QUOTE, i);
      if (close < 0) break;
      if (nextBackslash >= close) {
        i = close + 1;
        if (bytes[i] === COLON) {
          // an unescaped key, and its colon (counted here: one turn of the loop less per member)
          members++;
          if (sig === INSIDE) {
            const ps = prevStart[depth]!;
            if (ps >= 0) {
              // most keys differ from the previous one in their first byte (both non-empty)
              const pe = prevEnd[depth]!;
              const d = ps < pe && start < close ? bytes[ps]! - bytes[start]! : 0;
              if (d > 0 || (d === 0 && compareBytes(bytes, ps, pe, start, close) >= 0)) sig = DONE;
            }
            prevStart[depth] = start;
            prevEnd[depth] = close;
          } else if (
            sig === NOT_YET &&
            depth === 1 &&
            close - start === 6 &&
            bytes[i + 1] === OPEN &&
            isSigned(bytes, start)
          ) {
            sig = INSIDE;
            sigStart = i + 1;
          }
          i++;
        }
        continue;
      }
      // escapes inside: walk the string
      while (i < n) {
        const d = bytes[i]!;
        if (d === QUOTE) break;
        if (d === BACKSLASH) {
          const e = bytes[i + 1];
          if (e !== QUOTE && e !== BACKSLASH) {
            // canonical JSON writes every other character raw
            if (sig === INSIDE) sig = DONE;
            if (e === 0x75 && (bytes[i + 2]! | 0x20) === 0x64 && isHexSurrogateLead(bytes[i + 3])) {
              surrogateEscapes = true;
            }
          }
          i += 2;
        } else {
          i++;
        }
      }
      i++;
      // an escaped key: its decoded order may differ from its bytes' order
      if (sig === INSIDE && bytes[i] === COLON) sig = DONE;
      nextBackslash = i < n ? u8.indexOf(BACKSLASH, i) : -1;
      if (nextBackslash < 0) nextBackslash = n;
      continue;
    }
    if (c === COLON) {
      members++;
    } else if (c === 0x2c) {
      // a comma changes nothing (tested early: it is as frequent as the colon)
    } else if (c === OPEN || c === 0x5b) {
      if (++depth > maxDepth) return { problem: `nests deeper than ${maxDepth} levels` };
      if (sig === INSIDE) {
        // `signed` is level 2 of the document, level 1 of what the encoder writes
        if (depth - 1 > ENCODER_MAX_DEPTH) sig = DONE;
        else prevStart[depth] = -1;
      }
    } else if (c === 0x7d || c === 0x5d) {
      if (sig === INSIDE && depth === 2 && c === 0x7d) {
        sigEnd = i + 1;
        sig = DONE;
      }
      depth--;
    } else if (c === 0x2e) {
      return { problem: 'has a number with a fraction (Notary writes integers only)' };
    } else if ((c | 0x20) === 0x65 && i > 0 && bytes[i - 1]! >= 0x30 && bytes[i - 1]! <= 0x39) {
      // outside strings, `e` follows a digit only in an exponent (`true`/`false` have letters before it)
      return { problem: 'has a number with an exponent (Notary writes integers only)' };
    } else if (c === 0x2d && bytes[i + 1] === 0x30) {
      return { problem: 'has a number starting with -0 (Notary writes integers only)' };
    } else if (sig === INSIDE) {
      if (c >= 0x30 && c <= 0x39) {
        // 16 digits may not be a safe integer, which the encoder would write differently
        let j = i + 1;
        while (j < n && bytes[j]! >= 0x30 && bytes[j]! <= 0x39) j++;
        if (j - i > 15) sig = DONE;
        i = j;
        continue;
      }
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) sig = DONE;
    }
    i++;
  }
  if (sigEnd < 0) return { members, surrogateEscapes, escapes };
  return { members, surrogateEscapes, escapes, canonicalSigned: { start: sigStart, end: sigEnd } };
}
