/**
 * The Notary dialect checks signatures over the served bytes of `signed` when the parser proved them
 * canonical (encoding/json-scan.ts `proveSigned`, metadata/parse.ts), and re-encodes otherwise.
 * Whichever path runs, the message must be Notary's own: the canonical encoding of the generic decode
 * of the served `signed` (tuf/signed/verify.go), before the parser normalises anything (`"custom":
 * null`, absent delegations, null paths). These tests pin that every verdict is the one over Notary's
 * message (test/attacks/served-signed.test.ts checks the same against the real notary client).
 */

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { newKey, type TestKey } from '../../test/support/forge.js';
import { parsePublicKeyDeferred } from '../crypto/keys.js';
import { canonicalBytes, canonicalJson } from '../encoding/canonical.js';
import { countMembers, hasLoneSurrogate, parseStringified, scanJson } from '../encoding/json-scan.js';
import { validSignerIds } from '../trust/signatures.js';
import { Metadata } from './model.js';
import { parseMetadata, parseTargets } from './parse.js';

const utf8 = (s: string) => Buffer.from(s, 'utf8');
const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));

/** JSON.stringify with keys sorted byte-wise (as canonical JSON orders them), optionally indented. */
function sortedStringify(v: unknown, indent?: number): string {
  return JSON.stringify(
    v,
    (_k, x) => {
      if (typeof x !== 'object' || x === null || Array.isArray(x)) return x;
      const keys = Object.keys(x).sort((a, b) => Buffer.compare(utf8(a), utf8(b)));
      const out: Record<string, unknown> = {};
      for (const k of keys) Object.defineProperty(out, k, { value: x[k], enumerable: true });
      return out;
    },
    indent,
  );
}

/** Non-ASCII characters written as `\uXXXX` escapes (the same value, not canonical). */
const escapeNonAscii = (s: string) =>
  s.replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

/** JSON values as metadata holds them: integers only (a fraction is refused before any proof). */
const { value: intJson } = fc.letrec((tie) => ({
  value: fc.oneof(
    { maxDepth: 3, depthIdentifier: 'json' },
    fc.integer(),
    fc.constantFrom(0, -1, 2 ** 53 - 1, -(2 ** 53 - 1), 123456789012345),
    fc.string(),
    fc.string({ unit: 'grapheme' }),
    fc.string({ unit: 'binary' }),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 3, depthIdentifier: 'json' }),
    fc.dictionary(
      fc.oneof(fc.string({ maxLength: 4 }), fc.string({ unit: 'grapheme', maxLength: 2 })),
      tie('value'),
      {
        maxKeys: 3,
        depthIdentifier: 'json',
      },
    ),
  ),
}));

/** Snippets that, spliced in anywhere, reach the corners of the proof. */
const SNIPPETS = [
  ' ',
  '\n',
  '\t',
  '1.5',
  'e5',
  '-0',
  '-1',
  '0',
  '123456789012345',
  '1234567890123456',
  '9007199254740993',
  '12345678901234567890',
  '\\u0074',
  '\\u00e9',
  '\\/',
  '\\"',
  '\\\\',
  '\\n',
  '"a":1,',
  '"custom":null,',
  '"custom":{},',
  '"signed":{},',
  '"\\u0073igned":{},',
  '"delegations":null,',
  '"paths":null,',
  '"__proto__":{},',
  '"1":{},',
  '"é":1,',
  '"<&>":1,',
  '{',
  '}',
  '[',
  ']',
  ',',
  ':',
  'null',
  '\u2028',
  '😀',
];

const mutate = (text: string) =>
  fc
    .array(
      fc.tuple(
        fc.nat(),
        fc.oneof(fc.constantFrom(...SNIPPETS), fc.constant(''), fc.string({ maxLength: 3 })),
      ),
      { minLength: 1, maxLength: 3 },
    )
    .map((edits) => {
      let t = text;
      for (const [at, snippet] of edits) {
        const i = at % (t.length + 1);
        t = snippet === '' ? t.slice(0, i) + t.slice(i + 1) : t.slice(0, i) + snippet + t.slice(i);
      }
      return t;
    });

