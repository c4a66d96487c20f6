import { describe, expect, it } from 'vitest';
import { locateObject, locateObjectPlain, memberValue } from './json-locate.js';

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

describe('locateObject member fast path', () => {
  const same = (json: string, depth = 32) => {
    const bytes = b(json);
    const fast = locateObject(bytes, ['signed', 'targets'], depth);
    const plain = locateObjectPlain(bytes, ['signed', 'targets'], depth);
    const view = (o: typeof fast) =>
      o && {
        start: o.start,
        end: o.end,
        keys: [...o.keyStarts.subarray(0, o.count)],
        escapedKey: o.escapedKey,
      };
    expect(view(fast)).toEqual(view(plain));
    return fast;
  };
  const entry = (h: string) => `{"hashes":{"sha256":"${h}","sha512":"y"},"length":12}`;

  it('reads the members the byte loop reads, in every shape it can meet', () => {
    const shapes = [
      `"t1":${entry('x')}`,
      '"t2" : { "hashes" : { "sha256" : "x" } , "length" : 1 }',
      '"t3":{"custom":{"a":[1,{"b":2}]},"hashes":{},"length":0}', // nested deeper than the pattern
      '"t4":{"custom":{"a":"{\\"}"},"length":1}', // an escape inside a value
      '"t5":[1,2]', // not an object
      '"t6":7',
      '"t\\u00377":{"length":1}', // an escaped key
      '"t8":{"hashes":{"sha256":"}{]["},"length":1}', // structural characters inside strings
      '"t9":{"a":[],"b":{},"c":[{}]}',
      '"é":{"length":3}',
      // TUF 1.0 entries with a custom object (the TARGET pattern's optional prefix), and near misses
      `"t10":{"custom":{"mediaType":"application/x"},${entry('x').slice(1)}`,
      `"t11":{"custom":{},${entry('x').slice(1)}`,
      `"t12":{"custom":{"a":"b","c":"}"},${entry('x').slice(1)}`,
      `"t13":{"custom":{"a":1},${entry('x').slice(1)}`,
      `"t14":{"custom":{"a":"b"},"length":1}`,
      `"t15":{"custom":{"a":"\\""},${entry('x').slice(1)}`,
    ];
    for (const s of shapes) {
      for (const t of shapes) {
        const obj = same(`{"signed":{"_type":"Targets","targets":{${s},${t}},"version":1},"signatures":[]}`);
        expect(obj).not.toBeNull();
      }
    }
    // the located object and its keys are the same with or without the fast path, null included
    expect(same('{"signed":{"targets":{"a":{"b":{}}}}}', 4)).toBeNull(); // the limit counts its depth
    expect(same('{"signed":{"targets":{"a":{"b":{}}}}}', 5)).not.toBeNull();
    same('{"signed":{"targets":{"a":{"b":{"c":{}}}}}}', 5);
    same('{"signed":{"targets":{"a":{"b":{"c":{}}}}}}', 6);
    same('{"signed":{"targets":{"a":{"b":{}},"a":{}}}}');
    same('{"signed":{"targets":{"a":{"b":{}}');
    same('{"signed":{"targets":{"a":{"b":"}');
  });

  it('finds every tag of a large canonical document', () => {
    const n = 2000;
    const custom = (i: number) =>
      i % 3 === 0 ? `{"custom":{"mediaType":"m${i}"},${entry(String(i)).slice(1)}` : entry(String(i));
    const members = Array.from({ length: n }, (_, i) => `"v${i}":${custom(i)}`);
    const json = `{"signed":{"_type":"Targets","targets":{${members.join(',')}},"version":2},"signatures":[]}`;
    const obj = same(json);
    expect(obj!.count).toBe(n);
    const bytes = b(json);
    expect(text(bytes, memberValue(bytes, obj!, b('v1234'))!)).toBe(entry('1234'));
    expect(text(bytes, memberValue(bytes, obj!, b('v1233'))!)).toBe(custom(1233));
  });
});
