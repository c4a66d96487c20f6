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
 * Default cap on nesting (objects and arrays; the top-level container is level 1).
 * A stack-safety net for the encoder only: the policy limit for untrusted
 * metadata is applied by the parser, before anything is encoded.
 */
export const CANONICAL_MAX_DEPTH = 512;

export interface CanonicalOptions {
  /** Deepest container level allowed (top-level container = 1). Default {@link CANONICAL_MAX_DEPTH}. */
  maxDepth?: number;
}

/*
 * How the encoder stays fast and linear in the size of its input.
 *
 * The native path is JSON.stringify with a replacer that checks, as the
 * serializer walks, that every object's keys come in sorted order and every
 * number is a safe integer (string contents are checked once on the output).
 * V8 lists integer-like keys (`1`, `2`, `10`) before all others, so an object
 * holding them (a targets map with numeric tags) breaks the order: that object
 * becomes "special", and the next native attempt writes a placeholder in its
 * place. A special object is then written by one native pass over a shallow
 * copy without its integer-like members (the pass also checks that the other
 * keys are sorted); each integer-like member is merged back in front of the
 * first member whose key sorts after it (that member's value is a placeholder
 * in the copy, marking the spot), so the output keeps Go's byte order.
 *
 * Every failed native attempt costs at most one walk of its input, and there
 * are at most MAX_NATIVE_FAILURES of them per call; after that, or for any
 * other reason the native output would differ (a fraction, a control
 * character, a surrogate), the plain recursive encoder writes the value, once,
 * with no native retries underneath. Total work: O(MAX_NATIVE_FAILURES * n).
 * (0.1.0 retried the native path on every nested object under a failure:
 * O(depth * n), over a minute for a 0.9 MB document.)
 */
const MAX_NATIVE_FAILURES = 16;

/** Placeholder value: a lone surrogate, which JSON.stringify always escapes exactly like this. */
const PLACEHOLDER = '\uDEAD';
const PLACEHOLDER_TEXT = '"\\udead"';

/** Thrown from the replacer to stop JSON.stringify at the first value the native path cannot write. */
const ABORT = new Error('not canonical as is');
const TOO_DEEP = new Error('too deep');
/** Thrown from the replacer when an object's keys come out of order. */
class OrderViolation {
  constructor(readonly holder: object) {}
}

interface EncodeState {
  readonly maxDepth: number;
  failures: number;
}

/**
 * What a placeholder stands for: a special object (`key` undefined), or the
 * value of the member with key `key` in front of which the integer-like
 * members `ints` of `holder` go.
 */
interface Emitted {
  value: unknown;
  /** Containers around `value`. */
  enclosing: number;
  key?: string;
  holder?: Record<string, unknown>;
  ints?: string[];
}

function tooDeep(maxDepth: number): FormatError {
  return canonicalError(`nesting deeper than ${maxDepth} levels`);
}

/** V8 lists array-index keys first, in ascending numeric order. */
function isArrayIndex(k: string): boolean {
  const n = Number(k);
  return n >>> 0 === n && n !== 4294967295 && String(n) === k;
}

/**
 * One native attempt on `v` (with `enclosing` containers around it), writing
 * a placeholder for each object in `special`. With `split`, v is a special
 * object: its integer-like members are left out (V8 hands them over first,
 * they are returned in `ints`, sorted) and the value of the first member that
 * sorts after some of them becomes a placeholder marking where they go.
 * Returns the text with a PLACEHOLDER_TEXT per entry of `emitted`, an
 * OrderViolation, or undefined when the general encoder must be used.
 */