describe('json-scan: the proof that signed is canonical', () => {
  const stats = { proven: 0, parsed: 0 };

  /** Whenever the scan proves `signed` and the document passes every other check, the bytes are canonical. */
  function check(text: string, maxDepth = 32): void {
    const bytes = utf8(text);
    const scan = scanJson(bytes, maxDepth, true);
    if ('problem' in scan) return;
    let value: unknown;
    try {
      value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
    } catch {
      return;
    }
    if (scan.surrogateEscapes && hasLoneSurrogate(value)) return;
    if (countMembers(value) !== scan.members) return; // a repeated key: refused by the parser
    stats.parsed++;
    // without `proveSigned` nothing is claimed, and the rest of the scan is the same
    const plain = scanJson(bytes, maxDepth) as typeof scan;
    expect(plain.canonicalSigned).toBeUndefined();
    expect(plain.members).toBe(scan.members);
    if (!scan.canonicalSigned) return;
    stats.proven++;
    const signed = (value as Record<string, unknown>).signed;
    const served = bytes.subarray(scan.canonicalSigned.start, scan.canonicalSigned.end);
    expect(Buffer.from(served).toString('utf8')).toBe(canonicalJson(signed));
  }

  const documents = fc
    .tuple(
      fc.oneof({ weight: 4, arbitrary: intJson }, fc.jsonValue({ maxDepth: 3 })),
      fc.dictionary(fc.string({ maxLength: 3 }), intJson, { maxKeys: 4 }),
      fc.constantFrom('sorted', 'stringify', 'indented', 'escaped'),
    )
    .map(([v, o, form]) => {
      const doc = { signatures: [{ keyid: 'ab', sig: 'cd' }], signed: { ...o, v } };
      if (form === 'stringify') return JSON.stringify(doc);
      if (form === 'indented') return sortedStringify(doc, 1);
      if (form === 'escaped') return escapeNonAscii(sortedStringify(doc));
      return sortedStringify(doc);
    });

  it('proves only canonical bytes, over arbitrary documents (differential with the encoder)', () => {
    fc.assert(
      fc.property(documents, (t) => check(t)),
      { numRuns: 600 },
    );
  });

  it('proves only canonical bytes, over mutated documents', () => {
    fc.assert(
      fc.property(
        documents.chain((t) => mutate(t)),
        (t) => check(t),
      ),
      { numRuns: 2000 },
    );
  });

  it('proves only canonical bytes at nesting limits around the encoder limit', () => {
    for (const n of [1, 2, 30, 510, 511, 512, 513, 600]) {
      const text = `{"signed":{"a":${'['.repeat(n)}${']'.repeat(n)}}}`;
      for (const cap of [32, 1000]) check(text, cap);
    }
    const span = (n: number) =>
      (
        scanJson(utf8(`{"signed":{"a":${'['.repeat(n)}${']'.repeat(n)}}}`), 1000, true) as {
          canonicalSigned?: object;
        }
      ).canonicalSigned;
    expect(span(511)).toBeDefined(); // signed + 511 arrays = 512 levels: the encoder writes it
    expect(span(512)).toBeUndefined(); // 513 levels: the encoder refuses it
  });

  it('proved spans in those runs (the tests above are not vacuous)', () => {
    expect(stats.proven).toBeGreaterThan(300);
    expect(stats.parsed - stats.proven).toBeGreaterThan(300);
  });

  it('claims nothing for the corners canonical JSON writes differently', () => {
    const span = (t: string) => {
      const s = scanJson(utf8(t), 32, true);
      if ('problem' in s || !s.canonicalSigned) return undefined;
      return Buffer.from(utf8(t).subarray(s.canonicalSigned.start, s.canonicalSigned.end)).toString('utf8');
    };
    expect(span('{"signatures":[],"signed":{"a":[1,"x\\"y\\\\"],"b":{"c":null},"é":true}}')).toBe(
      '{"a":[1,"x\\"y\\\\"],"b":{"c":null},"é":true}',
    );
    expect(span('{"signed":{"a":1}, "signatures": [ ]}')).toBe('{"a":1}'); // whitespace outside signed
    expect(span('{"signed":{"1":0,"10":0,"2":0,"a":0}}')).toBe('{"1":0,"10":0,"2":0,"a":0}'); // byte order
    expect(span('{"signed":{"a": 1}}')).toBeUndefined(); // whitespace
    expect(span('{"signed":{"a":1 }}')).toBeUndefined();
    expect(span('{"signed" :{"a":1}}')).toBeUndefined();
    expect(span('{"signed":{"b":1,"a":2}}')).toBeUndefined(); // unsorted
    expect(span('{"signed":{"1":0,"2":0,"10":0}}')).toBeUndefined(); // numeric, not byte order
    expect(span('{"signed":{"a":{"y":1,"x":1}}}')).toBeUndefined(); // unsorted deeper
    expect(span('{"signed":{"a":[{"y":1,"x":1}]}}')).toBeUndefined(); // unsorted inside an array
    expect(span('{"signed":{"a":"\\n"}}')).toBeUndefined(); // canonical JSON writes it raw
    expect(span('{"signed":{"a":"\\u00e9"}}')).toBeUndefined();
    expect(span('{"signed":{"a":"\\u003c"}}')).toBeUndefined(); // Go's json.Marshal escape
    expect(span('{"signed":{"a":"\\/"}}')).toBeUndefined();
    expect(span('{"signed":{"a\\"":1,"a#":2}}')).toBeUndefined(); // escaped key: order unproven
    expect(span('{"signed":{"a":1234567890123456}}')).toBeUndefined(); // 16 digits
    expect(span('{"signed":{"a":123456789012345}}')).toBe('{"a":123456789012345}');
    expect(span('{"signed":[{"a":1}]}')).toBeUndefined(); // not an object
    expect(span('{"x":{"signed":{"a":1}}}')).toBeUndefined(); // not top-level
    expect(span('{"\\u0073igned":{"a":1}}')).toBeUndefined(); // escaped name
    expect(span('[{"signed":{"a":1}}]')).toBeUndefined();
  });
});

