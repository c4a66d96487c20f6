import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { olpcCanonicalJson, parseStrictJson } from './olpc.js';

/** The securesystemslib encoder without the native fast path (reference for the differential test). */
function reference(v: unknown): string {
  // olpcCanonicalJson of a value wrapped in an array whose first element defeats the fast path
  // (a lone surrogate is refused, so wrap the value instead in an object with an astral key, which
  // makes the fast path bail out on its surrogate check) and unwrap the text afterwards.
  const wrapped = olpcCanonicalJson({ '\u{1F600}': v });
  return wrapped.slice('{"\u{1F600}":'.length, -1);
}

describe('securesystemslib canonical JSON: native fast path', () => {
  it('gives exactly the general encoder text on arbitrary JSON (differential)', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), (v) => {
        const text = JSON.stringify(v);
        let parsed: unknown;
        try {
          parsed = parseStrictJson(Buffer.from(text, 'utf8'));
        } catch {
          return; // floats, -0 and lone surrogates are not canonical JSON
        }
        expect(olpcCanonicalJson(parsed)).toBe(reference(parsed));
      }),
      { numRuns: 300 },
    );
  });

  it('falls back to the general encoder for what the fast path cannot write the same way', () => {
    expect(olpcCanonicalJson({ b: 1, a: 12345678901234567890n })).toBe('{"a":12345678901234567890,"b":1}');
    expect(olpcCanonicalJson({ '\uE000': 1, '\u{1F600}': 2 })).toBe('{"\uE000":1,"\u{1F600}":2}');
    expect(() => olpcCanonicalJson({ a: '\uD800' })).toThrow(/lone surrogate/);
    expect(olpcCanonicalJson({ 10: 1, 2: 2, a: 'x"\\\n' })).toBe('{"10":1,"2":2,"a":"x\\"\\\\\n"}');
  });
});
