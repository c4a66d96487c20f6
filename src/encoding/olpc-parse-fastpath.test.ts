import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type JsonValue,
  MAX_JSON_DEPTH,
  olpcCanonicalBytes,
  parseStrictJsonDocument,
  parseStrictJsonSlow,
} from './olpc.js';

/** Same value: same types, same bigint/number split, same key order, same (null) prototypes. */
function same(a: unknown, b: unknown): boolean {
  if (typeof a !== typeof b) return false;
  if (typeof a !== 'object' || a === null || b === null) return Object.is(a, b);
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  if (Array.isArray(a)) {
    const y = b as unknown[];
    return a.length === y.length && a.every((v, i) => same(v, y[i]));
  }
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  const kx = Object.keys(x);
  const ky = Object.keys(y);
  return kx.length === ky.length && kx.every((k, i) => k === ky[i] && same(x[k], y[k]));
}

type Outcome = { ok: true; value: JsonValue; canonical?: Uint8Array } | { ok: false; error: string };

function fast(bytes: Uint8Array, depth: number): Outcome {
  try {
    const d = parseStrictJsonDocument(bytes, 'doc', depth);
    return { ok: true, value: d.value, canonical: d.canonicalSigned };
  } catch (e) {
    return { ok: false, error: String(e) };
  }
}

function slow(bytes: Uint8Array, depth: number): Outcome {
  try {
    return { ok: true, value: parseStrictJsonSlow(bytes, 'doc', depth) };
  } catch (e) {
    return { ok: false, error: String(e) };
  }
}

const stats = { fastCanonical: 0, accepted: 0, refused: 0 };

/** The fast path and the strict parser agree; a claimed canonical span is the canonical encoding. */
function agree(bytes: Uint8Array, depth = MAX_JSON_DEPTH): void {
  const f = fast(bytes, depth);
  const s = slow(bytes, depth);
  expect(f.ok).toBe(s.ok);
  if (!f.ok || !s.ok) {
    stats.refused++;
    expect(f).toEqual(s); // the same precise error
    return;
  }
  stats.accepted++;
  expect(same(f.value, s.value)).toBe(true);
  if (f.canonical) {
    stats.fastCanonical++;
    const signed = (f.value as Record<string, JsonValue>).signed;
    expect(Buffer.from(f.canonical).equals(Buffer.from(olpcCanonicalBytes(signed)))).toBe(true);
  }
}

/** JSON.stringify with keys in code point order (the form our writer serves). */
function sortedStringify(v: unknown, indent?: number): string {
  return JSON.stringify(
    v,
    (_k, x) => {
      if (typeof x !== 'object' || x === null || Array.isArray(x)) return x;
      const keys = Object.keys(x).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
      return Object.fromEntries(keys.map((k) => [k, (x as Record<string, unknown>)[k]]));
    },
    indent,
  );
}

/** Snippets that, spliced in anywhere, reach the strict grammar's corners. */
const SNIPPETS = [
  ' ',
  '\n',
  '\t',
  '\r',
  '1.5',
  '.0',
  'e5',
  'E-1',
  '-0',
  '-',
  '0',
  '01',
  '"\\ud800"',
  '"\\udc00x"',
  '\\uDBFF',
  '"\\ud83d\\ude00"',
  '\\u00e9',
  '\\u0000',
  '\\/',
  '\\"',
  '\\\\',
  '\\x',
  '12345678901234567890',
  '9007199254740993',
  '999999999999999',
  '1000000000000000',
  '-9007199254740991',
  '{',
  '}',
  '[',
  ']',
  ',',
  ':',
  '"a":1,',
  '"signed":{},',
  '"__proto__":{},',
  'true',
  'nul',
  'NaN',
  '\u0001',
  '\u2028',
  '😀',
  '\ufeff',
];

const mutated = (text: string) =>
  fc
    .array(
      fc.tuple(
        fc.nat(),
        fc.oneof(fc.constantFrom(...SNIPPETS), fc.constant(''), fc.string({ maxLength: 3 })),
      ),
      { maxLength: 3 },
    )
    .map((edits) => {
      let t = text;
      for (const [at, snippet] of edits) {
        const i = at % (t.length + 1);
        // an empty snippet deletes the character there
        t = snippet === '' ? t.slice(0, i) + t.slice(i + 1) : t.slice(0, i) + snippet + t.slice(i);
      }
      return t;
    });

/** A document like metadata: {signatures, signed} around an arbitrary value, in several spellings. */
const documents = fc
  .tuple(fc.jsonValue({ maxDepth: 5 }), fc.constantFrom('sorted', 'plain', 'indented', 'bare'))
  .map(([v, form]) => {
    const doc = form === 'bare' ? v : { signatures: [{ keyid: 'ab', sig: 'cd' }], signed: v };
    if (form === 'sorted') return sortedStringify(doc);
    if (form === 'indented') return sortedStringify(doc, 1);
    return JSON.stringify(doc);
  });

/** Objects written by hand, possibly with a repeated key (where JSON.parse keeps the last). */
const withDuplicates = fc
  .tuple(
    fc.uniqueArray(fc.string({ maxLength: 4 }), { minLength: 1, maxLength: 5 }),
    fc.nat(),
    fc.boolean(),
    fc.boolean(),
  )
  .map(([keys, pick, dup, nested]) => {
    const entries = keys.map((k, i) => `${JSON.stringify(k)}:${i}`);
    if (dup) entries.push(`${JSON.stringify(keys[pick % keys.length])}:${JSON.stringify('again')}`);
    const obj = `{${entries.join(',')}}`;
    return nested ? `{"signatures":[],"signed":{"targets":${obj},"v":1}}` : obj;
  });