// ---------------------------------------------------------------------------------------------------
// Metadata: the verdict over the served bytes is the verdict over the re-encoding

const KEY: TestKey = newKey('ed25519');
const PUBLIC = parsePublicKeyDeferred(KEY.json(), { role: 'targets', keyId: KEY.id });
/** A base64 ed25519 signature's length; replaced by the real one once the message is known. */
const PLACEHOLDER = 'A'.repeat(86) + '==';

const NAMES = [
  't0',
  't1',
  '1',
  '2',
  '10',
  'latest',
  'é',
  '😀',
  '<a&b>',
  '__proto__',
  'a"b',
  'a\\b',
  '',
  '\u2028',
];
const b64 = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b).toString('base64'));
const fileMeta = fc
  .record(
    {
      hashes: fc.record({ sha256: b64, sha512: b64 }, { requiredKeys: ['sha256'] }),
      length: fc.nat(),
      custom: fc.oneof(fc.constant(null), intJson, intJson),
    },
    { requiredKeys: ['hashes', 'length'] },
  )
  .map((m) => m as Record<string, unknown>);
const delegations = fc.oneof(
  { weight: 4, arbitrary: fc.constant<unknown>({ keys: {}, roles: [] }) },
  fc.constantFrom<unknown>(
    'absent',
    null,
    { keys: {}, roles: [] },
    { keys: null, roles: [] },
    { keys: {}, roles: null },
    { keys: {} },
    { roles: [] },
    { keys: {}, roles: [{ name: 'targets/releases', keyids: [], threshold: 1, paths: [''] }] },
    { keys: {}, roles: [{ name: 'targets/releases', keyids: [], threshold: 1, paths: null }] },
    { keys: {}, roles: [{ name: 'targets/releases', keyids: [], threshold: 1 }] },
    { keys: {}, roles: [{ name: 'targets/releases', keyids: [], threshold: 1, paths: [] }] },
  ),
);
const targetsBody = fc
  .tuple(fc.dictionary(fc.constantFrom(...NAMES), fileMeta, { maxKeys: 5 }), delegations, fc.boolean())
  .map(([targets, d, extra]) => {
    const body: Record<string, unknown> = {
      _type: 'Targets',
      expires: '2030-01-01T00:00:00.5Z',
      targets,
      version: 3,
    };
    if (d !== 'absent') body.delegations = d;
    if (extra) body.x_unknown = { b: [1, 'two'], a: null };
    return { role: 'targets', body };
  });
const timestampBody = fc.tuple(fileMeta, fc.option(fileMeta)).map(([sn, other]) => {
  const meta: Record<string, unknown> = { snapshot: sn };
  if (other) meta['targets/x'] = other;
  return {
    role: 'timestamp',
    body: { _type: 'Timestamp', expires: '2030-01-01T00:00:00Z', meta, version: 9 },
  };
});

