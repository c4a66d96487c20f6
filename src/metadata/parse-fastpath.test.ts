import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isStdBase64, parseTargetEntry, parseTargets } from './parse.js';

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
});
