/**
 * Differential test of the byte scan (json-scan.ts) against its byte-by-byte predecessor
 * (test/support/json-scan-reference.ts): the scan fast-forwards over the usual targets entries with a
 * sticky regular expression and searches its latin1 text natively (issue 12: a first call ran ~160,000
 * unoptimised loop turns over a 10,000-tag targets document). Both must give every input the same
 * problem, member count, flags and proven span of `signed`, over generated targets documents full of
 * near misses of the usual entry and over mutations of them.
 */

import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { referenceScanJson } from '../../test/support/json-scan-reference.js';
import { scanJson } from './json-scan.js';

/** Raw JSON text pieces: valid, canonical, and every corner the scan treats on its own. */
const KEY = fc.oneof(
  { weight: 6, arbitrary: fc.stringMatching(/^[a-z0-9._-]{1,6}$/) },
  fc.constantFrom('', 'a', 'hashes', 'length', 'custom', '\\u0074', '\\"', '\\\\', 'é', '😀', '\\ud800'),
  fc.string({ maxLength: 3 }).map((s) => s.replace(/["\\]/g, '')),
);
const HASH = fc.oneof(
  { weight: 6, arbitrary: fc.base64String({ minLength: 44, maxLength: 44 }) },
  { weight: 3, arbitrary: fc.base64String({ minLength: 88, maxLength: 88 }) },
  { weight: 2, arbitrary: fc.base64String({ minLength: 4, maxLength: 92 }) },
  fc.constantFrom('', '=', 'a\\"b', '\\u00e9', '\\n', '\\ud800', 'é', '{', '}', ':', ',', '\\\\'),
);
const LENGTH = fc.oneof(
  { weight: 6, arbitrary: fc.nat().map(String) },
  fc.constantFrom('0', '-0', '-1', '1.5', '1e5', '1E5', '00', '123456789012345', '1234567890123456'),
  fc.stringMatching(/^[0-9]{14,18}$/),
);
const SPACE = fc.constantFrom('', '', '', '', ' ', '\n');

/** One targets entry value: the usual shapes, and near misses of them. */
const ENTRY = fc
  .tuple(
    fc.constantFrom(
      ...['sha256', 'sha256', 'sha256', 'sha256+512', 'sha256+512'],
      ...['sha512', 'sha256+custom', 'swapped', 'extra', 'nested'],
    ),
    HASH,
    HASH,
    LENGTH,
    SPACE,
  )
  .map(([shape, h1, h2, len, sp]) => {
    switch (shape) {
      case 'sha256':
        return `{"hashes":{"sha256":"${h1}"},${sp}"length":${len}}`;
      case 'sha256+512':
        return `{"hashes":{"sha256":"${h1}","sha512":"${h2}"},"length":${len}${sp}}`;
      case 'sha512':
        return `{"hashes":{"sha512":"${h2}"},"length":${len}}`;
      case 'sha256+custom':
        return `{"custom":{"a":${len}},"hashes":{"sha256":"${h1}"},"length":${len}}`;
      case 'swapped':
        return `{"length":${len},"hashes":{"sha256":"${h1}"}}`;
      case 'extra':
        return `{"hashes":{"sha256":"${h1}"},"length":${len},"z":[]}`;
      default:
        return `{"hashes":{"sha256":{"sha256":"${h1}"}},"length":${len}}`;
    }
  });

/** A Notary targets document around generated entries (keys as generated: maybe unsorted or equal). */
const TARGETS_DOC = fc
  .tuple(fc.array(fc.tuple(KEY, ENTRY), { maxLength: 8 }), fc.boolean(), SPACE)
  .map(
    ([entries, sorted, sp]) =>
      `{"signed":{"_type":"Targets","delegations":{"keys":{},"roles":[]},"expires":"2030-01-01T00:00:00Z","targets":{${(sorted
        ? [...entries].sort(([a], [b]) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
        : entries
      )
        .map(([k, v]) => `"${k}":${v}`)
        .join(`,${sp}`)}},"version":2},"signatures":[{"keyid":"ab","method":"eddsa","sig":"AA=="}]}`,
  );

const SNIPPETS = [
  ' ',
  '\n',
  '{',
  '}',
  '[',
  ']',
  ',',
  ':',
  '"',
  '\\',
  '.',
  'e',
  '-0',
  '1',
  '\\u0074',
  '\\ud800',
];
const mutate = (text: string) =>
  fc
    .array(fc.tuple(fc.nat(), fc.oneof(fc.constantFrom(...SNIPPETS), fc.constant(''))), {
      minLength: 1,
      maxLength: 3,
    })
    .map((edits) => {
      let t = text;
      for (const [at, snippet] of edits) {
        const i = at % (t.length + 1);
        t = snippet === '' ? t.slice(0, i) + t.slice(i + 1) : t.slice(0, i) + snippet + t.slice(i);
      }
      return t;
    });

/** The same bytes as a Buffer, as a plain Uint8Array, and as a view at an offset into a larger buffer. */
const VIEW = fc.constantFrom('buffer', 'uint8array', 'offset');
function bytesOf(text: string, view: string): Uint8Array {
  const b = Buffer.from(text, 'utf8');
  if (view === 'buffer') return b;
  if (view === 'uint8array') return new Uint8Array(b);
  const big = new Uint8Array(b.length + 7);
  big.fill(0x22);
  big.set(b, 3);
  return big.subarray(3, 3 + b.length);
}

const stats = { fastShapes: 0, proven: 0, problems: 0 };

function same(text: string, maxDepth: number, proveSigned: boolean, view: string): void {
  const bytes = bytesOf(text, view);
  const ref = referenceScanJson(bytes, maxDepth, proveSigned);
  const got = scanJson(bytes, maxDepth, proveSigned);
  if ('problem' in ref) {
    stats.problems++;
    expect(got).toEqual(ref);
    return;
  }
  expect('problem' in got).toBe(false);
  const { ascii, ...rest } = got as Exclude<typeof got, { problem: string }>;
  expect(rest).toEqual(ref);
  expect(ascii).toBe(/^[\x00-\x7f]*$/.test(text) ? text : undefined);
  if (ref.canonicalSigned) stats.proven++;
  if (/:\{"hashes":\{"sha256":"[^"\\]{44}"(,"sha512":"[^"\\]{88}")?\},"length":\d{1,15}\}/.test(text)) {
    stats.fastShapes++;
  }
}

describe('json-scan: the scan gives what the byte-by-byte walk gives', () => {
  const depth = fc.oneof(fc.integer({ min: 1, max: 8 }), fc.constant(32));

  it('on generated targets documents (usual entries and near misses)', () => {
    fc.assert(
      fc.property(TARGETS_DOC, depth, fc.boolean(), VIEW, (t, d, p, v) => same(t, d, p, v)),
      { numRuns: 3000 },
    );
  });

  it('on mutations of them (spliced structure, escapes, numbers, whitespace)', () => {
    fc.assert(
      fc.property(TARGETS_DOC.chain(mutate), depth, fc.boolean(), VIEW, (t, d, p, v) => same(t, d, p, v)),
      { numRuns: 3000 },
    );
  });

  it('on arbitrary JSON and arbitrary text', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.jsonValue().map((v) => JSON.stringify(v)),
          fc.string({ unit: 'binary', maxLength: 40 }),
          fc.jsonValue().map((v) => JSON.stringify({ signed: v })),
        ),
        depth,
        fc.boolean(),
        VIEW,
        (t, d, p, v) => same(t, d, p, v),
      ),
      { numRuns: 2000 },
    );
  });

  it('on entries whose hash strings have the usual lengths (44, 88 bytes) but an escape or non-ASCII', () => {
    const odd = (len: number) => [
      `${'A'.repeat(len - 2)}\\n`,
      `${'A'.repeat(len - 2)}\\"`,
      `${'A'.repeat(len - 2)}\\\\`,
      `${'A'.repeat(len - 6)}\\ud800`,
      `${'A'.repeat(len - 12)}\\ud83d\\ude00`,
      `${'A'.repeat(len - 2)}é`,
      `${'A'.repeat(len - 1)}é`,
    ];
    const good256 = `${'A'.repeat(43)}=`;
    const good512 = `${'A'.repeat(86)}==`;
    const docs: string[] = [];
    for (const h of odd(44)) {
      docs.push(`{"hashes":{"sha256":"${h}"},"length":1}`);
      docs.push(`{"hashes":{"sha256":"${h}","sha512":"${good512}"},"length":1}`);
    }
    for (const h of odd(88)) docs.push(`{"hashes":{"sha256":"${good256}","sha512":"${h}"},"length":1}`);
    for (const entry of docs) {
      for (const view of ['buffer', 'uint8array', 'offset']) {
        const text = `{"signed":{"targets":{"a":${entry},"b":{"hashes":{"sha256":"${good256}"},"length":2}}},"signatures":[]}`;
        same(text, 32, true, view);
        same(text, 32, false, view);
      }
    }
  });

  it('at the nesting limits around a usual entry', () => {
    const entry = `{"hashes":{"sha256":"${'A'.repeat(43)}="},"length":1}`;
    for (let extra = 0; extra < 6; extra++) {
      const open = '{"a":'.repeat(extra);
      const text = `{"signed":{"targets":${open}{"t":${entry}}${'}'.repeat(extra)}},"signatures":[]}`;
      for (let d = 1; d <= 12; d++) {
        same(text, d, true, 'buffer');
        same(text, d, false, 'buffer');
      }
    }
  });

  it("at the encoder's nesting limit (512 levels inside signed) around a usual entry", () => {
    const entry = `{"hashes":{"sha256":"${'A'.repeat(43)}="},"length":1}`;
    for (let extra = 505; extra < 514; extra++) {
      const open = '{"a":'.repeat(extra);
      const text = `{"signed":{"targets":${open}{"t":${entry}}${'}'.repeat(extra)}},"signatures":[]}`;
      same(text, 1000, true, 'buffer');
    }
  });

  it('on a usual entry after unbalanced brackets (the walk ends the proof at its close, at level 2)', () => {
    const entry = `{"hashes":{"sha256":"${'A'.repeat(43)}="},"length":7}`;
    for (const text of [
      `{"signed":{"_type":"Targets","targets":]"1":${entry}},"version":2},"signatures":[]}`,
      `{"signed":{"targets":]]"1":${entry}},"signatures":[]}`,
      `{"signed":{"a":{}}]"1":${entry}}`,
      `{"signed":{"a":1}]]]"1":${entry}}`,
    ]) {
      for (const view of ['buffer', 'uint8array']) {
        same(text, 32, true, view);
        same(text, 32, false, view);
      }
    }
  });

  it('bounded work on entries crafted to nearly match: one expression attempt per entry, none after 64 misses', () => {
    // A hostile server's targets (parsed before any signature is checked) whose every entry fails the
    // fast-forward late: a valid 48-character sha256, or a 92-character sha512. Each failed attempt is
    // read again by the walk, so attempts must stay near one per usual entry and stop on a document
    // that keeps missing (two per entry made the scan ~2.5x slower than the walk alone).
    const good256 = Buffer.alloc(32, 7).toString('base64');
    const good512 = Buffer.alloc(64, 9).toString('base64');
    const long256 = Buffer.alloc(36, 7).toString('base64');
    const long512 = Buffer.alloc(68, 9).toString('base64');
    const doc = (entry: (i: number) => string) =>
      `{"signed":{"targets":{${Array.from({ length: 1000 }, (_, i) => `"${String(i).padStart(4, '0')}":${entry(i)}`).join(',')}}},"signatures":[]}`;
    const attempts = (text: string): number => {
      const test = RegExp.prototype.test;
      let n = 0;
      const spy = vi.spyOn(RegExp.prototype, 'test').mockImplementation(function (this: RegExp, s: string) {
        if (this.sticky && this.source.startsWith('\\{"hashes"')) n++;
        return test.call(this, s);
      });
      try {
        same(text, 32, true, 'buffer');
      } finally {
        spy.mockRestore();
      }
      return n;
    };
    const e256 = (h: string) => `{"hashes":{"sha256":"${h}"},"length":1}`;
    const e512 = (h: string, h2: string) => `{"hashes":{"sha256":"${h}","sha512":"${h2}"},"length":1}`;
    // usual entries: one attempt each, whichever of the two shapes
    expect(attempts(doc(() => e256(good256)))).toBe(1000);
    expect(attempts(doc(() => e512(good256, good512)))).toBe(1000);
    expect(attempts(doc((i) => (i % 2 ? e256(good256) : e512(good256, good512))))).toBe(1000);
    // near misses: the scan stops trying after 64 of them
    expect(attempts(doc(() => e256(long256)))).toBeLessThanOrEqual(64);
    expect(attempts(doc(() => e512(good256, long512)))).toBeLessThanOrEqual(64);
    expect(attempts(doc(() => `{"hashes":{"sha256":"${good256}"},"length":1,"x":1}`))).toBeLessThanOrEqual(
      64,
    );
    // a few misses among usual entries do not switch it off
    expect(attempts(doc((i) => (i % 100 === 0 ? e256(long256) : e256(good256))))).toBe(1000);
  });

  it('reached the fast-forward, proofs and problems (the tests above are not vacuous)', () => {
    expect(stats.fastShapes).toBeGreaterThan(500);
    expect(stats.proven).toBeGreaterThan(200);
    expect(stats.problems).toBeGreaterThan(200);
  });
});