type Spelling = 'wire' | 'canonical' | 'stringify' | 'indented' | 'escaped';
/** The document text (signature: PLACEHOLDER) and the text of its `signed` member. */
function spell(body: unknown, how: Spelling): { text: string; signed: string } {
  const sigs = JSON.stringify([{ keyid: KEY.id, method: 'eddsa', sig: PLACEHOLDER }]);
  let signed: string;
  if (how === 'indented') {
    const text = sortedStringify({ signatures: JSON.parse(sigs), signed: body }, 2);
    const from = text.indexOf('"signed": ') + '"signed": '.length;
    return { text, signed: text.slice(from, text.lastIndexOf('\n}')) };
  }
  if (how === 'wire') {
    // Go's json.Marshal of the envelope: canonical, with <, > and & escaped
    signed = canonicalJson(body).replace(/[<>&]/g, (ch) => `\\u00${ch.charCodeAt(0).toString(16)}`);
    return { text: `{"signed":${signed},"signatures":${sigs}}`, signed };
  }
  if (how === 'stringify') signed = JSON.stringify(body);
  else if (how === 'escaped') signed = escapeNonAscii(canonicalJson(body));
  else signed = canonicalJson(body);
  return { text: `{"signatures":${sigs},"signed":${signed}}`, signed };
}

/** What the signature in a generated document was made over. */
type Message = 'canonical-of-body' | 'canonical-of-parsed' | 'served-slice' | 'other';

function parse(text: string, role: string): Metadata | undefined {
  try {
    return parseMetadata(utf8(text), role);
  } catch {
    return undefined;
  }
}

/**
 * Valid signatures (or the error) as parsed, and over Notary's message: the canonical encoding of
 * the generic decode of the served `signed` (tuf/signed/verify.go), before any normalisation.
 */
function verdicts(md: Metadata, text: string): { ours: number; notary: number } {
  const set = { role: md.role, keyids: [KEY.id], threshold: 1, keys: new Map([[KEY.id, PUBLIC]]) };
  let notaryMessage: Uint8Array | undefined;
  try {
    notaryMessage = canonicalBytes((JSON.parse(text) as { signed: unknown }).signed);
  } catch {
    notaryMessage = undefined; // an integer beyond int64: the encoder refuses it, nothing verifies
  }
  const verdict = (m: Metadata) => {
    try {
      return validSignerIds(m, set).valid.length;
    } catch (e) {
      // ours may refuse only what the encoder refuses in Notary's message too
      expect(notaryMessage, String(e)).toBeUndefined();
      return 0;
    }
  };
  const reference = notaryMessage
    ? verdict(new Metadata(md.role, md.signed, md.signatures, md.keys, md.raw, md.expiresMs, notaryMessage))
    : 0;
  return { ours: verdict(md), notary: reference };
}

/** Canonical bytes of a value, or other bytes when the encoder refuses it. */
function canonicalOr(v: unknown): Uint8Array {
  try {
    return canonicalBytes(v);
  } catch {
    return utf8('{}');
  }
}

