/**
 * Finding one value in JSON bytes without parsing the rest: the span of `signed.targets` in a
 * targets document, and the spans of that object's members. Used only on bytes this client verified
 * before (the verified index, storage/verified-index.ts), so that a warm verify of a 10,000-tag
 * repository parses the one entry it needs instead of 2 MB.
 *
 * Conservative by construction: any doubt returns null and the caller parses the whole document the
 * ordinary strict way (parse.ts), which then accepts it or gives the precise error. Doubt is: a key on
 * the path spelled with an escape, a non-ASCII byte or another case (Go matches struct fields
 * case-insensitively), the path key twice, a member key of the located object twice or with an
 * escape, nesting deeper than the limit, or bytes that do not close.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** A value's bytes: `[start, end)` of `bytes`. */
export interface Span {
  readonly start: number;
  readonly end: number;
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/** Index just past the string whose opening quote is at `i` (escapes honoured), or -1. */
function stringEnd(bytes: Uint8Array, i: number): number {
  const n = bytes.length;
  let j = i + 1;
  for (;;) {
    const close = bytes.indexOf(QUOTE, j);
    if (close < 0) return -1;
    // count the backslashes right before the quote: an odd number escapes it
    let k = close - 1;
    while (k > i && bytes[k] === BACKSLASH) k--;
    if ((close - 1 - k) % 2 === 0) return close + 1;
    j = close + 1;
    if (j >= n) return -1;
  }
}

/** Whether bytes[s, e) spell `key` exactly (ASCII), and whether they fold to it otherwise. */
function keyMatch(bytes: Uint8Array, s: number, e: number, key: string): 'exact' | 'fold' | 'no' {
  let suspicious = false;
  for (let i = s; i < e; i++) {
    const c = bytes[i]!;
    if (c === BACKSLASH || c >= 0x80) suspicious = true;
  }
  if (suspicious) return 'fold'; // an escape or a non-ASCII letter might fold to the key: not sure
  if (e - s !== key.length) return 'no';
  let exact = true;
  for (let i = 0; i < key.length; i++) {
    const c = bytes[s + i]!;
    const k = key.charCodeAt(i);
    if (c === k) continue;
    exact = false;
    if ((c | 0x20) !== (k | 0x20) || (k | 0x20) < 0x61 || (k | 0x20) > 0x7a) return 'no';
  }
  return exact ? 'exact' : 'fold';
}

/** An object located in JSON bytes: its span and where each of its member keys starts. */
export interface LocatedObject extends Span {
  /** Offsets of the opening quote of each member key, ascending (`count` of them). */
  readonly keyStarts: Int32Array;
  readonly count: number;
  /** Whether some member key holds an escape (lookups are then in doubt). */
  readonly escapedKey: boolean;
}

/**
 * The value at `path` (a chain of object keys from the top-level object), which must be an object,
 * with the offsets of its member keys; null when absent or in doubt (see the header). One pass,
 * linear in the length of `bytes`; strings are skipped with a native search.
 */
export function locateObject(
  bytes: Uint8Array,
  path: readonly string[],
  maxDepth: number,
): LocatedObject | null {
  return scan(bytes, path, maxDepth, true);
}

/** `locateObject` without the member fast path (`memberEnd`): the reference it is tested against. */
export function locateObjectPlain(
  bytes: Uint8Array,
  path: readonly string[],
  maxDepth: number,
): LocatedObject | null {
  return scan(bytes, path, maxDepth, false);
}

/**
 * One member of the located object in one native step (issue 12: a fresh process spent 5-30 ms
 * stepping through a 10,000-tag document byte by byte in the interpreter): a key and an object value
 * at most two containers deep, with no backslash anywhere (so the key is not escaped and every
 * string ends at the next quote, exactly as the byte loop reads it). `TARGET` is the shape Notary
 * and TUF writers emit for a target (canonical JSON), twice as fast as the general `MEMBER`. Run
 * sticky at a member key of the located object; whatever neither matches (an escape, deeper
 * nesting, a scalar value, ...) takes the byte loop, so the result is the byte loop's by
 * construction. `TARGET` also takes a leading `custom` object of string members (TUF 1.0 targets as
 * registry-hosted trust writes them: `{"custom":{"mediaType":...},"hashes":...}`). The alternatives
 * of each repetition start with distinct characters, so a failed
 * match backtracks in linear time.
 */
const TARGET =
  /"[^"\\]*":\{(?:"custom":\{(?:"[^"\\]*":"[^"\\]*"(?:,"[^"\\]*":"[^"\\]*")*)?\},)?"hashes":\{"[^"\\]*":"[^"\\]*"(?:,"[^"\\]*":"[^"\\]*")*\},"length":[0-9]+\}/y;
