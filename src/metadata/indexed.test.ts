import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../encoding/canonical.js';
import { parseTargetsIndexed } from './indexed.js';
import { parseTargets } from './parse.js';

const enc = new TextEncoder();
const entry = (n: number) => ({ hashes: { sha256: Buffer.alloc(32, n).toString('base64') }, length: n });

function targetsDoc(targets: Record<string, unknown>): Uint8Array {
  const signed = {
    _type: 'Targets',
    delegations: { keys: {}, roles: [] },
    expires: '2030-01-01T00:00:00Z',
    targets,
    version: 3,
  };
  return enc.encode(`{"signed":${canonicalJson(signed)},"signatures":[]}`);
}

describe('parseTargetsIndexed', () => {
  const targets: Record<string, unknown> = { v1: entry(1), '10': entry(10), '1': entry(2), é: entry(4) };
  Object.defineProperty(targets, '__proto__', { value: entry(5), enumerable: true });
  for (let i = 0; i < 50; i++) targets[`t${i}`] = { ...entry(i), custom: { t1: entry(99) } };
  const bytes = targetsDoc(targets);

  it('reads as the strict parser reads: each entry, the listing, canonical bytes, expiry', () => {
    const strict = parseTargets(bytes);
    const lazy = parseTargetsIndexed(bytes, 'targets')!;
    expect(lazy).not.toBeNull();
    for (const k of ['v1', '10', '1', 'é', '__proto__', 't7', 'missing', 'constructor']) {
      expect(lazy.signed.targets[k], k).toEqual(
        Object.hasOwn(strict.signed.targets, k) ? strict.signed.targets[k] : undefined,
      );
      expect(Object.hasOwn(lazy.signed.targets, k), k).toBe(Object.hasOwn(strict.signed.targets, k));
    }
    expect(lazy.version).toBe(3);
    expect(lazy.expiresMs).toBe(strict.expiresMs);
    expect(Object.keys(lazy.signed.targets)).toEqual(Object.keys(strict.signed.targets));
    expect(Buffer.from(parseTargetsIndexed(bytes, 'targets')!.canonicalBytes())).toEqual(
      Buffer.from(strict.canonicalBytes()),
    );
  });

  it('an entry the strict parser refuses is refused on lookup, with its error', () => {
    const bad = targetsDoc({ ok: entry(1), bad: { hashes: { sha256: 'not base64!' }, length: 1 } });
    const lazy = parseTargetsIndexed(bad, 'targets')!;
    expect(lazy.signed.targets.ok).toEqual(entry(1));
    expect(() => lazy.signed.targets.bad).toThrow(/targets\."bad"\.hashes\.sha256/);
  });

  it('null when the map cannot be located soundly; the rest of the document is parsed strictly', () => {
    expect(
      parseTargetsIndexed(enc.encode('{"signed":{"Targets":{}},"signatures":[]}'), 'targets'),
    ).toBeNull();
    const wrongType = enc.encode(
      '{"signed":{"_type":"Root","expires":"2030-01-01T00:00:00Z","targets":{},"version":1},"signatures":[]}',
    );
    expect(() => parseTargetsIndexed(wrongType, 'targets')).toThrow(/_type/);
  });
});