function nativeAttempt(
  v: object,
  enclosing: number,
  special: ReadonlySet<object>,
  maxDepth: number,
  split = false,
): { text: string; emitted: Emitted[]; ints: string[] } | OrderViolation | undefined {
  const holders: unknown[] = [];
  const lastKeys: string[] = [];
  const isArray: boolean[] = [];
  const emitted: Emitted[] = [];
  const hasSpecial = special.size > 0;
  const splitHolder = split ? v : undefined;
  const ints: string[] = [];
  let intPhase = true;
  let nextInt = 0;
  let lastKey: string | undefined;
  let top = -1;
  let pending: unknown;
  let text: string | undefined;
  /** A member of the split object (always at level 1 of this pass). */
  const splitMember = (key: string, value: unknown): unknown => {
    top = 1;
    holders[1] = splitHolder;
    isArray[1] = false;
    if (intPhase) {
      if (isArrayIndex(key)) {
        ints.push(key);
        return undefined;
      }
      intPhase = false;
      ints.sort();
    }
    if (lastKey !== undefined && !(lastKey < key)) throw new OrderViolation(splitHolder as object);
    lastKey = key;
    if (value === undefined || typeof value === 'function') return undefined;
    if (nextInt < ints.length && ints[nextInt]! < key) {
      const from = nextInt;
      while (nextInt < ints.length && ints[nextInt]! < key) nextInt++;
      const holder = splitHolder as Record<string, unknown>;
      emitted.push({ value, enclosing: enclosing + 1, key, holder, ints: ints.slice(from, nextInt) });
      pending = undefined;
      return PLACEHOLDER;
    }
    return undefined;
  };
  // runs once per value: keep it lean
  const replacer = function (this: unknown, key: string, value: unknown) {
    if (this === splitHolder) {
      const r = splitMember(key, value);
      if (r !== undefined || value === undefined || typeof value === 'function' || intPhase) return r;
    } else if (this === pending) {
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
      } else if (!isArray[top]) {
        if (!(lastKeys[top]! < key)) throw new OrderViolation(this as object);
        lastKeys[top] = key;
      }
    }
    if (typeof value === 'object') {
      if (value !== null) {
        // `top` is the holder's level (0 = JSON.stringify's wrapper), so value sits at top + 1
        if (enclosing + top + 1 > maxDepth) throw TOO_DEEP;
        if (hasSpecial && special.has(value)) {
          emitted.push({ value, enclosing: enclosing + top });
          pending = undefined;
          return PLACEHOLDER;
        }
        const proto = Object.getPrototypeOf(value);
        if (proto !== Object.prototype && proto !== Array.prototype && proto !== null) throw ABORT;
      }
      pending = value;
      return value;
    }
    pending = undefined;
    if (typeof value === 'number' && !Number.isSafeInteger(value)) throw ABORT;
    return value;
  };
  try {
    text = JSON.stringify(v, replacer);
  } catch (e) {
    if (e === TOO_DEEP) throw tooDeep(maxDepth);
    if (e instanceof OrderViolation) return e;
    return undefined; // ABORT, or a RangeError from the engine
  }
  if (text === undefined) return undefined;
  if (intPhase) ints.sort(); // no other key
  return { text, emitted, ints: ints.slice(nextInt) };
}

const MAY_DIFFER_ALL = new RegExp(STRINGIFY_MAY_DIFFER.source, 'g');

/** Fills in the placeholders of a native result; undefined when its text may differ from canonical JSON. */
function fillIn(r: { text: string; emitted: Emitted[] }, st: EncodeState): string | undefined {
  const t = r.text;
  if (r.emitted.length === 0) return STRINGIFY_MAY_DIFFER.test(t) ? undefined : t;
  // one pass finds every escape: each must be a placeholder's, and there must be exactly one per
  // placeholder (a real string equal to PLACEHOLDER would make one more)
  const at: number[] = [];
  MAY_DIFFER_ALL.lastIndex = 0;
  for (let m = MAY_DIFFER_ALL.exec(t); m !== null; m = MAY_DIFFER_ALL.exec(t)) {
    if (!t.startsWith(PLACEHOLDER_TEXT, m.index - 1)) return undefined;
    at.push(m.index - 1);
  }
  if (at.length !== r.emitted.length) return undefined;
  let out = '';
  let from = 0;
  for (let i = 0; i < at.length; i++) {
    const e = r.emitted[i]!;
    if (e.key === undefined) {
      out += t.slice(from, at[i]) + encodeSpecial(e.value as Record<string, unknown>, e.enclosing, st);
    } else {
      // the text before the placeholder ends with `"key":`; the integer-like members go in front of it
      const name = `${canonicalString(e.key)}:`;
      out += t.slice(from, at[i]! - name.length);
      for (const k of e.ints!) {
        const item = e.holder![k];
        if (item !== undefined && typeof item !== 'function') out += `${member(k, item, e.enclosing, st)},`;
      }
      out += name + encodeAny(e.value, e.enclosing, st);
    }
    from = at[i]! + PLACEHOLDER_TEXT.length;
  }
  return out + t.slice(from);
}

/** Encodes any value: native where possible, general otherwise. `enclosing` = containers around v. */
function encodeAny(v: unknown, enclosing: number, st: EncodeState): string {
  if (typeof v !== 'object' || v === null || st.failures >= MAX_NATIVE_FAILURES) {
    return encodeValue(v, enclosing, st.maxDepth);
  }
  const special = new Set<object>();
  for (;;) {
    const r = nativeAttempt(v, enclosing, special, st.maxDepth);
    if (r !== undefined && !(r instanceof OrderViolation)) {
      const out = fillIn(r, st);
      if (out !== undefined) return out;
    }
    st.failures++;
    if (r instanceof OrderViolation && st.failures < MAX_NATIVE_FAILURES) {
      if (r.holder === v) return encodeSpecial(v as Record<string, unknown>, enclosing, st);
      special.add(r.holder);
      continue;
    }
    return encodeValue(v, enclosing, st.maxDepth);
  }
}

