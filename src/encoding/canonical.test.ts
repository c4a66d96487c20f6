import canonicalize from 'canonicalize';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalBytes, canonicalJson, canonicalJsonGeneral, sortedKeys } from './canonical.js';

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
