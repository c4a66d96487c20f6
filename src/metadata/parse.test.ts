import { describe, expect, it } from 'vitest';
import { vectorFile } from '../../test/support/vectors.js';
import { parseMetadata, parseTargets } from './parse.js';

const enc = (o: unknown) => Buffer.from(JSON.stringify(o));
const targets = () =>
  JSON.parse(Buffer.from(vectorFile('ecdsa-server', 'targets')).toString()) as {
    signed: Record<string, unknown> & {
      delegations: { keys: Record<string, unknown>; roles: { name: string }[] };
    };
    signatures: unknown[];
  };

describe('strict metadata parsing', () => {
  it('names the role, field and reason', () => {
    const doc = targets();
    doc.signed.version = '3';
    expect(() => parseMetadata(enc(doc), 'targets')).toThrowError('targets: version: must be an integer');
    const d2 = targets();
    delete d2.signed.expires;
    expect(() => parseMetadata(enc(d2), 'targets')).toThrowError('targets: expires: must be a string');
  });

  it('rejects the wrong _type with WRONG_TYPE', () => {
    expect(() => parseMetadata(vectorFile('ecdsa-server', 'targets'), 'snapshot')).toThrowError(
      expect.objectContaining({ code: 'WRONG_TYPE', role: 'snapshot' }),
    );
  });

  it('enforces the size limit before parsing', () => {
    expect(() => parseMetadata(vectorFile('ecdsa-server', 'targets'), 'targets', 100)).toThrowError(
      expect.objectContaining({ code: 'TOO_LARGE' }),
    );
  });

  it('rejects invalid UTF-8 and invalid JSON with BAD_METADATA', () => {
    expect(() => parseMetadata(new Uint8Array([0x7b, 0xff, 0x7d]), 'root')).toThrowError(/not valid UTF-8/);
    expect(() => parseMetadata(Buffer.from('{"signed":'), 'root')).toThrowError(/not valid JSON/);
  });

  it('keeps an unusable delegation key listed but never usable (as Notary does)', () => {
    const doc = targets();
    const [id] = Object.keys(doc.signed.delegations.keys);
    doc.signed.delegations.keys[id!] = { keytype: 'rsa', keyval: { private: null, public: 'AAAA' } };
    const md = parseTargets(enc(doc));
    expect(md.keys.has(id!)).toBe(false);
    expect(md.signed.delegations.roles.length).toBeGreaterThan(0);
  });

  it('refuses delegations that are not children of the parent, or badly named', () => {
    for (const name of ['targets/Upper', 'targets/a/../b', 'other/x', 'targets/releases/x']) {
      const doc = targets();
      doc.signed.delegations.roles[0]!.name = name;
      expect(() => parseMetadata(enc(doc), 'targets'), name).toThrowError(/invalid delegation/);
    }
  });

  it('drops custom:null (Go omits a nil RawMessage) and keeps unknown fields', () => {
    const doc = targets();
    const t = doc.signed.targets as Record<string, Record<string, unknown>>;
    t.latest!.custom = null;
    doc.signed.x_extra = { keep: true };
    const md = parseTargets(enc(doc));
    expect('custom' in (md.signed.targets.latest as object)).toBe(false);
    expect(md.canonicalText()).toContain('"x_extra":{"keep":true}');
  });
});