function member(k: string, v: unknown, enclosing: number, st: EncodeState): string {
  return `${canonicalString(k)}:${encodeAny(v, enclosing, st)}`;
}

/** Members one by one, in canonical key order (for objects whose other keys are not sorted). */
function encodeMembers(obj: Record<string, unknown>, enclosing: number, st: EncodeState): string {
  if (enclosing + 1 > st.maxDepth) throw tooDeep(st.maxDepth);
  let out = '';
  for (const k of sortedKeys(obj)) {
    const item = obj[k];
    if (item === undefined || typeof item === 'function') continue;
    out += `,${member(k, item, enclosing + 1, st)}`;
  }
  return out === '' ? '{}' : `{${out.slice(1)}}`;
}

/**
 * A special object (see above): one native pass without its integer-like
 * members, which are merged back in by byte order. Falls back to member by
 * member when the other keys are not sorted.
 */
function encodeSpecial(obj: Record<string, unknown>, enclosing: number, st: EncodeState): string {
  if (enclosing + 1 > st.maxDepth) throw tooDeep(st.maxDepth);
  const special = new Set<object>();
  while (st.failures < MAX_NATIVE_FAILURES) {
    const r = nativeAttempt(obj, enclosing, special, st.maxDepth, true);
    if (r !== undefined && !(r instanceof OrderViolation)) {
      const out = fillIn(r, st);
      if (out !== undefined) {
        // integer-like members that sort after every other key
        let tail = '';
        for (const k of r.ints) {
          const item = obj[k];
          if (item === undefined || typeof item === 'function') continue;
          tail += `,${member(k, item, enclosing + 1, st)}`;
        }
        if (tail === '') return out;
        return out === '{}' ? `{${tail.slice(1)}}` : `${out.slice(0, -1)}${tail}}`;
      }
    }
    st.failures++;
    if (!(r instanceof OrderViolation) || r.holder === obj) break;
    special.add(r.holder);
  }
  // the other keys are not sorted, or the native path does not apply
  return encodeMembers(obj, enclosing, st);
}

function encodeValue(v: unknown, enclosing: number, maxDepth: number): string {
  switch (typeof v) {
    case 'string':
      return canonicalString(v);
    case 'number':
      return canonicalNumber(v);
    case 'boolean':
      return v ? 'true' : 'false';
    case 'object': {
      if (v === null) return 'null';
      if (enclosing + 1 > maxDepth) throw tooDeep(maxDepth);
      if (Array.isArray(v)) {
        if (v.length === 0) return '[]';
        let out = '[';
        for (let i = 0; i < v.length; i++) {
          if (i > 0) out += ',';
          const item = v[i];
          out +=
            item === undefined || typeof item === 'function'
              ? 'null'
              : encodeValue(item, enclosing + 1, maxDepth);
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
        out += encodeValue(item, enclosing + 1, maxDepth);
      }
      return `${out}}`;
    }
    default:
      throw canonicalError(`unsupported value of type ${typeof v}`);
  }
}

/** The general (non-native) encoder; exported for differential tests of the native path. */
export function canonicalJsonGeneral(value: unknown, options: CanonicalOptions = {}): string {
  return encodeValue(value, 0, options.maxDepth ?? CANONICAL_MAX_DEPTH);
}

/**
 * Canonical JSON text of a JSON value (docker/go canonical/json). Linear in the
 * size of the value; refuses nesting deeper than `options.maxDepth`.
 */
export function canonicalJson(value: unknown, options: CanonicalOptions = {}): string {
  return encodeAny(value, 0, { maxDepth: options.maxDepth ?? CANONICAL_MAX_DEPTH, failures: 0 });
}

/** Canonical JSON as UTF-8 bytes: the bytes Notary signs. */
export function canonicalBytes(value: unknown, options?: CanonicalOptions): Uint8Array {
  return utf8(canonicalJson(value, options));
}

const encoder = new TextEncoder();

/** UTF-8 encoding (lone surrogates become U+FFFD, as Go writes invalid runes). */
export function utf8(s: string): Uint8Array {
  return typeof Buffer === 'function' ? Buffer.from(s, 'utf8') : encoder.encode(s);
}
