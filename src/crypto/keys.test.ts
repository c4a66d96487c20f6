import { X509Certificate } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { keyIdVectors, signatureVectors } from '../../vectors/crypto-oracle/vectors.js';
import { FormatError } from '../errors.js';
import {
  bareKeyOf,
  canonicalKeyId,
  certificateInfoOf,
  certificateOf,
  computeKeyId,
  keyToJson,
  parsePublicKey,
  publicKeyBytes,
  publicKeyFromBytes,
} from './keys.js';
import type { KeyType } from './types.js';

const keyJson = (keytype: string, pub: unknown, priv: unknown = null) => ({
  keytype,
  keyval: { private: priv, public: pub },
});

function pubOf(name: string): { keytype: string; pub: string } {
  const c = signatureVectors.cases.find((x) => x.key === name);
  if (c === undefined) throw new Error(`no vector key ${name}`);
  return { keytype: c.keytype, pub: c.pub };
}

function badKeyError(f: () => unknown): FormatError {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(FormatError);
    expect((err as FormatError).code).toBe('BAD_KEY');
    return err as FormatError;
  }
  throw new Error('expected a BAD_KEY error');
}

describe('key ids (data.TUFKey.ID)', () => {
  it('match a hand-checked id from the notary 0.3 fixture root.json', () => {
    // root.json lists this ecdsa key under this id.
    const pub =
      'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAENgK7kx/HdvmLUG4733JIJd0Bv6FML8SVEmgGynvhl64nCVmWzTLdziS1bMUgb6hlSkqTYtvyOCC5YMY+GrAH+Q==';
    expect(computeKeyId('ecdsa', pub)).toBe(
      '041b64dab281324ef2b62fd2d04f4758269e120ff063b7bc78709272821a0a02',
    );
    expect(parsePublicKey(keyJson('ecdsa', pub)).id).toBe(
      '041b64dab281324ef2b62fd2d04f4758269e120ff063b7bc78709272821a0a02',
    );
  });

  const usable = keyIdVectors.filter((c) => c.name !== 'rsa1024' && c.name !== 'ecdsa-p256-compressed');
  it.each(usable.map((c) => [`${c.name} (${c.keytype})`, c] as const))('%s', (_n, c) => {
    expect(computeKeyId(c.keytype, c.pub)).toBe(c.id);
    const key = parsePublicKey(keyJson(c.keytype, c.pub));
    expect(key.id).toBe(c.id);
    expect(key.publicB64).toBe(c.pub);
    expect(canonicalKeyId(key)).toBe(c.canonical);
  });

  it('covers every key type', () => {
    expect(new Set(usable.map((c) => c.keytype))).toEqual(
      new Set(['ed25519', 'ecdsa', 'rsa', 'ecdsa-x509', 'rsa-x509']),
    );
  });

  it('computes ids of unusable keys too (ids are over bytes)', () => {
    for (const c of keyIdVectors) expect(computeKeyId(c.keytype, c.pub)).toBe(c.id);
  });
});

