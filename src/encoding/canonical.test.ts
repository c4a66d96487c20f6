import canonicalize from 'canonicalize';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalBytes, canonicalJson, canonicalJsonGeneral, inKeyOrder, sortedKeys } from './canonical.js';

describe('canonical JSON (docker/go canonical/json)', () => {
  it('sorts keys byte-wise, including integer-like keys', () => {
    expect(canonicalJson({ '10': 1, '2': 2, '1': 3, b: 4, a: 5 })).toBe('{"1":3,"10":1,"2":2,"a":5,"b":4}');
  });

  it('sorts by UTF-8 bytes, not UTF-16 units, outside the BMP', () => {
    // U+FF61 (EF BD A1) sorts before U+1F600 (F0 9F 98 80) in UTF-8, after it in UTF-16.
    const obj = { '\u{1F600}': 1, '\uFF61': 2 };
    expect(canonicalJson(obj)).toBe('{"\uFF61":2,"\u{1F600}":1}');
    expect(Object.keys(obj).sort()).toEqual(['\u{1F600}', '\uFF61']);
  });

  it('escapes only quote and backslash; writes control characters, <>& and U+2028 raw', () => {
    const s = 'a"b\\c\n\t\u0001<>&\u2028é日本';
    expect(canonicalJson(s)).toBe('"a\\"b\\\\c\n\t\u0001<>&\u2028é日本"');
  });

  it('writes integers only', () => {
    expect(canonicalJson([0, -0, 1, -5, 2 ** 53])).toBe('[0,0,1,-5,9007199254740992]');
    expect(() => canonicalJson(1.5)).toThrowError(/non-integer/);
    expect(() => canonicalJson(Number.NaN)).toThrowError(/unsupported number/);
    expect(() => canonicalJson(2 ** 64)).toThrowError(/int64/);
  });

  it('has no whitespace and keeps null, booleans and nested arrays', () => {
    expect(canonicalJson({ z: [true, false, null, { y: [] }], a: {} })).toBe(
      '{"a":{},"z":[true,false,null,{"y":[]}]}',
    );
  });

  it('encodes lone surrogates as U+FFFD bytes, as Go does', () => {
    expect(Buffer.from(canonicalBytes('\uD800')).toString('hex')).toBe('22efbfbd22');
  });

  it('agrees with RFC 8785 (canonicalize) where the two dialects coincide', () => {
    // Coincide: ASCII-printable strings without control chars, BMP-only keys, integers.
    const str = fc.string({ unit: fc.constantFrom(...'abcXYZ019 _-/:.@"\\<>&é'.split('')) });
    const leaf = fc.oneof(str, fc.integer(), fc.boolean(), fc.constant(null));
    const json = fc.letrec((tie) => ({
      value: fc.oneof({ depthSize: 'small' }, leaf, fc.array(tie('value')), fc.dictionary(str, tie('value'))),
    })).value;
    fc.assert(
      fc.property(json, (v) => {
        expect(canonicalJson(v)).toBe(canonicalize(v));
      }),
      { numRuns: 500 },
    );
  });

  it('sortedKeys matches a UTF-8 byte comparison for arbitrary keys', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'binary' }), { maxLength: 12 }), (keys) => {
        const obj = Object.fromEntries(keys.map((k, i) => [k, i]));
        const expected = Object.keys(obj).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
        expect(sortedKeys(obj).map((k) => Buffer.from(k).toString('hex'))).toEqual(
          expected.map((k) => Buffer.from(k).toString('hex')),
        );
      }),
      { numRuns: 500 },
    );
  });

  it('inKeyOrder copies an object with its keys in canonical order, own __proto__ and all', () => {
    const obj: Record<string, number> = { b: 1, '\u{1F600}': 2, a: 3, '\uFF61': 4, '10': 5, '2': 6 };
    Object.defineProperty(obj, '__proto__', {
      value: 7,
      enumerable: true,
      writable: true,
      configurable: true,
    });
    const copy = inKeyOrder(obj);
    // integer-like keys come first in any JavaScript object; the others in canonical (UTF-8) order
    expect(Object.keys(copy)).toEqual(['2', '10', '__proto__', 'a', 'b', '\uFF61', '\u{1F600}']);
    expect(Object.hasOwn(copy, '__proto__')).toBe(true);
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expect(canonicalJson(copy)).toBe(canonicalJson(obj));
    fc.assert(
      fc.property(fc.dictionary(fc.string({ unit: 'binary' }), fc.integer()), (o) => {
        const c = inKeyOrder(o);
        expect(c).not.toBe(o);
        const others = (x: object) =>
          Object.keys(x).filter((k) => !/^(0|[1-9]\d*)$/.test(k) || Number(k) >= 2 ** 32 - 1);
        expect(others(c)).toEqual(sortedKeys(o).filter((k) => others(o).includes(k)));
        for (const k of Object.keys(o)) expect(c[k]).toBe(o[k]);
        expect(canonicalJson(c)).toBe(canonicalJson(o));
      }),
      { numRuns: 300 },
    );
  });

  it('the native fast path equals a straightforward reference encoder on arbitrary JSON', () => {
    // Reference: Go's rules spelled out with no tricks.
    const ref = (v: unknown): string => {
      if (v === null) return 'null';
      if (typeof v === 'string') return `"${v.replace(/["\\]/g, '\\$&')}"`;
      if (typeof v === 'number' || typeof v === 'boolean') return String(v === 0 ? 0 : v);
      if (Array.isArray(v)) return `[${v.map(ref).join(',')}]`;
      const o = v as Record<string, unknown>;
      const keys = Object.keys(o).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
      return `{${keys.map((k) => `${ref(k)}:${ref(o[k])}`).join(',')}}`;
    };
    const key = fc.oneof(
      fc.string({ unit: 'grapheme' }),
      fc.integer({ min: 0, max: 30 }).map(String),
      fc.string(),
    );
    const json = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: 'small' },
        fc.string({ unit: 'binary' }),
        fc.integer(),
        fc.boolean(),
        fc.constant(null),
        fc.array(tie('value'), { maxLength: 14 }),
        fc.dictionary(key, tie('value')),
      ),
    })).value;
    fc.assert(
      fc.property(json, (v) => {
        const expected = Buffer.from(ref(v)).toString('hex');
        expect(Buffer.from(canonicalJson(v)).toString('hex')).toBe(expected);
        expect(Buffer.from(canonicalJsonGeneral(v)).toString('hex')).toBe(expected);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('canonical JSON: integer-like keys and hostile shapes', () => {
  const byteOrder = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));
  /** Reference: Go's rules spelled out with no tricks. */
  const ref = (v: unknown): string => {
    if (v === null) return 'null';
    if (typeof v === 'string') return `"${v.replace(/["\\]/g, '\\$&')}"`;
    if (typeof v === 'number' || typeof v === 'boolean') return String(v === 0 ? 0 : v);
    if (Array.isArray(v)) return `[${v.map(ref).join(',')}]`;
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort(byteOrder)
      .map((k) => `${ref(k)}:${ref(o[k])}`)
      .join(',')}}`;
  };
  const hex = (s: string) => Buffer.from(s).toString('hex');
  const sortDeep = (v: unknown): unknown => {
    if (typeof v !== 'object' || v === null) return v;
    if (Array.isArray(v)) return v.map(sortDeep);
    const o = v as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(o).sort(byteOrder))
      Object.defineProperty(out, k, {
        value: sortDeep(o[k]),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    return out;
  };

  it('merges integer-like keys into the native output in byte order', () => {
    const doc = JSON.parse(
      '{"1":"a","1.0":"b","10":{"9":1,"10":2,"x":3},"10-rc":4,"2":[{"3":0,"20":0}],"4294967295":5,"__proto__":6,"latest":{"k":7}}',
    ) as Record<string, unknown>;
    expect(Object.keys(doc).slice(0, 4)).toEqual(['1', '2', '10', '4294967295'].slice(0, 3).concat('1.0'));
    expect(canonicalJson(doc)).toBe(ref(doc));
    expect(canonicalJson(doc)).toBe(canonicalize(doc));
    // integer-like keys only, and after every other key
    expect(canonicalJson({ '2': [], '10': '' })).toBe('{"10":"","2":[]}');
    expect(canonicalJson(JSON.parse('{"0":1,"!":2,"#":3}'))).toBe('{"!":2,"#":3,"0":1}');
  });

  it('equals the reference encoder on documents full of integer-like and digit-led keys', () => {
    const key = fc.oneof(
      fc.integer({ min: 0, max: 40 }).map(String),
      fc.constantFrom(
        '4294967294',
        '4294967295',
        '01',
        '-1',
        '1.0',
        '1e3',
        '10-rc',
        '2a',
        '__proto__',
        '',
        '!',
      ),
      fc.string({ maxLength: 4 }),
    );
    const leaf = fc.oneof(
      fc.integer(),
      fc.string({ maxLength: 4 }),
      fc.constantFrom('\uDEAD', '"\\udead"', 'a\uDEAD', '\u{1F600}', 'x\ny'),
      fc.constant(null),
      fc.boolean(),
    );
    const json = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: 'small' },
        leaf,
        fc.array(tie('value'), { maxLength: 6 }),
        fc.dictionary(key, tie('value'), { maxKeys: 8 }),
      ),
    })).value;
    fc.assert(
      fc.property(json, fc.boolean(), (v, reparse) => {
        // reparse: keys inserted in canonical order, as in a document parsed from canonical bytes
        const doc = reparse ? sortDeep(v) : v;
        const expected = hex(ref(doc));
        expect(hex(canonicalJson(doc))).toBe(expected);
        expect(hex(canonicalJsonGeneral(doc))).toBe(expected);
      }),
      { numRuns: 1500 },
    );
  });

  it('writes integer-like keys in place wherever they sort: in front, between, after, alone, nested', () => {
    // each object is encoded in one native pass: the integer-like members are left out and merged
    // back in front of the first member that sorts after them; after all others: appended at the
    // top level, a nested object is encoded on its own
    const cases: [unknown, string][] = [
      [{ '2': 0, '10': 1, v1: 2 }, '{"10":1,"2":0,"v1":2}'],
      [
        JSON.parse('{"1":0,"2":0,"10":0,"1.0":1,"2.0":2,"latest":3}'),
        '{"1":0,"1.0":1,"10":0,"2":0,"2.0":2,"latest":3}',
      ],
      [{ x: { '!': 1, '5': 2 }, y: 1 }, '{"x":{"!":1,"5":2},"y":1}'],
      [{ a: { '2': 0, '10': 0 }, b: [{ '3': 0, '20': 0 }] }, '{"a":{"10":0,"2":0},"b":[{"20":0,"3":0}]}'],
      [{ a: { '0': { '1': { '2': {} } } } }, '{"a":{"0":{"1":{"2":{}}}}}'],
      // a member left out by JSON.stringify (undefined, a function) is no spot to merge in front of
      [{ '1': undefined, '10': () => 0, '2': 2, a: undefined, b: 1 }, '{"2":2,"b":1}'],
      [{ '1': 1, a: undefined }, '{"1":1}'],
      [{ '5': 1, a: undefined, b: () => 0 }, '{"5":1}'],
      // strings spelled like the placeholder (U+0000) or its escape, next to integer-like keys
      [
        { '1': '\\u0000', '10': '\\u0000', a: 'C:\\users' },
        '{"1":"\\\\u0000","10":"\\\\u0000","a":"C:\\\\users"}',
      ],
      [{ '1': '\u0000', a: 'x' }, '{"1":"\u0000","a":"x"}'],
      [{ '2': 0, '10': 0, '\u0000': '\u0000' }, '{"\u0000":"\u0000","10":0,"2":0}'],
      [{ '2': 0, '10': 0, a: '"\\u0000"' }, '{"10":0,"2":0,"a":"\\"\\\\u0000\\""}'],
    ];
    for (const [doc, expected] of cases) {
      expect(canonicalJson(doc)).toBe(expected);
      expect(canonicalJsonGeneral(doc)).toBe(expected);
    }
  });

  it('equals the reference encoder with integer-like keys among every kind of key, in any insertion order', () => {
    const present = (x: unknown) => x !== undefined && typeof x !== 'function';
    /** Go's rules with no tricks; undefined and functions are left out as JSON.stringify does. */
    const refAll = (v: unknown): string => {
      if (v === null) return 'null';
      if (typeof v === 'string') return `"${v.replace(/["\\]/g, '\\$&')}"`;
      if (typeof v === 'number' || typeof v === 'boolean') return String(v === 0 ? 0 : v);
      if (Array.isArray(v)) return `[${v.map((x) => (present(x) ? refAll(x) : 'null')).join(',')}]`;
      const o = v as Record<string, unknown>;
      return `{${Object.keys(o)
        .filter((k) => present(o[k]))
        .sort(byteOrder)
        .map((k) => `${refAll(k)}:${refAll(o[k])}`)
        .join(',')}}`;
    };
    const key = fc.oneof(
      fc.integer({ min: 0, max: 120 }).map(String),
      fc.constantFrom(
        '0',
        '00',
        '01',
        '4294967294',
        '4294967295',
        '9007199254740993',
        '-1',
        '1.5',
        '1e3',
        '',
        '!',
        ' ',
        '/',
        ':',
        '~',
        '\x7f',
        '\u0000',
        '\u{1F600}',
        '\u{10000}a',
        '\uFFFF',
        'é',
        '\uD800',
        'v1',
        'latest',
      ),
      fc.string({ maxLength: 3, unit: 'binary' }),
    );
    const leaf = fc.oneof(
      fc.integer(),
      fc.string({ maxLength: 3 }),
      fc.constantFrom('\u0000', '"\\u0000"', 'a\u0000', '\\u0000', '\uDEAD', '\u{1F600}', 'x\ny', undefined),
      fc.constant(null),
      fc.boolean(),
    );
    const json = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: 'small' },
        leaf,
        fc.array(tie('value'), { maxLength: 5 }),
        fc.dictionary(key, tie('value'), { maxKeys: 10 }),
      ),
    })).value;
    // a container at the top: an undefined leaf alone has no canonical JSON
    const root = fc.oneof(fc.dictionary(key, json, { maxKeys: 12 }), fc.array(json, { maxLength: 5 }));
    fc.assert(
      fc.property(root, fc.boolean(), (v, reparse) => {
        const doc = reparse ? sortDeep(v) : v;
        const expected = hex(refAll(doc));
        expect(hex(canonicalJson(doc))).toBe(expected);
        expect(hex(canonicalJsonGeneral(doc))).toBe(expected);
      }),
      { numRuns: 2000 },
    );
  });

  it('writes a large targets map with numeric tags as the general encoder does', () => {
    for (const tags of [
      ['1', '2', '10'],
      ['1', '1.0', '2', '10'],
      ['0', '!x', '4294967294'],
    ]) {
      const targets: Record<string, unknown> = {};
      for (const t of tags) targets[t] = { hashes: { sha256: t }, length: 1 };
      for (let i = 0; i < 3_000; i++) targets[`v${i}`] = { hashes: { sha256: String(i) }, length: i };
      const doc = { _type: 'Targets', expires: '2030-01-01T00:00:00Z', targets, version: 1 };
      const expected = canonicalJsonGeneral(doc);
      expect(canonicalJson(doc)).toBe(expected);
      // as parsed from canonical bytes: keys inserted in canonical order
      expect(canonicalJson(JSON.parse(expected))).toBe(expected);
    }
  });

  /** `levels` nested objects (each `{"9":0,"10":<next>,"a":0}`) around `inner`. */
  function nest(levels: number, inner: unknown, intKeys: boolean): unknown {
    let v = inner;
    for (let i = 0; i < levels; i++) v = intKeys ? { '9': 0, '10': v, a: 0 } : { a: v, b: 0 };
    return v;
  }
  const cpuMs = (f: () => void): number => {
    const t = process.cpuUsage();
    f();
    const d = process.cpuUsage(t);
    return (d.user + d.system) / 1000;
  };

  it('is linear: 500 levels around 400,000 numbers that defeat the native path cost well under 1 s', () => {
    // 0.1.0 retried the native path at every level under a failure: O(depth x size), over a minute
    const numbers = Array.from({ length: 400_000 }, (_, i) => i % 10);
    numbers.push(2 ** 60); // an integer JSON.stringify may not write as Go does: the native path gives up at the end
    for (const intKeys of [false, true]) {
      const doc = nest(500, numbers, intKeys);
      let out = '';
      const ms = cpuMs(() => {
        out = canonicalJson(doc);
      });
      expect(ms, `${ms} ms of CPU`).toBeLessThan(1000);
      expect(out).toContain(',1152921504606846976]');
      expect(out === canonicalJsonGeneral(doc)).toBe(true);
    }
  });

  it('refuses nesting deeper than maxDepth before walking the rest', () => {
    const numbers = Array.from({ length: 400_000 }, () => 1);
    const doc = nest(500, numbers, false);
    let err: unknown;
    const ms = cpuMs(() => {
      try {
        canonicalJson(doc, { maxDepth: 32 });
      } catch (e) {
        err = e;
      }
    });
    expect(err).toMatchObject({
      code: 'CANONICAL',
      message: expect.stringMatching(/nesting deeper than 32/),
    });
    expect(ms).toBeLessThan(1000);
    expect(() => canonicalJsonGeneral(doc, { maxDepth: 32 })).toThrowError(/nesting deeper than 32/);
    expect(() => canonicalJson(nest(3, [], true), { maxDepth: 3 })).toThrowError(/nesting deeper than 3/);
    expect(canonicalJson(nest(3, [], true), { maxDepth: 4 })).toBe(ref(nest(3, [], true)));
  });

  it('stays linear when integer-like keys sit at every level of a wide document', () => {
    const wide = (n: number) => {
      const o: Record<string, unknown> = {};
      for (let i = 0; i < n; i++) o[`k${i}`] = { '9': i, '10': [i], x: { '3': 0, '20': 1 } };
      return nest(50, o, true);
    };
    const small = wide(2_000);
    const big = wide(20_000);
    expect(canonicalJson(small)).toBe(canonicalJsonGeneral(small));
    const tSmall = cpuMs(() => canonicalJson(small));
    const tBig = cpuMs(() => canonicalJson(big));
    // 10x the input: well under 40x the time (a quadratic encoder takes ~100x)
    expect(tBig, `${tSmall} ms -> ${tBig} ms`).toBeLessThan(Math.max(40 * tSmall, 200));
  });
});
