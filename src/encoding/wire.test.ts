import { describe, expect, it } from 'vitest';
import { goJsonString, htmlEscapeCompact, wireJson } from './wire.js';

describe('wire bytes (Go json.Marshal of the envelope)', () => {
  it('HTML-escapes <, >, & and U+2028/U+2029 inside the raw signed JSON', () => {
    expect(htmlEscapeCompact('{"a<b":"x&y>z\u2028\u2029é"}')).toBe(
      '{"a\\u003cb":"x\\u0026y\\u003ez\\u2028\\u2029é"}',
    );
  });

  it('refuses raw control characters, which Go cannot marshal', () => {
    expect(() => htmlEscapeCompact('{"a":"\u0001"}')).toThrowError(/control character/);
  });

  it('writes signed first, then signatures with keyid, method, sig', () => {
    expect(wireJson('{"x":1}', [{ keyid: 'ab', method: 'ecdsa', sig: 'AA==' }])).toBe(
      '{"signed":{"x":1},"signatures":[{"keyid":"ab","method":"ecdsa","sig":"AA=="}]}',
    );
    expect(wireJson('{}', null)).toBe('{"signed":{},"signatures":null}');
    expect(wireJson('{}', [])).toBe('{"signed":{},"signatures":[]}');
  });

  it('encodes Go strings like encoding/json', () => {
    expect(goJsonString('a"\\\n\r\t\u0001<>&\u2028é\uD800')).toBe(
      '"a\\"\\\\\\n\\r\\t\\u0001\\u003c\\u003e\\u0026\\u2028é\\ufffd"',
    );
  });
});
