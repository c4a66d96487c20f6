import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { ed25519Vectors, hexBytes } from '../../vectors/crypto-oracle/vectors.js';
import {
  type CryptoBackendName,
  digest,
  ed25519PublicFromSeed,
  ed25519Sign,
  ed25519Verify,
  getCryptoBackend,
  selectCryptoBackend,
  sha256,
  sha512,
} from './backend.js';
import { setCryptoBackend } from './noble.js';

const BACKENDS: CryptoBackendName[] = ['node', 'noble'];
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

afterEach(() => setCryptoBackend('node'));

describe('backend selection', () => {
  it('defaults to node and switches', () => {
    expect(getCryptoBackend()).toBe('node');
    setCryptoBackend('noble');
    expect(getCryptoBackend()).toBe('noble');
    expect(() => setCryptoBackend('webcrypto' as CryptoBackendName)).toThrow(TypeError);
    expect(getCryptoBackend()).toBe('noble');
  });

  it('selects noble only with its primitives (the CLI bundles never load them)', () => {
    expect(() => selectCryptoBackend('noble')).toThrow(TypeError);
    expect(getCryptoBackend()).toBe('node');
    setCryptoBackend('noble');
    expect(() => selectCryptoBackend('noble')).toThrow(TypeError);
    expect(getCryptoBackend()).toBe('noble');
    selectCryptoBackend('node');
    expect(getCryptoBackend()).toBe('node');
  });
});

describe.each(BACKENDS)('hashes (%s)', (backend) => {
  it('match FIPS 180 vectors', () => {
    setCryptoBackend(backend);
    const abc = new TextEncoder().encode('abc');
    expect(hex(sha256(abc))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(hex(sha512(abc))).toBe(
      'ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f',
    );
    expect(hex(digest('sha384', abc))).toBe(
      'cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7',
    );
    expect(hex(sha256(new Uint8Array(0)))).toBe(
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
  });

  it('agree with node:crypto on random input', () => {
    setCryptoBackend(backend);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (data) => {
        expect(hex(sha256(data))).toBe(createHash('sha256').update(data).digest('hex'));
        expect(hex(sha512(data))).toBe(createHash('sha512').update(data).digest('hex'));
      }),
      { numRuns: 100 },
    );
  });
});

describe.each(BACKENDS)('ed25519 (%s) agrees with Go crypto/ed25519', (backend) => {
  it.each(ed25519Vectors.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    setCryptoBackend(backend);
    expect(ed25519Verify(hexBytes(c.pub), hexBytes(c.msg), hexBytes(c.sig))).toBe(c.go);
  });
});

describe('ed25519 edge vectors really exercise the edges', () => {
  it('cover both verdicts on the small-order / non-canonical cases', () => {
    const byName = new Map(ed25519Vectors.map((c) => [c.name, c.go]));
    // Go accepts these (noble's own verify({zip215:false}) would not) ...
    expect(byName.get('A=identity R=identity S=0 (small-order key)')).toBe(true);
    expect(byName.get('A=identity non-canonical y=p+1')).toBe(true);
    // ... and rejects these (noble's cofactored verify would accept the torsion one).
    expect(byName.get('R + torsion (cofactored-only valid)')).toBe(false);
    expect(byName.get('non-canonical S (S+L)')).toBe(false);
    expect(byName.get('R=identity non-canonical y=p+1')).toBe(false);
  });
});

// SUPERCOP vectors shipped with Go (the first ones are RFC 8032 section 7.1).
const signInput = ed25519Vectors
  .filter((c) => c.seed !== undefined)
  .map((c) => ({ seed: hexBytes(c.seed as string), pub: c.pub, msg: hexBytes(c.msg), sig: c.sig }));

describe.each(BACKENDS)('ed25519 signing (%s)', (backend) => {
  it('reproduces RFC 8032 / SUPERCOP signatures byte for byte', () => {
    setCryptoBackend(backend);
    expect(signInput.length).toBeGreaterThan(40);
    for (const v of signInput) {
      expect(hex(ed25519PublicFromSeed(v.seed))).toBe(v.pub);
      expect(hex(ed25519Sign(v.seed, v.msg))).toBe(v.sig);
    }
  });
});

describe('ed25519 differential: node (OpenSSL) vs noble (Go algorithm)', () => {
  const seed = hexBytes('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60');
  const pub = ed25519PublicFromSeed(seed);

  it('agree on mutated signatures, keys and messages', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 64 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 127 }), fc.integer({ min: 0, max: 7 })), {
          maxLength: 3,
        }),
        fc.boolean(),
        (msg, flips, flipKey) => {
          const sig = ed25519Sign(seed, msg);
          const key = Uint8Array.from(pub);
          for (const [pos, bit] of flips) {
            if (flipKey && pos < 32) key[pos] = (key[pos] as number) ^ (1 << bit);
            else sig[pos % 64] = (sig[pos % 64] as number) ^ (1 << bit);
          }
          setCryptoBackend('node');
          const viaNode = ed25519Verify(key, msg, sig);
          setCryptoBackend('noble');
          const viaNoble = ed25519Verify(key, msg, sig);
          expect(viaNoble).toBe(viaNode);
          if (flips.length === 0) expect(viaNode).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('agree on arbitrary bytes', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 64, maxLength: 64 }),
        (k, s) => {
          setCryptoBackend('node');
          const a = ed25519Verify(k, Uint8Array.of(1), s);
          setCryptoBackend('noble');
          expect(ed25519Verify(k, Uint8Array.of(1), s)).toBe(a);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('never throw on wrong lengths', () => {
    for (const backend of BACKENDS) {
      setCryptoBackend(backend);
      expect(ed25519Verify(new Uint8Array(31), Uint8Array.of(), new Uint8Array(64))).toBe(false);
      expect(ed25519Verify(pub, Uint8Array.of(), new Uint8Array(63))).toBe(false);
    }
  });
});
