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
  return sortKeys(Object.keys(obj));
}

/**
 * A copy of `obj` with its own keys in canonical order (own data properties, `__proto__` included):
 * the native pass below writes such an object as is, where an object whose keys are out of order
 * is written member by member, much slower in a short-lived process.
 */
export function inKeyOrder<T>(obj: Record<string, T>): Record<string, T> {
  return Object.fromEntries(sortedKeys(obj).map((k) => [k, obj[k] as T]));
}

function sortKeys(keys: string[]): string[] {
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
 * number is a safe integer. The text is then checked once: JSON.stringify
 * writes a string exactly as Go does unless it escapes something other than
 * `"` and `\` (a control character or a lone surrogate), and it orders keys by
 * UTF-16 units, which is UTF-8 byte order unless a key holds a surrogate; so
 * the text is taken as is only when every backslash in it starts `\"` or `\\`
 * (or a placeholder, below) and it holds no surrogate at all.
 *
 * V8 lists an object's integer-like keys (`1`, `2`, `10`: array indices) first,
 * in numeric order, then the others in insertion order. The replacer leaves
 * the integer-like members out (it returns undefined for them; they come
 * first, so it knows them all before any other member of that object) and
 * checks the order of the other keys as usual. The first member whose key
 * sorts after some left-out integer-like keys gets a placeholder instead of
 * its value, marking the spot; when the text is filled in, those integer-like
 * members go in front of it, in byte order (`10` before `2`). One native pass
 * writes such an object (a targets map with numeric tags) with no failed
 * attempt. Integer-like keys that sort after every other key of their object
 * (`{"!":0,"1":1}`, `{"2":0,"10":0}`) are appended when the object is the
 * value being encoded; a nested one becomes "special": the next native
 * attempt writes a placeholder in its place and the object is encoded on its
 * own. An object whose other keys are not sorted is special too, and is then
 * written member by member.
 *
 * Placeholder: the string U+0000, which JSON.stringify always writes as
 * `"\u0000"`. The text check counts `\u` escapes: there must be exactly one
 * per placeholder returned, so no real string in the text holds any `\u`
 * escape and every `"\u0000"` found is a placeholder, in the order the
 * replacer returned them.
 *
 * Every failed native attempt costs at most one walk of its input, and there
 * are at most MAX_NATIVE_FAILURES of them per call; after that, or for any
 * other reason the native output would differ (a fraction, a control
 * character, a surrogate), the plain recursive encoder writes the value, once,
 * with no native retries underneath. A value behind a placeholder is not
 * walked by the pass that wrote the placeholder. Total work:
 * O(MAX_NATIVE_FAILURES * n). (0.1.0 retried the native path on every nested
 * object under a failure: O(depth * n), over a minute for a 0.9 MB document.)
 */
const MAX_NATIVE_FAILURES = 16;

/**
 * Placeholder value: U+0000, which JSON.stringify always writes as `\u0000`. A one-byte
 * character: one two-byte character (a lone surrogate, as an earlier version used) makes V8 build the
 * whole rest of the text two bytes per character, and the checks on it slower.
 */
const PLACEHOLDER = '\u0000';
const PLACEHOLDER_TEXT = '"\\u0000"';

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

interface NativeResult {
  text: string;
  emitted: Emitted[];
  /** Integer-like keys of the top-level object that sort after all its other keys (in byte order). */
  tail: string[];
}

function tooDeep(maxDepth: number): FormatError {
  return canonicalError(`nesting deeper than ${maxDepth} levels`);
}

/** V8 lists array-index keys first, in ascending numeric order. */
function isArrayIndex(k: string): boolean {
  const n = Number(k);
  return n >>> 0 === n && n !== 4294967295 && String(n) === k;
}

const present = (v: unknown): boolean => v !== undefined && typeof v !== 'function';

/**
 * One native attempt on `v` (with `enclosing` containers around it), writing
 * a placeholder for each object in `special` and for each member in front of
 * which left-out integer-like members go (see above). Returns the text with a
 * PLACEHOLDER_TEXT per entry of `emitted`, an OrderViolation, or undefined
 * when the general encoder must be used.
 */
function nativeAttempt(
  v: object,
  enclosing: number,
  special: ReadonlySet<object>,
  maxDepth: number,
): NativeResult | OrderViolation | undefined {
  // per container level (0 = JSON.stringify's wrapper, 1 = v): the holder, whether it is an
  // array, its last key written (undefined while only integer-like keys came), and its left-out
  // integer-like keys (undefined: none pending; sorted once the first other key came, from intAt)
  const holders: unknown[] = [];
  const isArray: boolean[] = [];
  const lastKeys: (string | undefined)[] = [];
  const ints: (string[] | undefined)[] = [];
  const intAt: number[] = [];
  const emitted: Emitted[] = [];
  const hasSpecial = special.size > 0;
  let top = -1;
  let pending: unknown;
  let text: string | undefined;
  /** Integer-like keys of level `l` still to be written, with a present value, in byte order. */
  const leftOver = (l: number): string[] => {
    const list = ints[l];
    if (list === undefined) return [];
    const rest = lastKeys[l] === undefined ? list.sort() : list.slice(intAt[l]);
    const holder = holders[l] as Record<string, unknown>;
    return rest.filter((k) => present(holder[k]));
  };
  // runs once per value: keep it lean
  const replacer = function (this: unknown, key: string, value: unknown) {
    if (this === pending) {
      // the first member of a container
      top++;
      holders[top] = this;
      pending = undefined;
      if (Array.isArray(this)) {
        isArray[top] = true;
      } else {
        isArray[top] = false;
        const c = key.charCodeAt(0);
        if (c <= 0x39 && c >= 0x30 && isArrayIndex(key)) {
          lastKeys[top] = undefined;
          ints[top] = [key];
          return undefined;
        }
        lastKeys[top] = key;
        ints[top] = undefined;
      }
    } else {
      if (holders[top] !== this) {
        while (top >= 0 && holders[top] !== this) {
          // the container at `top` has ended: integer-like keys still left out must go at its end
          if (ints[top] !== undefined && !isArray[top] && leftOver(top).length > 0) {
            throw new OrderViolation(holders[top] as object);
          }
          top--;
        }
        if (top < 0) {
          // JSON.stringify's wrapper `{"": v}`: one member, nothing to check
          top = 0;
          holders[0] = this;
          isArray[0] = true;
        }
      }
      if (!isArray[top]) {
        const last = lastKeys[top];
        if (last === undefined) {
          // only integer-like keys so far
          if (isArrayIndex(key)) {
            ints[top]!.push(key);
            return undefined;
          }
          ints[top]!.sort();
          intAt[top] = 0;
        } else if (!(last < key)) {
          throw new OrderViolation(this as object);
        }
        lastKeys[top] = key;
        const list = ints[top];
        if (list !== undefined && list[intAt[top]!]! < key && present(value)) {
          // the left-out integer-like keys that sort before `key` go in front of this member
          const from = intAt[top]!;
          let to = from + 1;
          while (to < list.length && list[to]! < key) to++;
          if (to === list.length) ints[top] = undefined;
          else intAt[top] = to;
          const holder = this as Record<string, unknown>;
          emitted.push({ value, enclosing: enclosing + top, key, holder, ints: list.slice(from, to) });
          pending = undefined;
          return PLACEHOLDER;
        }
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
  let tail: string[] = [];
  try {
    text = JSON.stringify(v, replacer);
    if (text === undefined) return undefined;
    // the containers still open at the last call have ended too
    for (let l = top; l >= 1; l--) {
      if (ints[l] === undefined || isArray[l]) continue;
      const rest = leftOver(l);
      if (rest.length === 0) continue;
      if (l > 1) return new OrderViolation(holders[l] as object);
      tail = rest; // v itself: appended after its other members
    }
  } catch (e) {
    if (e === TOO_DEEP) throw tooDeep(maxDepth);
    if (e instanceof OrderViolation) return e;
    return undefined; // ABORT, or a RangeError from the engine
  }
  return { text, emitted, tail };
}

const BACKSLASH = 0x5c;
const QUOTE = 0x22;
const LETTER_U = 0x75;

/**
 * Where the placeholders are in native text, or undefined when the text may
 * differ from canonical JSON (see above): every backslash must start `\"`,
 * `\\` or a placeholder, exactly `count` placeholders, no surrogate.
 */
function placeholders(t: string, count: number): number[] | undefined {
  // a one-byte string answers this at once
  if (HAS_SURROGATE.test(t)) return undefined;
  const at: number[] = [];
  let i = t.indexOf('\\');
  while (i >= 0) {
    const c = t.charCodeAt(i + 1);
    if (c === QUOTE || c === BACKSLASH) {
      i = t.indexOf('\\', i + 2);
    } else if (c === LETTER_U && at.length < count && t.startsWith(PLACEHOLDER_TEXT, i - 1)) {
      at.push(i - 1);
      i = t.indexOf('\\', i + PLACEHOLDER_TEXT.length - 1);
    } else {
      return undefined; // another escape, or a `\u` escape more than there are placeholders
    }
  }
  return at.length === count ? at : undefined;
}

/** Fills in the placeholders of a native result; undefined when its text may differ from canonical JSON. */
function fillIn(r: NativeResult, st: EncodeState): string | undefined {
  const t = r.text;
  const at = placeholders(t, r.emitted.length);
  if (at === undefined) return undefined;
  let out = '';
  let from = 0;
  for (let i = 0; i < at.length; i++) {
    const e = r.emitted[i]!;
    if (e.key === undefined) {
      out += t.slice(from, at[i]) + encodeChild(e.value, e.enclosing, st);
    } else {
      // the text before the placeholder ends with `"key":` (the check above: no escape but `\"`
      // and `\\`); the integer-like members go in front of it
      const name = `${canonicalString(e.key)}:`;
      out += t.slice(from, at[i]! - name.length);
      for (const k of e.ints!) {
        const item = e.holder![k];
        if (present(item)) out += `${member(k, item, e.enclosing, st)},`;
      }
      out += name + encodeChild(e.value, e.enclosing, st);
    }
    from = at[i]! + PLACEHOLDER_TEXT.length;
  }
  return from === 0 ? t : out + t.slice(from);
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
      if (out !== undefined) return r.tail.length === 0 ? out : appendTail(out, r.tail, v, enclosing, st);
    }
    st.failures++;
    if (r instanceof OrderViolation && st.failures < MAX_NATIVE_FAILURES) {
      // v's own keys other than the integer-like ones are not sorted
      if (r.holder === v) return encodeMembers(v as Record<string, unknown>, enclosing, st);
      special.add(r.holder);
      continue;
    }
    return encodeValue(v, enclosing, st.maxDepth);
  }
}

/** `out` (an object's text) with the integer-like members `keys` of `obj` appended. */
function appendTail(out: string, keys: string[], obj: object, enclosing: number, st: EncodeState): string {
  let tail = '';
  for (const k of keys) tail += `,${member(k, (obj as Record<string, unknown>)[k], enclosing + 1, st)}`;
  return out === '{}' ? `{${tail.slice(1)}}` : `${out.slice(0, -1)}${tail}}`;
}

function member(k: string, v: unknown, enclosing: number, st: EncodeState): string {
  return `${canonicalString(k)}:${encodeChild(v, enclosing, st)}`;
}

/** Values the general encoder writes before a value is given to the native path instead. */
const SMALL_VALUE = 64;
/** Thrown by the general encoder when a value is bigger than its budget. */
const OVER_BUDGET = new Error('not small');

interface Budget {
  left: number;
}

function spend(budget: Budget, values: number): void {
  budget.left -= values;
  if (budget.left < 0) throw OVER_BUDGET;
}

/**
 * A value written apart from the native pass around it (behind a placeholder, next to
 * integer-like keys, or a member of an object whose keys are not sorted): the general encoder
 * writes it when it holds at most SMALL_VALUE values (a native attempt has a fixed cost of a
 * few microseconds, which a document of many small objects with integer-like keys would pay per
 * object), else the native path. The work given up on a bigger value is at most SMALL_VALUE
 * values plus listing its keys once.
 */
function encodeChild(v: unknown, enclosing: number, st: EncodeState): string {
  if (typeof v === 'object' && v !== null && st.failures < MAX_NATIVE_FAILURES) {
    try {
      return encodeValue(v, enclosing, st.maxDepth, { left: SMALL_VALUE });
    } catch (e) {
      if (e !== OVER_BUDGET) throw e;
    }
  }
  return encodeAny(v, enclosing, st);
}

/** Members one by one, in canonical key order (for objects whose keys are not sorted). */
function encodeMembers(obj: Record<string, unknown>, enclosing: number, st: EncodeState): string {
  if (enclosing + 1 > st.maxDepth) throw tooDeep(st.maxDepth);
  let out = '';
  for (const k of sortedKeys(obj)) {
    const item = obj[k];
    if (!present(item)) continue;
    out += `,${member(k, item, enclosing + 1, st)}`;
  }
  return out === '' ? '{}' : `{${out.slice(1)}}`;
}

/** The general encoder; with `budget`, throws OVER_BUDGET once the value holds more values than it. */
function encodeValue(v: unknown, enclosing: number, maxDepth: number, budget?: Budget): string {
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
        if (budget !== undefined) spend(budget, v.length);
        let out = '[';
        for (let i = 0; i < v.length; i++) {
          if (i > 0) out += ',';
          const item = v[i];
          out +=
            item === undefined || typeof item === 'function'
              ? 'null'
              : encodeValue(item, enclosing + 1, maxDepth, budget);
        }
        return `${out}]`;
      }
      if (v instanceof Uint8Array) throw canonicalError('raw bytes must be base64-encoded first');
      const rec = v as Record<string, unknown>;
      const keys = Object.keys(rec);
      if (budget !== undefined) spend(budget, keys.length);
      let out = '{';
      let first = true;
      for (const k of sortKeys(keys)) {
        const item = rec[k];
        if (item === undefined || typeof item === 'function') continue;
        if (first) first = false;
        else out += ',';
        out += canonicalString(k);
        out += ':';
        out += encodeValue(item, enclosing + 1, maxDepth, budget);
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