describe('strict JSON parser: native fast path', () => {
  it('agrees with the strict parser on arbitrary documents (differential)', () => {
    fc.assert(
      fc.property(documents, (text) => agree(Buffer.from(text, 'utf8'))),
      { numRuns: 400 },
    );
  });

  it('agrees with the strict parser on mutated documents (differential)', () => {
    fc.assert(
      fc.property(
        documents.chain((t) => mutated(t)),
        (text) => agree(Buffer.from(text, 'utf8')),
      ),
      { numRuns: 1500 },
    );
  });

  it('agrees with the strict parser on duplicate keys', () => {
    fc.assert(
      fc.property(withDuplicates, (text) => agree(Buffer.from(text, 'utf8'))),
      { numRuns: 300 },
    );
  });

  it('agrees with the strict parser at every depth limit', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 70 }),
        fc.integer({ min: 1, max: 70 }),
        fc.boolean(),
        (n, cap, obj) => {
          const open = obj ? '{"a":' : '[';
          const close = obj ? '}' : ']';
          agree(Buffer.from(`${open.repeat(n - 1)}[]${close.repeat(n - 1)}`, 'utf8'), cap);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('agrees with the strict parser on arbitrary and corrupted bytes', () => {
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 40 }),
      documents.chain((t) =>
        fc
          .tuple(fc.nat(), fc.constantFrom(0x80, 0xff, 0xc0, 0xed, 0xf4, 0x00, 0x22, 0x5c))
          .map(([at, byte]) => {
            const b = Buffer.from(t, 'utf8');
            if (b.length > 0) b[at % b.length] = byte;
            return b;
          }),
      ),
    );
    fc.assert(
      fc.property(bytes, (b) => agree(b)),
      { numRuns: 600 },
    );
  });

  it('took the fast path and proved canonical spans in those runs (the tests above are not vacuous)', () => {
    expect(stats.fastCanonical).toBeGreaterThan(10);
    expect(stats.accepted).toBeGreaterThan(200);
    expect(stats.refused).toBeGreaterThan(200);
  });

  it('refuses each strict-grammar corner the native parser would accept', () => {
    const cases: [string, RegExp][] = [
      ['{"a":1,"a":2}', /duplicate key "a"/],
      ['{"signatures":[],"signed":{"b":1,"a":2,"b":3}}', /duplicate key "b"/],
      ['{"__proto__":1,"__proto__":2}', /duplicate key "__proto__"/],
      ['{"a":1.0}', /only integers/],
      ['{"a":1e3}', /only integers/],
      ['{"a":-0}', /-0/],
      ['{"a":"\\ud800"}', /lone surrogate/],
      ['{"a":"x\\udfff"}', /lone surrogate/],
      ['\ufeff{}', /byte order mark/],
    ];
    for (const [text, message] of cases) {
      expect(() => parseStrictJsonDocument(Buffer.from(text, 'utf8'))).toThrow(message);
      agree(Buffer.from(text, 'utf8'));
    }
    expect(() => parseStrictJsonDocument(Buffer.from([0x22, 0xed, 0xa0, 0x80, 0x22]))).toThrow(/UTF-8/);
    const deep = `${'['.repeat(MAX_JSON_DEPTH + 1)}${']'.repeat(MAX_JSON_DEPTH + 1)}`;
    expect(() => parseStrictJsonDocument(Buffer.from(deep))).toThrow(/nesting deeper/);
  });

  it('keeps integers beyond 2^53 exact and objects without a prototype', () => {
    const d = parseStrictJsonDocument(Buffer.from('{"n":[9007199254740993,123456789012345,-5],"o":{}}'));
    expect(d.value).toEqual({ n: [9007199254740993n, 123456789012345, -5], o: {} });
    const v = parseStrictJsonDocument(Buffer.from('{"signatures":[],"signed":{"a":{"b":1}}}'))
      .value as Record<string, Record<string, unknown>>;
    expect(Object.getPrototypeOf(v)).toBe(null);
    expect(Object.getPrototypeOf(v.signed!.a)).toBe(null);
    expect(v.signed!.constructor).toBeUndefined();
  });

  it('hands out the served bytes of signed only when they are canonical', () => {
    const span = (t: string) => {
      const c = parseStrictJsonDocument(Buffer.from(t, 'utf8')).canonicalSigned;
      return c === undefined ? undefined : Buffer.from(c).toString('utf8');
    };
    expect(span('{"signatures":[],"signed":{"a":[1,"x\\"y"],"b":{"c":null},"é":true}}')).toBe(
      '{"a":[1,"x\\"y"],"b":{"c":null},"é":true}',
    );
    expect(span('{"signatures": [], "signed": {"a":1}}')).toBe('{"a":1}'); // whitespace outside signed
    expect(span('{"signed":{"a": 1}}')).toBeUndefined(); // whitespace
    expect(span('{"signed":{"b":1,"a":2}}')).toBeUndefined(); // unsorted
    expect(span('{"signed":{"a":"\\n"}}')).toBeUndefined(); // canonical form writes it raw
    expect(span('{"signed":{"a":"\\u00e9"}}')).toBeUndefined(); // canonical form writes it raw
    expect(span('{"signed":{"a\\"":1,"a#":2}}')).toBeUndefined(); // escaped key: order unproven
    expect(span('{"signed":[{"a":1}]}')).toBeUndefined(); // not an object
    expect(span('{"x":{"signed":{"a":1}}}')).toBeUndefined(); // not top-level
  });
});
