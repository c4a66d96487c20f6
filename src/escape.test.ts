import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NetworkError } from './errors.js';
import { escapeControl } from './escape.js';

describe('escapeControl (issue 8 item 11)', () => {
  it.each([
    ['\u001b[2KTRUSTED OK', '\\x1b[2KTRUSTED OK'],
    ['a\rb\nc\td\u0007', 'a\\rb\\nc\\td\\x07'],
    ['\u009b31m\u0085', '\\x9b31m\\x85'],
    ['\u007f', '\\x7f'],
    ['abc\u202Eexe.txt\u2066\u2069\u200F', 'abc\\u202eexe.txt\\u2066\\u2069\\u200f'],
    ['line\u2028sep', 'line\\u2028sep'],
    ['plain text, ünïcode ✓', 'plain text, ünïcode ✓'],
  ])('%j → %j', (input, want) => {
    expect(escapeControl(input)).toBe(want);
  });
  it('keeps the characters named in keep', () => {
    expect(escapeControl('a\n\tb\r', '\n\t')).toBe('a\n\tb\\r');
  });
  it('output has no control, C1 or bidi character, and escaping twice changes nothing', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 60 }), (s) => {
        const e = escapeControl(s);
        expect(e).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/);
        expect(escapeControl(e)).toBe(e);
      }),
    );
  });
});

describe('error messages (TrustError)', () => {
  it('carry no raw control character, whoever built them (library users print err.message too)', () => {
    const e = new NetworkError('SERVER_ERROR', 'answered 400 (\r\u001b[2KTRUSTED OK\u0007)');
    expect(e.message).toBe('answered 400 (\\r\\x1b[2KTRUSTED OK\\x07)');
    expect(JSON.stringify(e.toJSON())).toContain('\\\\x1b[2KTRUSTED OK');
  });
});