describe('Notary metadata: signatures over served bytes vs re-encoding', () => {
  const stats = { proven: 0, unproven: 0, valid: 0, invalid: 0 };

  function run(role: string, body: unknown, how: Spelling, message: Message, edits?: (t: string) => string) {
    const spelled = spell(body, how);
    let text = edits ? edits(spelled.text) : spelled.text;
    const first = parse(text, role);
    if (!first) return;
    let msg: Uint8Array;
    if (message === 'canonical-of-body') msg = canonicalBytes(body);
    else if (message === 'canonical-of-parsed') msg = canonicalOr(first.signed);
    else if (message === 'served-slice') msg = utf8(spelled.signed);
    else msg = utf8('{}');
    const sig = KEY.signBytes(msg).toString('base64');
    text = text.replace(PLACEHOLDER, sig);
    const md = parse(text, role);
    if (!md) return;
    // whichever path, the message is Notary's; served bytes are used only when they are it
    let ours: Uint8Array | undefined;
    try {
      ours = md.signedMessage().bytes;
    } catch {
      ours = undefined; // the encoder refuses the value (an integer beyond int64): no signature verifies
    }
    if (ours) expect(same(ours, canonicalOr((JSON.parse(text) as { signed: unknown }).signed))).toBe(true);
    if (md.canonicalSigned && same(md.canonicalSigned, utf8(spelled.signed))) stats.proven++;
    else stats.unproven++;
    const v = verdicts(md, text);
    expect(v.ours).toBe(v.notary);
    if (v.ours > 0) stats.valid++;
    else stats.invalid++;
  }

  const spelling = fc.oneof(
    { weight: 3, arbitrary: fc.constant<Spelling>('canonical') },
    fc.constantFrom<Spelling>('wire', 'stringify', 'indented', 'escaped'),
  );
  const message = fc.constantFrom<Message>(
    'canonical-of-body',
    'canonical-of-parsed',
    'served-slice',
    'other',
  );
  const doc = fc.oneof({ weight: 3, arbitrary: targetsBody }, timestampBody);

  it("gives the verdict over Notary's message on generated documents in every spelling", () => {
    fc.assert(
      fc.property(doc, spelling, message, ({ role, body }, how, m) => run(role, body, how, m)),
      { numRuns: 500 },
    );
  });

  it("gives the verdict over Notary's message on mutated documents", () => {
    fc.assert(
      fc.property(
        doc,
        spelling,
        message,
        fc.array(fc.tuple(fc.nat(), fc.constantFrom(...SNIPPETS, '')), { minLength: 1, maxLength: 2 }),
        ({ role, body }, how, m, edits) =>
          run(role, body, how, m, (t) => {
            // edits inside `signed` only (the envelope's own spelling does not matter)
            const from = t.indexOf('"signed":') + 9;
            let out = t;
            for (const [at, s] of edits) {
              const i = from + (at % Math.max(1, out.length - from - 1));
              out = s === '' ? out.slice(0, i) + out.slice(i + 1) : out.slice(0, i) + s + out.slice(i);
            }
            return out;
          }),
      ),
      { numRuns: 1500 },
    );
  });

  it('exercised both paths and both verdicts (the tests above are not vacuous)', () => {
    expect(stats.proven).toBeGreaterThan(100);
    expect(stats.unproven).toBeGreaterThan(100);
    expect(stats.valid).toBeGreaterThan(100);
    expect(stats.invalid).toBeGreaterThan(100);
  });
});

// ---------------------------------------------------------------------------------------------------
// parseStringified: the native path for targets documents (issue 12) gives the scan's verdict

