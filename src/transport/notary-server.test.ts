import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

describe('GUN path encoding', () => {
  // encodeGunPath keeps `:` with replaceAll('%3A', ':') where it used /%3A/gi (issue 12): the same
  // because encodeURIComponent writes every escape as `%` and two upper-case hex digits
  it('a string search for %3A finds exactly what /%3A/gi found in encodeURIComponent output', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 30 }), (seg) => {
        let enc: string;
        try {
          enc = encodeURIComponent(seg);
        } catch {
          return; // a lone surrogate: encodeGunPath throws the same URIError either way
        }
        expect(enc.replaceAll('%3A', ':')).toBe(enc.replace(/%3A/gi, ':'));
      }),
      { numRuns: 20_000 },
    );
    for (const seg of ['a:b', '%3a', '%3A', ':%:', 'x%253Ay']) {
      const enc = encodeURIComponent(seg);
      expect(enc.replaceAll('%3A', ':')).toBe(enc.replace(/%3A/gi, ':'));
    }
  });
});