const MEMBER = (() => {
  const str = '"[^"\\\\]*"';
  const flat = `(?:[^"{}\\[\\]\\\\]|${str})*`;
  const inner = `(?:[^"{}\\[\\]\\\\]|${str}|\\{${flat}\\}|\\[${flat}\\])*`;
  return new RegExp(`${str}[ \\t\\n\\r]*:[ \\t\\n\\r]*\\{${inner}\\}`, 'y');
})();

/** The end of the member whose key's quote is at `i` if `TARGET` or `MEMBER` matches there, else -1. */
function memberEnd(text: string, i: number): number {
  const t = stickyEnd(TARGET, text, i);
  return t >= 0 ? t : stickyEnd(MEMBER, text, i);
}

function stickyEnd(re: RegExp, text: string, i: number): number {
  re.lastIndex = i;
  try {
    return re.test(text) ? re.lastIndex : -1;
  } catch {
    return -1; // a backtracking stack overflow on a huge member: the byte loop reads it
  }
}

function scan(
  bytes: Uint8Array,
  path: readonly string[],
  maxDepth: number,
  fast: boolean,
): LocatedObject | null {
  const n = bytes.length;
  // the member fast path reads the bytes as latin1 text (one char per byte, same offsets); its
  // values nest two containers below the members
  const useMember = fast && maxDepth >= path.length + 3;
  let text: string | undefined;
  const target = path.length + 1; // depth of the located object's members
  // per depth: container is an object, and whether it is the path's container at that depth
  const isObject: boolean[] = [];
  const onPath: boolean[] = [];
  let depth = 0;
  let expectKey = false;
  let pendingMatch = false; // the key just read is the next path element
  let foundStart = -1;
  let foundEnd = -1;
  let keyStarts = new Int32Array(1024);
  let count = 0;
  let escapedKey = false;
  let nextBackslash = bytes.indexOf(BACKSLASH);
  if (nextBackslash < 0) nextBackslash = n;
  let i = 0;
  while (i < n) {
    const c = bytes[i]!;
    if (c === QUOTE) {
      if (useMember && expectKey && depth === target && onPath[depth]) {
        text ??= Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('latin1');
        let to = memberEnd(text, i);
        if (to >= 0) {
          // this member, and those that follow it as `,"key":{...}` (what the byte loop would read
          // the same way): one native match each, without the byte loop in between
          let at = i;
          do {
            if (count === keyStarts.length) {
              const grown = new Int32Array(count * 2);
              grown.set(keyStarts);
              keyStarts = grown;
            }
            keyStarts[count++] = at;
            i = to;
            at = i + 1;
            to = bytes[i] === 0x2c && bytes[at] === QUOTE ? memberEnd(text, at) : -1;
          } while (to >= 0);
          expectKey = false;
          pendingMatch = false;
          continue;
        }
      }
      let end = bytes.indexOf(QUOTE, i + 1);
      if (end < 0) return null;
      const escaped = nextBackslash < end;
      if (escaped) {
        end = stringEnd(bytes, i);
        if (end < 0) return null;
        end--; // the closing quote
        nextBackslash = bytes.indexOf(BACKSLASH, end + 1);
        if (nextBackslash < 0) nextBackslash = n;
      }
      if (expectKey && depth === target && onPath[depth]) {
        if (count === keyStarts.length) {
          const grown = new Int32Array(count * 2);
          grown.set(keyStarts);
          keyStarts = grown;
        }
        keyStarts[count++] = i;
        if (escaped) escapedKey = true;
        pendingMatch = false;
      } else if (expectKey && depth >= 1 && depth <= path.length && onPath[depth]) {
        const m = keyMatch(bytes, i + 1, end, path[depth - 1]!);
        if (m === 'fold') return null;
        pendingMatch = m === 'exact';
      } else {
        pendingMatch = false;
      }
      expectKey = false;
      i = end + 1;
      continue;
    }
    if (c === 0x7b || c === 0x5b) {
      const parentOnPath = depth === 0 ? true : onPath[depth] === true;
      const match = depth === 0 || (pendingMatch && parentOnPath);
      depth++;
      if (depth > maxDepth) return null;
      isObject[depth] = c === 0x7b;
      onPath[depth] = match && c === 0x7b && depth <= target;
      if (match && depth === target) {
        if (foundStart >= 0 || c !== 0x7b) return null; // the key twice, or not an object
        foundStart = i;
      }
      pendingMatch = false;
      expectKey = c === 0x7b;
    } else if (c === 0x7d || c === 0x5d) {
      if (depth === 0) return null;
      if (depth === target && onPath[depth] && foundStart >= 0 && foundEnd < 0) foundEnd = i + 1;
      depth--;
      expectKey = false;
      pendingMatch = false;
    } else if (c === 0x2c) {
      expectKey = isObject[depth] === true;
      pendingMatch = false;
    } else if (c !== 0x3a && !isSpace(c)) {
      // a scalar value: the key before it (if it was the path element) names no object
      if (pendingMatch && onPath[depth] && depth <= path.length) return null;
      pendingMatch = false;
    }
    i++;
  }
  if (depth !== 0 || foundEnd < 0) return null;
  return { start: foundStart, end: foundEnd, keyStarts, count, escapedKey };
}