describe('parsePublicKey strict validation', () => {
  const ed = pubOf('ed25519');
  const ec = pubOf('ecdsa-p256');

  it('accepts each key type and round-trips through keyToJson', () => {
    for (const name of [
      'ed25519',
      'ecdsa-p256',
      'ecdsa-p384',
      'ecdsa-p521',
      'rsa2048',
      'ecdsa-x509-p256',
      'rsa-x509-2048',
    ]) {
      const { keytype, pub } = pubOf(name);
      const key = parsePublicKey(keyJson(keytype, pub));
      expect(keyToJson(key)).toEqual(keyJson(keytype, pub));
      expect(parsePublicKey(keyToJson(key))).toEqual(key);
      expect(Buffer.from(publicKeyBytes(key)).toString('base64')).toBe(pub);
    }
  });

  it('accepts an absent private field and ignores unknown fields (as Go)', () => {
    expect(parsePublicKey({ keytype: 'ed25519', keyval: { public: ed.pub }, extra: 1 }).id).toBe(
      computeKeyId('ed25519', ed.pub),
    );
  });

  it('normalises Go-decodable base64 (line breaks) and hashes the canonical form', () => {
    const wrapped = `${ec.pub.slice(0, 20)}\n${ec.pub.slice(20)}`;
    const key = parsePublicKey(keyJson('ecdsa', wrapped));
    expect(key.publicB64).toBe(ec.pub);
    expect(key.id).toBe(computeKeyId('ecdsa', ec.pub));
  });

  it.each([
    ['not an object', 'x'],
    ['array', []],
    ['null', null],
    ['unknown keytype', keyJson('ed448', ed.pub)],
    ['keytype wrong case', keyJson('ED25519', ed.pub)],
    ['keyval missing', { keytype: 'ed25519' }],
    ['public missing', { keytype: 'ed25519', keyval: { private: null } }],
    ['public not a string', keyJson('ed25519', 42)],
    ['private material present', keyJson('ed25519', ed.pub, 'c2VjcmV0')],
    ['url-safe base64', keyJson('ecdsa', ec.pub.replace(/\+/g, '-').replace(/\//g, '_'))],
    ['base64 without padding', keyJson('ed25519', ed.pub.replace(/=+$/, ''))],
    ['base64 with spaces', keyJson('ed25519', ` ${ed.pub}`)],
    ['ed25519 of 31 bytes', keyJson('ed25519', Buffer.alloc(31, 1).toString('base64'))],
    ['ed25519 of 33 bytes', keyJson('ed25519', Buffer.alloc(33, 1).toString('base64'))],
    ['ecdsa with garbage DER', keyJson('ecdsa', Buffer.from('garbage').toString('base64'))],
    ['ecdsa compressed point (Go rejects)', keyJson('ecdsa', pubOf('ecdsa-p256-compressed').pub)],
    ['ecdsa holding an RSA key', keyJson('ecdsa', pubOf('rsa2048').pub)],
    ['rsa holding an EC key', keyJson('rsa', ec.pub)],
    ['rsa of 1024 bits', keyJson('rsa', pubOf('rsa1024').pub)],
    ['ecdsa-x509 holding an RSA certificate', keyJson('ecdsa-x509', pubOf('rsa-x509-2048').pub)],
    ['rsa-x509 holding an EC certificate', keyJson('rsa-x509', pubOf('ecdsa-x509-p256').pub)],
    ['ecdsa-x509 that is a bare key', keyJson('ecdsa-x509', ec.pub)],
    [
      'ecdsa-x509 PEM garbage',
      keyJson(
        'ecdsa-x509',
        Buffer.from('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n').toString('base64'),
      ),
    ],
  ])('rejects %s with BAD_KEY', (_n, json) => {
    badKeyError(() => parsePublicKey(json));
  });

  it('names the role and key id in the error', () => {
    const err = badKeyError(() =>
      parsePublicKey(keyJson('ed25519', 'AAAA'), { role: 'targets/releases', keyId: 'abc123' }),
    );
    expect(err.message).toContain('targets/releases');
    expect(err.message).toContain('abc123');
    expect(err.role).toBe('targets/releases');
  });

  it('throws only FormatError BAD_KEY on arbitrary JSON', () => {
    const arbitraryKey = fc.oneof(
      fc.jsonValue(),
      fc.record({
        keytype: fc.oneof(fc.constantFrom('ed25519', 'ecdsa', 'rsa', 'ecdsa-x509', 'rsa-x509'), fc.string()),
        keyval: fc.oneof(
          fc.jsonValue(),
          fc.record({
            private: fc.constantFrom(null, undefined, ''),
            public: fc.oneof(
              fc.base64String(),
              fc.uint8Array({ maxLength: 120 }).map((b) => Buffer.from(b).toString('base64')),
            ),
          }),
        ),
      }),
    );
    fc.assert(
      fc.property(arbitraryKey, (json) => {
        try {
          const key = parsePublicKey(json);
          expect(key.id).toMatch(/^[0-9a-f]{64}$/);
        } catch (err) {
          expect(err).toBeInstanceOf(FormatError);
          expect((err as FormatError).code).toBe('BAD_KEY');
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('x509 keys', () => {
  const cert = pubOf('ecdsa-x509-p256');
  const bare = pubOf('ecdsa-p256');

  it('expose the leaf certificate', () => {
    const key = parsePublicKey(keyJson(cert.keytype, cert.pub));
    const x = certificateOf(key);
    expect(x).toBeInstanceOf(X509Certificate);
    expect(x.subject).toBe('CN=docker.io/library/vectors');
    const info = certificateInfoOf(key);
    expect(info.commonName).toBe('docker.io/library/vectors');
    expect(info.publicKeyAlgorithm).toBe('ecdsa');
    expect(info.isCA).toBe(false);
  });

  it('bareKeyOf gives the certified key (its id names Notary private key files)', () => {
    const key = parsePublicKey(keyJson(cert.keytype, cert.pub));
    const b = bareKeyOf(key);
    expect(b.keytype).toBe('ecdsa');
    expect(b.publicB64).toBe(bare.pub);
    const plain = parsePublicKey(keyJson('ed25519', pubOf('ed25519').pub));
    expect(bareKeyOf(plain)).toBe(plain);
  });

  it('certificateOf refuses bare keys', () => {
    badKeyError(() => certificateOf(parsePublicKey(keyJson('ecdsa', bare.pub))));
  });

  it('publicKeyFromBytes validates like parsePublicKey', () => {
    const bytes = Buffer.from(bare.pub, 'base64');
    expect(publicKeyFromBytes('ecdsa', bytes).id).toBe(computeKeyId('ecdsa', bare.pub));
    badKeyError(() => publicKeyFromBytes('ed25519' as KeyType, bytes));
  });
});
