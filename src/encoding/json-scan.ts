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

const SIGNED_FIRST = '{"signed":';
const ANY_SURROGATE = /[\uD800-\uDFFF]/;
const fatalUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The native way to what `scanJson(bytes, maxDepth, true)` checks, for a document written as Notary
 * writes it (issue 12: the scan is a JavaScript loop per structural byte, which a first call runs
 * unoptimised over a 1 MB targets document; this is JSON.parse, JSON.stringify and one comparison).
 *
 * Returns the parsed document and where its `signed` value ends (it starts at byte 10) when all of
 * these hold, else undefined (the caller then scans): the bytes start with `{"signed":{`, hold no
 * backslash (so no escape at all), are valid UTF-8 with no character beyond U+FFFF, parse, and are
 * exactly `{"signed":`, the text JSON.stringify writes for the parsed `signed`, and each other member
 * of the parsed document as JSON.stringify writes it, in order; and the parsed document nests at
 * most `maxDepth` levels (the scan's limit), holds numbers that are integers of at most 15 digits
 * only, and inside `signed` every object's keys strictly increase.
 *
 * Why that is the scan's verdict, with `signed` proven canonical: being JSON.stringify's text, the
 * bytes have no whitespace, no repeated key (JSON.parse keeps one of two, JSON.stringify writes it
 * once, so the texts would differ) and every number spelled as JavaScript writes it, which for the
 * integers allowed here is plain digits (so no fraction, exponent or `-0`); with no backslash there
 * is no escaped surrogate, and every string is written raw as canonical JSON writes it; keys
 * increasing in UTF-16 order increase in byte order when no key holds a surrogate; so `signed` is
 * what the canonical encoder writes for its value (sorted keys, no whitespace, integers of at most
 * 15 digits, only `"` and `\` escaped, nesting far below its limit). The member count the scan
 * would return is not needed: a repeated key is already excluded.
 */
export function parseStringified(
  bytes: Uint8Array,
  maxDepth: number,
  /**
   * Leave the entries of `signed.targets` (an object) unchecked: the caller checks them as the scan
   * would (metadata/parse.ts, in its walk of the targets map: `provenValue` from level 4, and keys in
   * increasing order), and otherwise does not take the result.
   */
  skipTargets = false,
):
  | {
      readonly value: Record<string, unknown>;
      readonly signedEnd: number;
      /** The nesting limit the check applied (what a caller checking the targets entries applies). */
      readonly limit: number;
    }
  | undefined {
  const n = bytes.length;
  if (n < 12 || bytes[10] !== OPEN) return undefined;
  for (let i = 0; i < 10; i++) if (bytes[i] !== SIGNED_FIRST.charCodeAt(i)) return undefined;
  const u8 =
    Object.getPrototypeOf(bytes) === Uint8Array.prototype
      ? bytes
      : new Uint8Array(bytes.buffer, bytes.byteOffset, n);
  if (u8.indexOf(BACKSLASH) >= 0) return undefined;
  let text: string;
  let value: unknown;
  try {
    text = fatalUtf8.decode(bytes);
    if (ANY_SURROGATE.test(text)) return undefined;
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const doc = value as Record<string, unknown>;
  // the text must be `{"signed":`, JSON.stringify's text of `signed`, then each other member as
  // JSON.stringify writes it (as it would write the document, where V8 lists `signed` first)
  let signed: string;
  let rest = '';
  try {
    signed = JSON.stringify(doc.signed);
    for (const k in doc) if (k !== 'signed') rest += `,${JSON.stringify(k)}:${JSON.stringify(doc[k])}`;
  } catch {
    return undefined; // nesting too deep for the serializer
  }
  rest += '}';
  if (
    text.length !== SIGNED_FIRST.length + signed.length + rest.length ||
    !text.startsWith(signed, SIGNED_FIRST.length) ||
    !text.endsWith(rest)
  ) {
    return undefined;
  }
  // the scan's nesting limit, and the canonical encoder's inside `signed` (level 1 there is level 2)
  const limit = Math.min(maxDepth, ENCODER_MAX_DEPTH + 1);
  for (const k in doc) {
    const v = doc[k];
    if (k !== 'signed' || !skipTargets || typeof v !== 'object' || v === null || Array.isArray(v)) {
      if (!provenValue(v, 2, limit, k === 'signed')) return undefined;
      continue;
    }
    // `signed` (level 2) without the entries of its targets map (level 3)
    const signedValue = v as Record<string, unknown>;
    let prev: string | undefined;
    for (const m in signedValue) {
      if (prev !== undefined && !(prev < m)) return undefined;
      prev = m;
      const x = signedValue[m];
      if (m === 'targets' && typeof x === 'object' && x !== null && !Array.isArray(x)) {
        if (3 > limit) return undefined;
        continue;
      }
      if (!provenValue(x, 3, limit, true)) return undefined;
    }
  }
  return { value: doc, signedEnd: SIGNED_FIRST.length + Buffer.byteLength(signed, 'utf8'), limit };
}

/**
 * Whether `v`, a value at nesting level `depth` (a container there counts as that level), nests at
 * most `limit` levels, holds integers of at most 15 digits as its only numbers, and, with `ordered`,
 * has the keys of every object strictly increasing (UTF-16 order). Recursion is bounded by `limit`.
 */
export function provenValue(v: unknown, depth: number, limit: number, ordered: boolean): boolean {
  if (typeof v === 'number') return Number.isSafeInteger(v) && v < 1e15 && v > -1e15;
  if (typeof v !== 'object' || v === null) return true;
  if (depth > limit) return false;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) if (!provenValue(v[i], depth + 1, limit, ordered)) return false;
    return true;
  }
  const o = v as Record<string, unknown>;
  let prev: string | undefined;
  for (const k in o) {
    if (ordered) {
      if (prev !== undefined && !(prev < k)) return false;
      prev = k;
    }
    if (!provenValue(o[k], depth + 1, limit, ordered)) return false;
  }
  return true;
}
