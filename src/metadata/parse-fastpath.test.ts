import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { allStdBase64, isStdBase64, parseTargetEntry, parseTargets } from './parse.js';

/**
 * parseMetadata checks the usual target entry on a fast path (plainFileMeta) and falls back to
 * parseFileMeta; parseTargetEntry always takes parseFileMeta. For any entry text, both must accept the
 * same entries with the same value, and refuse the rest with the same message (except a repeated key,
 * which both refuse, each naming its own scope).
 */
const B64_REFERENCE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const VALID_HASH = '"n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg="';
const VALID = `{"hashes":{"sha256":${VALID_HASH}},"length":3}`;

const key = fc.constantFrom(
  'length',
  'hashes',
  'custom',
  'Length',
  'HASHES',
  'hashe\u017f', // ſ folds to s in Go
  'extra',
  '__proto__',
);
const b64 = fc.oneof(
  { weight: 4, arbitrary: fc.constant('"n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg="') },
  fc.constantFrom('"n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg="', '""', '"AA=="', '"AAA="', '"A==="'),
  fc
    .string({ unit: fc.constantFrom('A', 'z', '9', '+', '/', '=', '-', '_', 'é', ' '), maxLength: 12 })
    .map((s) => JSON.stringify(s)),
  fc.constantFrom('1', 'null', '[]', '{}'),
);
const hashes = fc.oneof(
  { weight: 4, arbitrary: fc.constant(`{"sha256":${VALID_HASH}}`) },
  fc
    .array(fc.tuple(fc.constantFrom('sha256', 'sha512', 'SHA256', '__proto__'), b64), { maxLength: 3 })
    .map((ms) => `{${ms.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`),
  fc.constantFrom('null', '[]', '"x"', '1'),
);
const value = (k: string) =>
  k.toLowerCase().startsWith('hash')
    ? hashes
    : fc.oneof(
        { weight: 4, arbitrary: fc.constantFrom('0', '3') },
        fc.constantFrom('-1', '9007199254740993', '"3"', 'null', '{}', '{"a":[1]}', 'true'),
      );
const entry = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.array(
      key.chain((k) => value(k).map((v) => `${JSON.stringify(k)}:${v}`)),
      { maxLength: 4 },
    ),
  },
  { weight: 1, arbitrary: fc.constantFrom('null', '[]', '"x"', '7').map((s) => [s]) },
);
const entryText = (members: string[]) =>
  members.length === 1 && !members[0]?.includes(':') ? (members[0] as string) : `{${members.join(',')}}`;

type Outcome = { ok: true; value: unknown } | { ok: false; error: string };
function outcome(f: () => unknown): Outcome {
  try {
    return { ok: true, value: f() };
  } catch (e) {
    return { ok: false, error: (e as Error).message };
  }
}

