/**
 * Checks on untrusted JSON that `JSON.parse` cannot make, because it throws the
 * evidence away: how deep the text nests, how many object members it holds
 * (JSON.parse keeps the last of two equal keys silently), the spelling of its
 * numbers (`1.0` and `1e0` parse to 1) and escaped lone surrogates.
 *
 * `scanJson` is one linear pass over the bytes, run before JSON.parse so that
 * a document nested too deeply is refused before any work is spent on it.
 * Comparing `members` with {@link countMembers} of the parsed value (or with a
 * count a schema walk makes) reveals a repeated key anywhere in the document.
 *
 * The rules are Go's `encoding/json` as Notary reads metadata (docker/go
 * canonical/json, Go 1.19 in Debian's notary 0.7), made strict where Go and
 * JavaScript would read the same bytes differently:
 * - a UTF-8 byte order mark: Go refuses it (`invalid character 'ï'`), while
 *   `TextDecoder` strips it silently;
 * - a number with a fraction or exponent: Go refuses one where an integer
 *   (`version`, `length`, `threshold`) is expected, and Notary writes integers
 *   only (canonical JSON), so it is refused anywhere, as is `-0`;
 * - a repeated key (see above): Go's struct decoding merges two `"targets"`
 *   maps where JSON.parse keeps the last one only;
 * - an escaped lone surrogate (`"\ud800"`): Go reads U+FFFD, JavaScript keeps
 *   the surrogate, so two such keys are one key to Go and two to us.
 * Invalid UTF-8 is refused by the caller's fatal `TextDecoder` (Go would
 * substitute U+FFFD).
 */

import { isAscii } from 'node:buffer';
import { CANONICAL_MAX_DEPTH } from './canonical.js';

export interface JsonScan {
  /** Object members (`"key": value` pairs) in the whole text. */
  readonly members: number;
  /** Whether some string holds a `\uD800`-`\uDFFF` escape (a lone one is refused after parsing). */
  readonly surrogateEscapes: boolean;
  /** Whether the text holds a backslash anywhere (when not, no string in it holds a `"`). */
  readonly escapes: boolean;
  /**
   * With `proveSigned`: where the value of the top-level member `signed` lies (`bytes[start, end)`)
   * when the scan proved those bytes are exactly what docker/go canonical JSON writes for the value
   * JSON.parse makes of them (see {@link scanJson}); undefined when not proven.
   */
  readonly canonicalSigned?: { readonly start: number; readonly end: number };
  /**
   * The bytes as text when they are all ASCII (then also their UTF-8 decoding): the scan made it for
   * its native searches, and the caller parses it instead of decoding the bytes a second time.
   */
  readonly ascii?: string;
}

