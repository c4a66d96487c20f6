import { describe, expect, it } from 'vitest';
import { locateObject, memberValue } from './json-locate.js';

const enc = new TextEncoder();
const b = (s: string) => enc.encode(s);
const text = (bytes: Uint8Array, s: { start: number; end: number }) =>
  new TextDecoder().decode(bytes.subarray(s.start, s.end));

function lookup(json: string, key: string) {
  const bytes = b(json);
  const obj = locateObject(bytes, ['signed', 'targets'], 32);
  if (!obj) return null;
  const v = memberValue(bytes, obj, b(key));
  return v ? text(bytes, v) : v;
}

describe('locateObject / memberValue', () => {
  const doc =
    '{"signatures":[{"keyid":"k","sig":"\\"targets\\":{}"}],"signed":{"_type":"Targets","delegations":{"keys":{},"roles":[]},' +
    '"targets":{"a":{"hashes":{"sha256":"x"},"length":1},"b" : {"custom":{"a":{"length":9}},"length":2} , "c":[1,2]},"version":1}}';

  it('finds members of signed.targets only, whatever else spells the same text', () => {
    expect(lookup(doc, 'a')).toBe('{"hashes":{"sha256":"x"},"length":1}');
    expect(lookup(doc, 'b')).toBe('{"custom":{"a":{"length":9}},"length":2}');
    expect(lookup(doc, 'c')).toBe('[1,2]');
    expect(lookup(doc, 'length')).toBeUndefined();
    expect(lookup(doc, 'sha256')).toBeUndefined();
    expect(lookup(doc, 'd')).toBeUndefined();
  });

  it('is in doubt (null) where a strict parser could read the bytes otherwise', () => {
    // the path key twice, or folded (Go matches struct fields case-insensitively), or escaped
    expect(lookup('{"signed":{"targets":{"a":1},"targets":{"a":2}}}', 'a')).toBeNull();
    expect(lookup('{"signed":{"Targets":{"a":1}}}', 'a')).toBeNull();
    expect(lookup('{"signed":{"t\\u0061rgets":{"a":1}}}', 'a')).toBeNull();
    expect(lookup('{"signed":{"targets":"a"}}', 'a')).toBeNull();
    // a member twice, or a member key with an escape (it might spell the tag)
    expect(lookup('{"signed":{"targets":{"a":1,"a":2}}}', 'a')).toBeNull();
    expect(lookup('{"signed":{"targets":{"\\u0061":1}}}', 'a')).toBeNull();
    // unbalanced or nested too deep
    expect(lookup('{"signed":{"targets":{"a":1}}', 'a')).toBeNull();
    expect(locateObject(b('{"signed":{"targets":{"a":[[[[1]]]]}}}'), ['signed', 'targets'], 5)).toBeNull();
    expect(locateObject(b('{"signed":{"targets":{"a":[[1]]}}}'), ['signed', 'targets'], 5)).not.toBeNull();
  });

  it('handles whitespace, escapes in values, non-ASCII keys and the last member', () => {
    const pretty = '{\n "signed": {\n  "targets": {\n   "x\\"y": 0,\n   "é": { "length" : 3 } \n  }\n }\n}';
    expect(lookup(pretty, 'é')).toBeNull(); // an escaped key in the object: doubt for every lookup
    const plain = '{ "signed" : { "targets" : { "é" : { "length" : 3 } , "z":"\\\\" } } }';
    expect(lookup(plain, 'é')).toBe('{ "length" : 3 }');
    expect(lookup(plain, 'z')).toBe('"\\\\"');
  });

  it('a document without the path is null', () => {
    expect(lookup('{"signed":{"meta":{}}}', 'a')).toBeNull();
    expect(lookup('[]', 'a')).toBeNull();
  });
});