describe('target entries: fast path and checked path agree', () => {
  it('same acceptance, value and message for generated entries', () => {
    fc.assert(
      fc.property(entry, fc.boolean(), (members, before) => {
        const text = entryText(members);
        const targets = before ? `{"a":${VALID},"t":${text}}` : `{"t":${text},"z":${VALID}}`;
        const doc = `{"signed":{"_type":"Targets","delegations":{"keys":{},"roles":[]},"expires":"2030-01-01T00:00:00Z","targets":${targets},"version":1},"signatures":[]}`;
        const whole = outcome(() => parseTargets(Buffer.from(doc)).signed.targets.t);
        const one = outcome(() => parseTargetEntry(Buffer.from(text), 'targets', 't'));
        expect(whole.ok).toBe(one.ok);
        if (whole.ok && one.ok) {
          expect(whole.value).toStrictEqual(one.value);
          expect(Object.keys(whole.value as object)).toEqual(Object.keys(one.value as object));
        } else if (!whole.ok && !one.ok && !one.error.includes('same key twice')) {
          expect(whole.error).toBe(one.error);
        }
      }),
      { numRuns: 2000 },
    );
  });

  // A document without a backslash has its usual entries' hashes checked in batches (allStdBase64);
  // one escaped name more, last in the map, turns that off: the two documents must get the same
  // verdict on the other entries, and a refusal the same message (the first bad entry in order).
  it('batched hash checks: same acceptance, value and message as one by one', () => {
    // mostly usual entries (the batched ones), with hashes of 4n characters that may be bad
    const hash = fc
      .string({ unit: fc.constantFrom('A', 'z', '+', '/', '=', '-', 'é', ','), minLength: 4, maxLength: 8 })
      .filter((h) => h.length % 4 === 0);
    const usual = fc
      .array(fc.tuple(fc.constantFrom('sha256', 'sha512'), fc.oneof(fc.constant('AAAA'), hash)), {
        minLength: 1,
        maxLength: 2,
      })
      .map((hs) => [
        `"hashes":{${hs.map(([a, h]) => `"${a}":${JSON.stringify(h)}`).join(',')}}`,
        '"length":3',
      ]);
    const named = fc.array(fc.oneof({ weight: 3, arbitrary: usual }, entry), { minLength: 1, maxLength: 6 });
    fc.assert(
      fc.property(named, (entries) => {
        const members = entries.map((m, i) => `"t${i}":${entryText(m)}`);
        const doc = (extra?: string) =>
          `{"signed":{"_type":"Targets","delegations":{"keys":{},"roles":[]},"expires":"2030-01-01T00:00:00Z","targets":{${[...members, ...(extra ? [extra] : [])].join(',')}},"version":1},"signatures":[]}`;
        const batched = outcome(() => parseTargets(Buffer.from(doc())).signed.targets);
        const single = outcome(() => parseTargets(Buffer.from(doc(`"z\\u007a":${VALID}`))).signed.targets);
        expect(batched.ok).toBe(single.ok);
        if (batched.ok && single.ok) {
          const { zz: _, ...rest } = single.value as Record<string, unknown>;
          expect(batched.value).toStrictEqual(rest);
        } else if (!batched.ok && !single.ok) {
          expect(batched.error).toBe(single.error);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('batched hash checks: the first bad hash in document order is reported', () => {
    const t = (h: string) => `{"hashes":{"sha256":${h}},"length":1}`;
    const doc = `{"signed":{"_type":"Targets","expires":"2030-01-01T00:00:00Z","targets":{"a":${VALID},"b":${t('"AA=A"')},"c":{"custom":null,"hashes":{"sha256":"A"},"length":1},"d":${t('"AA=A"')}},"version":1},"signatures":[]}`;
    expect(() => parseTargets(Buffer.from(doc))).toThrow(
      'targets: targets."b".hashes.sha256: must be standard base64',
    );
    const last = `{"signed":{"_type":"Targets","expires":"2030-01-01T00:00:00Z","targets":{"a":${VALID},"b":${VALID},"y":${t('"A==="')}},"version":1},"signatures":[]}`;
    expect(() => parseTargets(Buffer.from(last))).toThrow(
      'targets: targets."y".hashes.sha256: must be standard base64',
    );
  });

  it('a valid entry named __proto__ stays an own entry', () => {
    const doc = `{"signed":{"_type":"Targets","expires":"2030-01-01T00:00:00Z","targets":{"__proto__":${VALID},"b":{"custom":null,"hashes":{},"length":0}},"version":1},"signatures":[]}`;
    const t = parseTargets(Buffer.from(doc)).signed.targets;
    expect(Object.hasOwn(t, '__proto__')).toBe(true);
    expect(Object.getPrototypeOf(t)).toBe(Object.prototype);
    expect(t.b).toStrictEqual({ hashes: {}, length: 0 });
  });
});

describe('isStdBase64', () => {
  it('matches the reference regular expression', () => {
    const unit = fc.constantFrom(
      'A',
      'z',
      '0',
      '9',
      '+',
      '/',
      '=',
      '-',
      '_',
      '\n',
      '\u0080',
      'é',
      '\u{1F600}',
    );
    fc.assert(
      fc.property(fc.string({ unit, maxLength: 14 }), (s) => {
        expect(isStdBase64(s)).toBe(B64_REFERENCE.test(s));
      }),
      { numRuns: 5000 },
    );
    for (const s of ['', 'AA==', 'AAA=', 'AAAA', '====', 'A===', 'AA=A', 'AAAAA'])
      expect(isStdBase64(s)).toBe(B64_REFERENCE.test(s));
  });

  it('allStdBase64 of strings of lengths 4n without `"` is isStdBase64 of each', () => {
    const unit = fc.constantFrom(
      'A',
      'z',
      '0',
      '9',
      '+',
      '/',
      '=',
      '=',
      '-',
      '_',
      '\n',
      ',',
      'é',
      '\u{1F600}',
    );
    const item = fc.string({ unit, maxLength: 12 }).filter((s) => s.length % 4 === 0);
    fc.assert(
      fc.property(fc.array(item, { maxLength: 5 }), (list) => {
        expect(allStdBase64(list)).toBe(list.every(isStdBase64));
        for (const slice of [1, 2, 3]) expect(allStdBase64(list, slice)).toBe(list.every(isStdBase64));
      }),
      { numRuns: 5000 },
    );
    for (const list of [
      [],
      [''],
      ['AA==', 'AAAA'],
      ['AA==', '=AAA'],
      ['AAA=', 'A==='],
      ['AA=A'],
      ['AAAA', '===='],
    ])
      expect(allStdBase64(list)).toBe(list.every(isStdBase64));
  });
});