export interface JsonScanProblem {
  readonly problem: string;
}

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
export function compareBytes(b: Uint8Array, as: number, ae: number, bs: number, be: number): number {
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
export function scanJson(
  bytes: Uint8Array,
  maxDepth: number,
  proveSigned = false,
): JsonScan | JsonScanProblem {
  const n = bytes.length;
  if (n >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
    return { problem: 'starts with a UTF-8 byte order mark (Go refuses it)' };
  }
  // bytes are read through a plain Uint8Array view (one receiver type: monomorphic loads), and
  // searched in their latin1 text, where character i is byte i: String.prototype.indexOf is the
  // engine's own fast search (a typed array's is a call into C++), and a sticky regular expression
  // can fast-forward over a whole targets entry (`scanLoop`)
  const b =
    Object.getPrototypeOf(bytes) === Uint8Array.prototype
      ? bytes
      : new Uint8Array(bytes.buffer, bytes.byteOffset, n);
  const view = Buffer.from(b.buffer, b.byteOffset, n);
  const text = view.toString('latin1');
  // per nesting level, the previous key of the object open there (start -1: none yet)
  const levels = proveSigned ? Math.min(maxDepth, ENCODER_MAX_DEPTH + 1) + 2 : 0;
  const s = new ScanState(levels, proveSigned ? NOT_YET : DONE);
  const end = scanLoop(b, text, maxDepth, s);
  if (end < 0) return { problem: PROBLEMS[-end - 1]!(maxDepth) };
  const { members, surrogateEscapes, escapes } = s;
  const ascii = isAscii(view) ? text : undefined;
  if (s.sigEnd < 0) return { members, surrogateEscapes, escapes, ascii };
  return {
    members,
    surrogateEscapes,
    escapes,
    ascii,
    canonicalSigned: { start: s.sigStart, end: s.sigEnd },
  };
}

/** What `scanLoop` refuses, by its negative result (-1 is the first). */
const PROBLEMS: readonly ((maxDepth: number) => string)[] = [
  (maxDepth) => `nests deeper than ${maxDepth} levels`,
  () => 'has a number with a fraction (Notary writes integers only)',
  () => 'has a number with an exponent (Notary writes integers only)',
  () => 'has a number starting with -0 (Notary writes integers only)',
];
const TOO_DEEP = -1;
const FRACTION = -2;
const EXPONENT = -3;
const MINUS_ZERO = -4;

/**
 * The usual value of a targets entry as Notary and this library write it, canonical, with one or
 * two hashes. At a key inside `signed`, `scanLoop` skips a whole match of one of these in one
 * native step, with exactly the effect the byte-by-byte walk has on it: 3 or 4 members (`hashes`,
 * `sha256`, [`sha512`,] `length`), keys in order, no escape (so no surrogate and no backslash to
 * track), no whitespace, a number of at most 15 digits, two levels opened and closed (the caller
 * checks both limits first, and that the key is at level 2 or deeper: in text with unbalanced
 * brackets the walk ends the proof at a `}` closing level 2, which a skipped entry would hide).
 * The hash strings have the length of a sha256 (44 characters) and a sha512 (88) in base64, so an
 * attempt reads at most ~200 characters, and one attempt is made per entry (the byte after the
 * sha256 string tells which shape can match). What a failed attempt read is read again by the
 * walk: a document crafted to fail every attempt (a valid 48-character sha256 keeps the proof going
 * and passes the parse) made the scan ~2.5x slower than the walk alone, so after MAX_MISSES failed
 * attempts the rest of the document is walked. Anything else (a `custom` member, other lengths)
 * takes the walk.
 */
const MAX_MISSES = 64;
/** Offset, from an entry's `{`, of the byte after its sha256 string (`{"hashes":{"sha256":"` + 44 + `"`). */
const ENTRY_SHA256_NEXT = 66;
const ENTRY_SHA256 = /\{"hashes":\{"sha256":"[^"\\]{44}"\},"length":\d{1,15}\}/y;
const ENTRY_SHA256_512 = /\{"hashes":\{"sha256":"[^"\\]{44}","sha512":"[^"\\]{88}"\},"length":\d{1,15}\}/y;

/** The scan's results, and its state shared with the out-of-line walk of escaped strings. */
class ScanState {
  members = 0;
  surrogateEscapes = false;
  escapes = false;
  sigStart = -1;
  sigEnd = -1;
  readonly prevStart: Int32Array;
  readonly prevEnd: Int32Array;
  constructor(
    levels: number,
    /** The proof of `signed`: NOT_YET (not reached), INSIDE (canonical so far), DONE (proven or not). */
    public sig: number,
  ) {
    this.prevStart = new Int32Array(levels);
    this.prevEnd = new Int32Array(levels);
  }
}

/**
 * The pass itself: `b` and `text` are the same bytes. Kept small, rare work out of line, so that a
 * first call gets optimised code early. Returns where it stopped, or a negative PROBLEMS index.
 */
function scanLoop(b: Uint8Array, text: string, maxDepth: number, s: ScanState): number {
  const n = b.length;
  let depth = 0;
  let members = 0;
  let sig = s.sig;
  // failed fast-forward attempts (ENTRY_*): after MAX_MISSES, the rest is walked
  let misses = 0;
  const prevStart = s.prevStart;
  const prevEnd = s.prevEnd;
  // next backslash at or after i (n when none): strings without one are skipped with a native search
  let nextBackslash = text.indexOf('\\');
  if (nextBackslash < 0) nextBackslash = n;
  s.escapes = nextBackslash < n;
  let i = 0;
  while (i < n) {
    const c = b[i]!;
    if (c === QUOTE) {
      const start = ++i;
      const close = text.indexOf('"', i);
      if (close < 0) break;
      if (nextBackslash >= close) {
        i = close + 1;
        if (b[i] === COLON) {
          // an unescaped key, and its colon (counted here: one turn of the loop less per member)
          members++;
          if (sig === INSIDE) {
            const ps = prevStart[depth]!;
            if (ps >= 0) {
              // most keys differ from the previous one in their first byte (both non-empty)
              const pe = prevEnd[depth]!;
              const d = ps < pe && start < close ? b[ps]! - b[start]! : 0;
              if (d > 0 || (d === 0 && compareBytes(b, ps, pe, start, close) >= 0)) sig = DONE;
            }
            prevStart[depth] = start;
            prevEnd[depth] = close;
            i++;
            if (
              b[i] === OPEN &&
              b[i + 2] === 0x68 &&
              misses < MAX_MISSES &&
              depth >= 2 &&
              depth + 2 <= maxDepth &&
              depth + 1 <= ENCODER_MAX_DEPTH
            ) {
              // maybe a usual targets entry (`{"h`): skipped in one step (ENTRY_*); the byte after the
              // sha256 string (`}` or `,`) picks the one expression that can match
              const re = b[i + ENTRY_SHA256_NEXT] === 0x2c ? ENTRY_SHA256_512 : ENTRY_SHA256;
              re.lastIndex = i;
              if (re.test(text)) {
                members += re === ENTRY_SHA256 ? 3 : 4;
                i = re.lastIndex;
              } else {
                misses++;
              }
            }
            continue;
          }
          if (sig === NOT_YET && depth === 1 && close - start === 6 && b[i + 1] === OPEN) {
            if (isSigned(b, start)) {
              sig = INSIDE;
              s.sigStart = i + 1;
            }
          }
          i++;
        }
        continue;
      }
      // escapes inside: walked out of line
      s.sig = sig;
      i = escapedString(b, start, s);
      sig = s.sig;
      nextBackslash = i < n ? text.indexOf('\\', i) : -1;
      if (nextBackslash < 0) nextBackslash = n;
      continue;
    }
    if (c === COLON) {
      members++;
    } else if (c === 0x2c) {
      // a comma changes nothing (tested early: it is as frequent as the colon)
    } else if (c === OPEN || c === 0x5b) {
      if (++depth > maxDepth) return TOO_DEEP;
      if (sig === INSIDE) {
        // `signed` is level 2 of the document, level 1 of what the encoder writes
        if (depth - 1 > ENCODER_MAX_DEPTH) sig = DONE;
        else prevStart[depth] = -1;
      }
    } else if (c === 0x7d || c === 0x5d) {
      if (sig === INSIDE && depth === 2 && c === 0x7d) {
        s.sigEnd = i + 1;
        sig = DONE;
      }
      depth--;
    } else if (c >= 0x30 && c <= 0x39) {
      if (sig === INSIDE) {
        // 16 digits may not be a safe integer, which the encoder would write differently
        let j = i + 1;
        while (j < n && b[j]! >= 0x30 && b[j]! <= 0x39) j++;
        if (j - i > 15) sig = DONE;
        i = j;
        continue;
      }
    } else {
      const r = otherByte(b, i, c);
      if (r < 0) return r;
      // whitespace outside strings: canonical JSON writes none
      if (r === 1 && sig === INSIDE) sig = DONE;
    }
    i++;
  }
  s.members = members;
  s.sig = sig;
  return i;
}

/**
 * A byte outside strings that is no structural character and no digit: a negative PROBLEMS index for
 * a fraction, an exponent (outside strings, `e` follows a digit only in an exponent: `true`/`false`
 * have letters before it) or `-0`; 1 for whitespace; 0 for anything else.
 */
function otherByte(b: Uint8Array, i: number, c: number): number {
  if (c === 0x2e) return FRACTION;
  if ((c | 0x20) === 0x65 && i > 0 && b[i - 1]! >= 0x30 && b[i - 1]! <= 0x39) return EXPONENT;
  if (c === 0x2d && b[i + 1] === 0x30) return MINUS_ZERO;
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09 ? 1 : 0;
}

/**
 * Walks a string that holds a backslash, from just after its opening quote; returns the index just
 * after its closing quote (a key's colon is left to the caller's loop). Notes an escaped surrogate in
 * `s`, and ends the proof of `signed` at any escape but `\"` and `\\` (canonical JSON writes every
 * other character raw) and at an escaped key (its decoded order may differ from its bytes').
 */
function escapedString(b: Uint8Array, i: number, s: ScanState): number {
  const n = b.length;
  while (i < n) {
    const d = b[i]!;
    if (d === QUOTE) break;
    if (d === BACKSLASH) {
      const e = b[i + 1];
      if (e !== QUOTE && e !== BACKSLASH) {
        if (s.sig === INSIDE) s.sig = DONE;
        if (e === 0x75 && (b[i + 2]! | 0x20) === 0x64 && isHexSurrogateLead(b[i + 3])) {
          s.surrogateEscapes = true;
        }
      }
      i += 2;
    } else {
      i++;
    }
  }
  i++;
  if (s.sig === INSIDE && b[i] === COLON) s.sig = DONE;
  return i;
}

/** Object members in a parsed value (its own keys, recursively). Depth is bounded by the scan. */
export function countMembers(v: unknown): number {
  if (typeof v !== 'object' || v === null) return 0;
  let n = 0;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) n += countMembers(v[i]);
    return n;
  }
  const o = v as Record<string, unknown>;
  for (const k in o) {
    n++;
    n += countMembers(o[k]);
  }
  return n;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Whether a key or string anywhere in a parsed value holds a lone surrogate. */
export function hasLoneSurrogate(v: unknown): boolean {
  if (typeof v === 'string') return LONE_SURROGATE.test(v);
  if (typeof v !== 'object' || v === null) return false;
  if (Array.isArray(v)) return v.some(hasLoneSurrogate);
  const o = v as Record<string, unknown>;
  for (const k in o) if (LONE_SURROGATE.test(k) || hasLoneSurrogate(o[k])) return true;
  return false;
}
