import { describe, expect, it } from 'vitest';
import { MAX_JSON_DEPTH, olpcCanonicalJson, parseStrictJson } from './olpc.js';

const parse = (s: string) => parseStrictJson(Buffer.from(s, 'utf8'));

describe('securesystemslib canonical JSON', () => {
  it('matches encode_canonical on hand-checked cases', () => {
    // python: encode_canonical({"b": [1, "x\"\\\n"], "a": None, "é": True, "😀": 1, "\ue000": 2})
    expect(olpcCanonicalJson(parse('{"b":[1,"x\\"\\\\\\n"],"a":null,"é":true,"😀":1,"\\ue000":2}'))).toBe(
      '{"a":null,"b":[1,"x\\"\\\\\n"],"é":true,"\ue000":2,"😀":1}',
    );
    expect(olpcCanonicalJson(parse('{"big": 123456789012345678901234567890, "neg": -5}'))).toBe(
      '{"big":123456789012345678901234567890,"neg":-5}',
    );
  });

  it('refuses what python-tuf would read differently or not sign', () => {
    expect(() => parse('{"a":1,"a":2}')).toThrow(/duplicate key/);
    expect(() => parse('{"a":1.0}')).toThrow(/only integers/);
    expect(() => parse('{"a":1e3}')).toThrow(/only integers/);
    expect(() => parse('{"a":NaN}')).toThrow(/unexpected/);
    expect(() => parse('{"a":"\\ud800"}')).toThrow(/lone surrogate/);
    expect(() => parseStrictJson(Buffer.from('\ufeff{}', 'utf8'))).toThrow(/byte order mark/);
    expect(() => parseStrictJson(Buffer.from([0x7b, 0xff, 0x7d]))).toThrow(/UTF-8/);
    expect(() => parse('{"a":1} x')).toThrow(/trailing/);
    expect(() => olpcCanonicalJson({ a: 0.5 })).toThrow(/non-integer/);
  });

  it('caps nesting depth in both directions, linearly', () => {
    const deep = `${'['.repeat(MAX_JSON_DEPTH + 1)}${']'.repeat(MAX_JSON_DEPTH + 1)}`;
    expect(() => parse(deep)).toThrow(/nesting deeper/);
    const ok = `${'['.repeat(MAX_JSON_DEPTH)}${']'.repeat(MAX_JSON_DEPTH)}`;
    expect(olpcCanonicalJson(parse(ok))).toBe(ok);
    let v: unknown = 1;
    for (let i = 0; i < 10_000; i++) v = [v];
    expect(() => olpcCanonicalJson(v)).toThrow(/nesting deeper/);
    // a wide document is encoded in one pass
    const wide = parse(`{"a":[${Array.from({ length: 50_000 }, (_, i) => i).join(',')}]}`);
    expect(olpcCanonicalJson(wide).length).toBeGreaterThan(250_000);
  });
});