describe('json-scan: parseStringified gives the scan verdict natively', () => {
  const stats = { fast: 0, fallback: 0 };

  /** Whenever the native path accepts, the scan accepts too, proves the same span, sees no repeated key. */
  function check(text: string, maxDepth = 32): void {
    const bytes = utf8(text);
    const fast = parseStringified(bytes, maxDepth);
    if (!fast) {
      stats.fallback++;
      return;
    }
    stats.fast++;
    const scan = scanJson(bytes, maxDepth, true);
    expect('problem' in scan ? scan.problem : undefined).toBeUndefined();
    if ('problem' in scan) return;
    expect(scan.escapes).toBe(false);
    const value = JSON.parse(Buffer.from(bytes).toString('utf8')) as unknown;
    expect(fast.value).toStrictEqual(value);
    expect(countMembers(value)).toBe(scan.members); // no repeated key
    expect(scan.canonicalSigned).toStrictEqual({ start: 10, end: fast.signedEnd });
    const signed = (value as Record<string, unknown>).signed;
    expect(Buffer.from(bytes.subarray(10, fast.signedEnd)).toString('utf8')).toBe(canonicalJson(signed));
  }

  /** Documents with `signed` first, as Notary writes them, in several spellings of `signed`. */
  const documents = fc
    .tuple(
      fc.oneof({ weight: 4, arbitrary: intJson }, fc.jsonValue({ maxDepth: 3 })),
      fc.dictionary(fc.string({ maxLength: 3 }), intJson, { maxKeys: 4 }),
      fc.constantFrom('sorted', 'sorted', 'stringify', 'indented', 'escaped'),
      fc.constantFrom('[{"keyid":"ab","sig":"cd"}]', '[]', 'null', '[{"keyid":"ab","sig":"c d"}], "x":1'),
    )
    .map(([v, o, form, sigs]) => {
      const signed = { ...o, v };
      let text: string;
      if (form === 'stringify') text = JSON.stringify(signed);
      else if (form === 'indented') text = sortedStringify(signed, 1);
      else if (form === 'escaped') text = escapeNonAscii(sortedStringify(signed));
      else text = sortedStringify(signed);
      return `{"signed":${text},"signatures":${sigs}}`;
    });

  it('agrees with the scan over generated documents', () => {
    fc.assert(
      fc.property(documents, (t) => check(t)),
      { numRuns: 1000 },
    );
  });

  it('agrees with the scan over mutated documents', () => {
    fc.assert(
      fc.property(
        documents.chain((t) => mutate(t)),
        (t) => check(t),
      ),
      { numRuns: 3000 },
    );
  });

  it('agrees with the scan at the nesting limits and on the corners', () => {
    for (const n of [1, 2, 29, 30, 31, 510, 511, 512, 600]) {
      const text = `{"signed":{"a":${'['.repeat(n)}${']'.repeat(n)}},"signatures":[]}`;
      for (const cap of [32, 1000]) check(text, cap);
    }
    const deep = (n: number, cap: number) =>
      parseStringified(utf8(`{"signed":{"a":${'['.repeat(n)}${']'.repeat(n)}}}`), cap) !== undefined;
    expect(deep(30, 32)).toBe(true); // document, signed, 30 arrays: 32 levels
    expect(deep(31, 32)).toBe(false); // 33 levels: the scan refuses it
    expect(deep(511, 1000)).toBe(true);
    expect(deep(512, 1000)).toBe(false); // beyond the encoder's limit: the scan proves nothing
    const fast = (t: string) => parseStringified(utf8(t), 32) !== undefined;
    expect(fast('{"signed":{"a":1,"b":[1,"x"]},"signatures":[]}')).toBe(true);
    expect(fast('{"signed":{"a":1}}')).toBe(true);
    expect(fast('{"signed":{"b":1,"a":1}}')).toBe(false); // unsorted
    expect(fast('{"signed":{"a":{"y":1,"x":1}}}')).toBe(false);
    expect(fast('{"signed":{"1":0,"10":0,"2":0}}')).toBe(false); // canonical, but V8 lists 2 before 10
    expect(fast('{"signed":{"1":0,"2":0,"10":0}}')).toBe(false); // V8's order, not byte order
    expect(fast('{"signed":{"a":1,"a":1}}')).toBe(false); // repeated key
    expect(fast('{"signed":{"a":1},"signed":{"a":1}}')).toBe(false);
    expect(fast('{"signed":{"a":1.5}}')).toBe(false);
    expect(fast('{"signed":{"a":1e21}}')).toBe(false);
    expect(fast('{"signed":{"a":-0}}')).toBe(false);
    expect(fast('{"signed":{"a":1234567890123456}}')).toBe(false); // 16 digits
    expect(fast('{"signed":{"a":-123456789012345}}')).toBe(true);
    expect(fast('{"signed":{"a":"\\u0041"}}')).toBe(false); // any escape
    expect(fast('{"signed":{"a":"\\"","b":1}}')).toBe(false);
    expect(fast('{"signed":{"😀":1,"\uffff":1}}')).toBe(false); // UTF-16 order is not byte order here
    expect(fast('{"signed":{"a":1} }')).toBe(false); // whitespace
    expect(fast(' {"signed":{"a":1}}')).toBe(false);
    expect(fast('\ufeff{"signed":{"a":1}}')).toBe(false); // byte order mark
    expect(fast('{"signatures":[],"signed":{"a":1}}')).toBe(false); // not first
    expect(fast('{"signed":{"a":100}}')).toBe(true);
    expect(fast('{"signed":{"a":1e2}}')).toBe(false); // the same length as JSON.stringify's text
    expect(fast('{"signed":{"a":1},"b":100}')).toBe(true);
    expect(fast('{"signed":{"a":1},"b":1e2}')).toBe(false); // the same length as JSON.stringify's text
    expect(fast('{"signed":{"a":1},"b":[1,"x"],"c":null}')).toBe(true);
    expect(fast('{"signed":{"a":1},"b":[1,"x"],"b":null}')).toBe(false);
    expect(fast('{"0":1,"signed":{"a":1}}')).toBe(false);
    expect(fast('{"signed":[1]}')).toBe(false);
    expect(parseStringified(Buffer.from([...utf8('{"signed":{"a":"'), 0xff, ...utf8('"}}')]), 32)).toBe(
      undefined,
    ); // invalid UTF-8
    expect(fast('{"signed":{"b":{"x":[{"d":1,"c":2}]}},"signatures":[{"z":1,"a":2}]}')).toBe(false);
    expect(fast('{"signed":{"b":{"x":[{"c":1,"d":2}]}},"signatures":[{"z":1,"a":2}]}')).toBe(true);
  });

  it('took both ways in those runs (the tests above are not vacuous)', () => {
    expect(stats.fast).toBeGreaterThan(150);
    expect(stats.fallback).toBeGreaterThan(400);
  });
});