/**
 * The span of member `key`'s value in a located object (`key`: its UTF-8 bytes), undefined when the
 * object has no such member, null in doubt (an escaped member key, or `key` twice). A native search
 * for `"key"` whose hits are kept only where a member key starts.
 */
export function memberValue(bytes: Uint8Array, obj: LocatedObject, key: Uint8Array): Span | undefined | null {
  if (obj.escapedKey) return null;
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  const needle = Buffer.alloc(key.length + 2, QUOTE);
  needle.set(key, 1);
  let hit = -1;
  for (let p = buf.indexOf(needle, obj.start); p >= 0 && p < obj.end; p = buf.indexOf(needle, p + 1)) {
    // binary search among the member key starts
    let lo = 0;
    let hi = obj.count - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const v = obj.keyStarts[mid]!;
      if (v === p) {
        if (hit >= 0) return null; // the key twice
        hit = mid;
        break;
      }
      if (v < p) lo = mid + 1;
      else hi = mid - 1;
    }
  }
  if (hit < 0) return undefined;
  let s = obj.keyStarts[hit]! + needle.length;
  while (s < obj.end && isSpace(bytes[s]!)) s++;
  if (bytes[s] !== 0x3a) return null;
  s++;
  while (s < obj.end && isSpace(bytes[s]!)) s++;
  let e: number;
  if (hit + 1 < obj.count) {
    e = obj.keyStarts[hit + 1]!;
    while (e > s && isSpace(bytes[e - 1]!)) e--;
    if (bytes[e - 1] !== 0x2c) return null;
    e--;
  } else {
    e = obj.end - 1; // the closing brace
  }
  while (e > s && isSpace(bytes[e - 1]!)) e--;
  return e > s ? { start: s, end: e } : null;
}
