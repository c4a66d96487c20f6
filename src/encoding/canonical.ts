/**
 * Canonical JSON exactly as github.com/docker/go/canonical/json writes it
 * (what Notary 0.7 signs and verifies):
 *
 * - object keys sorted byte-wise on their UTF-8 encoding (Go `sort.Strings`);
 * - no insignificant whitespace;
 * - in strings only `"` and `\` are escaped; control characters, `<>&`,
 *   non-ASCII and U+2028/U+2029 are written raw;
 * - numbers must be integers (a fraction, NaN or Infinity is an error).
 *
 * This is NOT RFC 8785 (the `canonicalize` package): that one escapes control
 * characters and sorts keys by UTF-16 code units.
 */

import { FormatError } from '../errors.js';

const NEEDS_ESCAPE = /["\\]/;
const ESCAPE_ALL = /["\\]/g;
/** Any UTF-16 surrogate: the only case where UTF-16 order differs from UTF-8 byte order. */
const HAS_SURROGATE = /[\uD800-\uDFFF]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

function canonicalError(message: string): FormatError {
  return new FormatError('CANONICAL', `canonical JSON: ${message}`);
}

/** Appends a canonical JSON string literal. */
export function canonicalString(s: string): string {
  return NEEDS_ESCAPE.test(s) ? `"${s.replace(ESCAPE_ALL, '\\$&')}"` : `"${s}"`;
}

/** Integer rendering as Go's `strconv.AppendInt(int64(f))` for the float64 JSON numbers Notary parses. */
export function canonicalNumber(n: number): string {
  if (Number.isSafeInteger(n)) return n === 0 ? '0' : String(n);
  if (!Number.isFinite(n)) throw canonicalError(`unsupported number ${n}`);
  if (!Number.isInteger(n)) throw canonicalError(`non-integer number ${n} is not allowed`);
  if (Math.abs(n) >= 2 ** 63) throw canonicalError(`integer ${n} does not fit in int64`);
  return BigInt(n).toString();
}

/** UTF-8 byte order is Unicode code point order; lone surrogates become U+FFFD when encoded. */
function codePointKey(s: string): string {
  return s.replace(LONE_SURROGATE, '\uFFFD');
}

function compareCodePoints(a: string, b: string): number {
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  for (;;) {
    const x = ia.next();
    const y = ib.next();
    if (x.done) return y.done ? 0 : -1;
    if (y.done) return 1;
    const cx = x.value.codePointAt(0)!;
    const cy = y.value.codePointAt(0)!;
    if (cx !== cy) return cx - cy;
  }
}

/** Object keys in Go's byte-wise order. */
export function sortedKeys(obj: object): string[] {
  const keys = Object.keys(obj);
  let surrogates = false;
  for (const k of keys) {
    if (HAS_SURROGATE.test(k)) {
      surrogates = true;
      break;
    }
  }
  if (!surrogates) return keys.sort();
  return keys
    .map((k) => [codePointKey(k), k] as const)
    .sort((a, b) => compareCodePoints(a[0], b[0]))
    .map((p) => p[1]);
}

/**
 * Output of JSON.stringify that may differ from canonical JSON: an escape other
 * than `\\"`/`\\\\` (a control character or lone surrogate was escaped), or any
 * surrogate (a non-BMP key may be ordered differently in UTF-16 than in UTF-8).
 * `\\\\u` written for a literal backslash is a harmless false positive.
 */
const STRINGIFY_MAY_DIFFER = /\\[ubfnrt]|[\uD800-\uDFFF]/;

/**
 * Native fast path: JSON.stringify with a replacer that checks, as the
 * serializer walks, that every object's keys come in sorted order (V8 lists
 * integer-like keys first, so those fail) and every number is a safe integer.
 * String contents are then checked once on the output (STRINGIFY_MAY_DIFFER).
 * Returns undefined when the general encoder must be used.
 */
/** Thrown from the replacer to stop JSON.stringify at the first violation. */
const ABORT = new Error('not canonical as is');

export function fastPath(v: unknown): string | undefined {
  const holders: unknown[] = [];
  const lastKeys: string[] = [];
  const isArray: boolean[] = [];
  let top = -1;
  let pending: unknown;
  let out: string | undefined;
  try {
    out = JSON.stringify(v, function (this: unknown, key: string, value: unknown) {
      if (this === pending) {
        top++;
        holders[top] = this;
        lastKeys[top] = key;
        isArray[top] = Array.isArray(this);
        pending = undefined;
      } else {
        while (top >= 0 && holders[top] !== this) top--;
        if (top < 0) {
          top = 0;
          holders[0] = this;
          lastKeys[0] = key;
          isArray[0] = false;
        } else {
          if (!isArray[top] && !(lastKeys[top]! < key)) throw ABORT;
          lastKeys[top] = key;
        }
      }
      if (typeof value === 'object') {
        if (value !== null) {
          const proto = Object.getPrototypeOf(value);
          if (proto !== Object.prototype && proto !== Array.prototype && proto !== null) throw ABORT;
        }
        pending = value;
        return value;
      }
      pending = undefined;
      if (typeof value === 'number' && !Number.isSafeInteger(value)) throw ABORT;
      return value;
    });
  } catch {
    return undefined;
  }
  if (out === undefined || STRINGIFY_MAY_DIFFER.test(out)) return undefined;
  return out;
}

/**
 * A member of an object the fast path refused (typically a targets map whose
 * tag names include `1`, `2`, `10`): its own subtree usually qualifies, so try
 * the native path there before falling back to the general encoder.
 */
function encodeChild(v: unknown, depth: number): string {
  if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
    const fast = fastPath(v);
    if (fast !== undefined) return fast;
  }
  return encodeValue(v, depth);
}

function encodeValue(v: unknown, depth: number): string {
  switch (typeof v) {
    case 'string':
      return canonicalString(v);
    case 'number':
      return canonicalNumber(v);
    case 'boolean':
      return v ? 'true' : 'false';
    case 'object': {
      if (v === null) return 'null';
      if (depth > 512) throw canonicalError('nesting too deep');
      if (Array.isArray(v)) {
        if (v.length === 0) return '[]';
        let out = '[';
        for (let i = 0; i < v.length; i++) {
          if (i > 0) out += ',';
          const item = v[i];
          out += item === undefined || typeof item === 'function' ? 'null' : encodeValue(item, depth + 1);
        }
        return `${out}]`;
      }
      if (v instanceof Uint8Array) throw canonicalError('raw bytes must be base64-encoded first');
      const rec = v as Record<string, unknown>;
      let out = '{';
      let first = true;
      for (const k of sortedKeys(rec)) {
        const item = rec[k];
        if (item === undefined || typeof item === 'function') continue;
        if (first) first = false;
        else out += ',';
        out += canonicalString(k);
        out += ':';
        out += encodeChild(item, depth + 1);
      }
      return `${out}}`;
    }
    default:
      throw canonicalError(`unsupported value of type ${typeof v}`);
  }
}

/** The general (non-native) encoder; exported for differential tests of the fast path. */
export function canonicalJsonGeneral(value: unknown): string {
  return encodeValue(value, 0);
}

/** Canonical JSON text of a JSON value. */
export function canonicalJson(value: unknown): string {
  if (typeof value === 'object' && value !== null) {
    const fast = fastPath(value);
    if (fast !== undefined) return fast;
  }
  return encodeValue(value, 0);
}

/** Canonical JSON as UTF-8 bytes: the bytes Notary signs. */
export function canonicalBytes(value: unknown): Uint8Array {
  return utf8(canonicalJson(value));
}

const encoder = new TextEncoder();

/** UTF-8 encoding (lone surrogates become U+FFFD, as Go writes invalid runes). */
export function utf8(s: string): Uint8Array {
  return typeof Buffer === 'function' ? Buffer.from(s, 'utf8') : encoder.encode(s);
}