describe('Notary targets: the native path and the scan give the same parse', () => {
  const stats = { fast: 0 };
  type Outcome = { ok: true; md: Metadata } | { ok: false; error: string };
  const outcome = (text: string): Outcome => {
    try {
      return { ok: true, md: parseTargets(utf8(text)) };
    } catch (e) {
      return { ok: false, error: (e as Error).message };
    }
  };
  /** The document as given, and with one space after it (JSON.parse, the scan and Go ignore it; the native path does not take it). */
  function compare(text: string): void {
    if (parseStringified(utf8(text), 32)) stats.fast++;
    const a = outcome(text);
    const b = outcome(`${text} `);
    expect(a.ok).toBe(b.ok);
    if (a.ok && b.ok) {
      expect(a.md.signed).toStrictEqual(b.md.signed);
      expect(a.md.signatures).toStrictEqual(b.md.signatures);
      expect(a.md.canonicalSigned && Buffer.from(a.md.canonicalSigned).toString()).toBe(
        b.md.canonicalSigned && Buffer.from(b.md.canonicalSigned).toString(),
      );
      let ma: string | undefined;
      let mb: string | undefined;
      try {
        ma = Buffer.from(a.md.signedMessage().bytes).toString();
      } catch {}
      try {
        mb = Buffer.from(b.md.signedMessage().bytes).toString();
      } catch {}
      expect(ma).toBe(mb);
    } else if (!a.ok && !b.ok) {
      // JSON.parse names the position where the text ended differently with the space after it
      const unposed = (m: string) =>
        m.replace(/ at position \d+/, '').replace('Unexpected end of JSON input', '');
      expect(unposed(a.error)).toBe(unposed(b.error));
    }
  }
  const wire = targetsBody.map(({ body }) => {
    const sigs = JSON.stringify([{ keyid: KEY.id, method: 'eddsa', sig: PLACEHOLDER }]);
    return `{"signed":${canonicalJson(body)},"signatures":${sigs}}`;
  });

  // compact documents in JSON.stringify's order: names, entry keys and algorithms in any order,
  // lengths around the 15-digit bound, so only some are canonical
  const entryIn = fc
    .tuple(
      b64,
      fc.option(b64),
      fc.boolean(),
      fc.boolean(),
      fc.constantFrom(3, 999999999999999, 1e15, 2 ** 53 - 1),
    )
    .map(([a, b, lengthFirst, sha512First, length]) => {
      const hashes: Record<string, string> = {};
      if (b !== null && sha512First) hashes.sha512 = b;
      hashes.sha256 = a;
      if (b !== null && !sha512First) hashes.sha512 = b;
      return lengthFirst ? { length, hashes } : { hashes, length };
    });
  const stringified = fc
    .tuple(
      fc.uniqueArray(fc.constantFrom('t0', 't1', 't2', 'latest', 'a', 'é', '😀', '__proto__'), {
        maxLength: 4,
      }),
      fc.array(entryIn, { minLength: 4, maxLength: 4 }),
    )
    .map(([names, entries]) => {
      const targets: Record<string, unknown> = {};
      names.forEach((n, i) => {
        Object.defineProperty(targets, n, {
          value: entries[i],
          enumerable: true,
          writable: true,
          configurable: true,
        });
      });
      const body = {
        _type: 'Targets',
        delegations: { keys: {}, roles: [] },
        expires: '2030-01-01T00:00:00Z',
        targets,
        version: 1,
      };
      return `{"signed":${JSON.stringify(body)},"signatures":[]}`;
    });

  it('same value and message on compact documents in any key order', () => {
    fc.assert(
      fc.property(stringified, (t) => compare(t)),
      { numRuns: 1500 },
    );
  });

  it('same value, message, or message of refusal, on generated and mutated targets documents', () => {
    fc.assert(
      fc.property(wire, (t) => compare(t)),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(
        wire.chain((t) => mutate(t)),
        (t) => compare(t),
      ),
      { numRuns: 2000 },
    );
    expect(stats.fast).toBeGreaterThan(300);
  });
});