describe('no differential with Go (encoding/json as Notary reads metadata)', () => {
  const text = () => Buffer.from(vectorFile('ecdsa-server', 'targets')).toString();
  const bad = (bytes: Uint8Array | string, pattern: RegExp, opts?: Parameters<typeof parseMetadata>[2]) =>
    expect(() =>
      parseMetadata(typeof bytes === 'string' ? Buffer.from(bytes) : bytes, 'targets', opts),
    ).toThrowError(
      expect.objectContaining({
        code: 'BAD_METADATA',
        role: 'targets',
        message: expect.stringMatching(pattern),
      }),
    );

  it('refuses a key Go would store in a struct field case-insensitively', () => {
    type Doc = ReturnType<typeof targets>;
    type Obj = Record<string, unknown>;
    const latest = (d: Doc) => (d.signed.targets as Record<string, Obj>).latest!;
    const role0 = (d: Doc) => d.signed.delegations.roles[0] as unknown as Obj;
    // [key, the object it goes in, its value]
    const variants: [string, (d: Doc) => Obj, (d: Doc) => unknown][] = [
      ['Targets', (d) => d.signed, (d) => ({ latest: latest(d) })],
      ['\u017figned', (d) => d as unknown as Obj, (d) => d.signed],
      ['expire\u017f', (d) => d.signed, () => '2099-01-01T00:00:00Z'],
      ['VERSION', (d) => d.signed, () => 9],
      ['_TYPE', (d) => d.signed, () => 'Targets'],
      ['\u212Aeyid', (d) => d.signatures[0] as Obj, () => 'x'],
      ['Length', latest, () => 1],
      ['cu\u017ftom', latest, () => ({})],
      ['Threshold', role0, () => 1],
      ['PATHS', role0, () => ['']],
      ['Roles', (d) => d.signed.delegations as unknown as Obj, () => []],
    ];
    for (const [name, holder, value] of variants) {
      const d = targets();
      holder(d)[name] = value(d);
      bad(
        enc(d),
        new RegExp(
          `${JSON.stringify(name).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}.*Go \\(Notary, docker\\) reads this key as field`,
        ),
      );
    }
    const d = targets();
    const [id] = Object.keys(d.signed.delegations.keys);
    (d.signed.delegations.keys[id!] as Record<string, unknown>).KeyType = 'ecdsa';
    bad(enc(d), /KeyType.*field "keytype" of TUFKey/);
    const e = targets();
    (e.signed.delegations.keys[id!] as Record<string, Record<string, unknown>>).keyval!.Public = 'AAAA';
    bad(enc(e), /Public.*field "public" of KeyPair/);
  });

  it('accepts what Go also reads as we do: map keys differing in case, unknown fields, non-folding runes', () => {
    const d = targets();
    const t = d.signed.targets as Record<string, unknown>;
    t.Latest = t.latest;
    t.LATEST = t.latest;
    d.signed.x_extra = { Targets: 1, targets: 2 };
    d.signed['v\u00e9rsion'] = 3; // é never folds to an ASCII letter
    d.signed.expires_at = 'kept';
    const md = parseTargets(enc(d));
    expect(Object.keys(md.signed.targets)).toEqual(expect.arrayContaining(['latest', 'Latest', 'LATEST']));
  });

  it('refuses a key repeated anywhere (Go merges repeated struct maps, JSON.parse keeps the last)', () => {
    const src = text();
    // a second "targets" map before the real one: Go's struct would see both, we the last only
    bad(
      src.replace('"signed":{', '"signed":{"targets":{"evil":{"length":1,"hashes":{}}},'),
      /same key twice/,
    );
    bad(src.replace('"version":', '"version":1,"version":'), /same key twice/);
    bad(src.replace(/"latest":\{/, '"latest":{"length":1,'), /same key twice/);
    // inside data Go keeps raw (custom): refused too
    const d = targets();
    (d.signed.targets as Record<string, Record<string, unknown>>).latest!.custom = { a: 1 };
    bad(enc(d).toString().replace('"custom":{"a":1}', '"custom":{"a":1,"a":2}'), /same key twice/);
  });

  it('refuses a UTF-8 byte order mark, which Go refuses and TextDecoder strips', () => {
    bad(
      Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), vectorFile('ecdsa-server', 'targets')]),
      /byte order mark/,
    );
  });

  it('refuses numbers with a fraction or exponent, and -0, where Notary writes integers', () => {
    const src = text();
    const v = /"version":(\d+)/.exec(src)![1]!;
    bad(src.replace(`"version":${v}`, `"version":${v}.0`), /fraction/);
    bad(src.replace(`"version":${v}`, `"version":${v}e0`), /exponent/);
    bad(src.replace(`"version":${v}`, `"version":${v}E+0`), /exponent/);
    bad(src.replace(/"length":(\d+)/, '"length":$1.00'), /fraction/);
    bad(src.replace(/"threshold":(\d+)/, '"threshold":$1.0'), /fraction/);
    bad(src.replace(/"length":(\d+)/, '"length":-0'), /-0/);
    // strings with digits, dots and e's are not numbers
    const d = targets();
    (d.signed.targets as Record<string, unknown>)['1.0e5-rc.1'] = (
      d.signed.targets as Record<string, unknown>
    ).latest;
    expect(() => parseTargets(enc(d))).not.toThrow();
  });

  it('refuses nesting deeper than the limit (32 by default) before parsing; the limit is configurable', () => {
    const nested = (levels: number) => {
      const d = targets();
      let v: unknown = [];
      for (let i = 0; i < levels; i++) v = { k: v };
      (d.signed.targets as Record<string, Record<string, unknown>>).latest!.custom = v;
      return enc(d);
    };
    // document(1) signed(2) targets(3) latest(4) custom(5..): 27 levels of custom fit in 32
    expect(() => parseTargets(nested(27))).not.toThrow();
    bad(nested(28), /nests deeper than 32 levels/);
    expect(() => parseTargets(nested(40), 'targets', { maxDepth: 64 })).not.toThrow();
    bad(Buffer.from('['.repeat(1_000_000)), /nests deeper than 32 levels/);
  });

  it('refuses an escaped lone surrogate (Go reads U+FFFD), accepts an escaped pair', () => {
    const src = text();
    bad(src.replace('"latest":', '"\\ud800":{"length":1,"hashes":{}},"latest":'), /lone surrogate/);
    bad(src.replace('"latest":', '"a\\uDC00b":{"length":1,"hashes":{}},"latest":'), /lone surrogate/);
    const ok = src.replace('"latest":', '"\\ud83d\\ude00":{"length":1,"hashes":{}},"latest":');
    expect(Object.keys(parseTargets(Buffer.from(ok)).signed.targets)).toContain('\u{1F600}');
  });
});
