import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromBase64Std, isSha256Hex } from './util.js';

describe('isSha256Hex', () => {
  it('is /^[0-9a-f]{64}$/ without the expression', () => {
    const char = fc.constantFrom(
      ...'0123456789abcdef',
      'A',
      'F',
      'g',
      '/',
      ':',
      '`',
      '@',
      '\n',
      '\u0660',
      '\uff10',
    );
    const text = fc.oneof(
      fc
        .array(fc.constantFrom(...'0123456789abcdef'), { minLength: 63, maxLength: 65 })
        .map((c) => c.join('')),
      fc
        .tuple(
          fc.array(fc.constantFrom(...'0123456789abcdef'), { minLength: 64, maxLength: 64 }),
          fc.nat(63),
          char,
        )
        .map(([c, i, x]) => [...c.slice(0, i), x, ...c.slice(i + 1)].join('')),
      fc.array(char, { maxLength: 70 }).map((c) => c.join('')),
    );
    fc.assert(
      fc.property(text, (s) => {
        expect(isSha256Hex(s)).toBe(/^[0-9a-f]{64}$/.test(s));
      }),
      { numRuns: 20_000 },
    );
  });
});

describe('fromBase64Std', () => {
  // it checks the text with isStdBase64 where it used this expression (issue 12)
  const B64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
  function reference(s: string): Uint8Array | undefined {
    const t = s.includes('\n') || s.includes('\r') ? s.replace(/[\r\n]/g, '') : s;
    if (!B64.test(t)) return undefined;
    const b = Buffer.from(t, 'base64');
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  }
  it('decodes and refuses exactly what the expression-checked decoder did', () => {
    const char = fc.constantFrom(...'AZaz09+/=', '-', '_', ' ', '\n', '\r', '\u0000', '\u00c0', '\uff21');
    const text = fc.oneof(
      fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b).toString('base64')),
      fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 40 }), fc.nat(60), char).map(([b, i, c]) => {
        const s = Buffer.from(b).toString('base64');
        const at = i % s.length;
        return s.slice(0, at) + c + s.slice(at + 1);
      }),
      fc.array(char, { maxLength: 16 }).map((c) => c.join('')),
    );
    fc.assert(
      fc.property(text, (s) => {
        expect(fromBase64Std(s)).toEqual(reference(s));
      }),
      { numRuns: 20_000 },
    );
  });
});
