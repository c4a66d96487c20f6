import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { b64Bytes, type SigCase, signatureVectors } from '../../vectors/crypto-oracle/vectors.js';
import type { CryptoBackendName } from './backend.js';
import { computeKeyId, KEY_TYPES } from './keys.js';
import { setCryptoBackend } from './noble.js';
import { generateSigner, type PrivateKeyAlgorithm } from './signers.js';
import type { KeyType, TufPublicKey } from './types.js';
import { methodAcceptsKeyType, verifySignature } from './verify.js';

const BACKENDS: CryptoBackendName[] = ['node', 'noble'];

afterEach(() => setCryptoBackend('node'));

/** A key object as the metadata layer would hand it over (no validation). */
function rawKey(c: { keytype: string; pub: string }): TufPublicKey {
  return { keytype: c.keytype as KeyType, publicB64: c.pub, id: computeKeyId(c.keytype, c.pub) };
}

function expected(c: SigCase): boolean {
  // Documented divergence: we are stricter than Go 1.19 (see divergence text).
  return c.divergence === undefined ? c.go : false;
}

describe.each(BACKENDS)('verifySignature matches notary tuf/signed verifiers (%s)', (backend) => {
  it.each(signatureVectors.cases.map((c) => [`${c.key} ${c.name} [${c.method}]`, c] as const))(
    '%s',
    (_n, c) => {
      setCryptoBackend(backend);
      expect(verifySignature(rawKey(c), c.method, b64Bytes(c.sig), b64Bytes(c.msg))).toBe(expected(c));
    },
  );

  it.each(signatureVectors.fixtures.map((c, i) => [`${c.name} #${i} ${c.keytype}/${c.method}`, c] as const))(
    'real notary metadata signature %s',
    (_n, c) => {
      setCryptoBackend(backend);
      expect(c.go).toBe(true);
      expect(verifySignature(rawKey(c), c.method, b64Bytes(c.sig), b64Bytes(c.msg))).toBe(true);
      const tampered = Uint8Array.from(b64Bytes(c.msg));
      tampered[tampered.length - 2] = (tampered[tampered.length - 2] as number) ^ 1;
      expect(verifySignature(rawKey(c), c.method, b64Bytes(c.sig), tampered)).toBe(false);
    },
  );
});

describe('vector coverage', () => {
  it('includes accepted signatures of every key type and method', () => {
    const accepted = new Set(
      [...signatureVectors.cases, ...signatureVectors.fixtures]
        .filter((c) => c.go)
        .map((c) => `${c.keytype}/${c.method}`),
    );
    for (const combo of [
      'ed25519/eddsa',
      'ecdsa/ecdsa',
      'ecdsa-x509/ecdsa',
      'rsa/rsapss',
      'rsa-x509/rsapss',
      'rsa/rsapkcs1v15',
      'rsa-x509/rsapkcs1v15',
    ]) {
      expect(accepted, combo).toContain(combo);
    }
    const kinds = new Set(signatureVectors.fixtures.map((c) => c.name.split('/')[0]));
    expect(kinds).toContain('notary0.3-fixture');
    // metadata published by the real notary 0.7 client + server (notary-samples.sh)
    const real = new Set(
      signatureVectors.fixtures
        .filter((c) => c.name.startsWith('notary0.7-'))
        .map((c) => `${c.keytype}/${c.method}`),
    );
    expect(real).toEqual(
      new Set(['ecdsa-x509/ecdsa', 'ecdsa/ecdsa', 'ed25519/eddsa', 'rsa/rsapss', 'rsa-x509/rsapss']),
    );
  });
});

describe('method/key type pairing (verifiers.go)', () => {
  it('accepts only the documented pairs', () => {
    const table: Record<string, string[]> = {
      eddsa: ['ed25519'],
      ecdsa: ['ecdsa', 'ecdsa-x509'],
      rsapss: ['rsa', 'rsa-x509'],
      rsapkcs1v15: ['rsa', 'rsa-x509'],
      'pycrypto-pkcs#1 pss': [],
      '': [],
    };
    for (const [method, types] of Object.entries(table)) {
      for (const t of KEY_TYPES)
        expect(methodAcceptsKeyType(method, t), `${method}/${t}`).toBe(types.includes(t));
    }
  });
});

describe.each(BACKENDS)('sign → verify → tamper (%s)', (backend) => {
  it.each(['ed25519', 'ecdsa', 'rsa'] as PrivateKeyAlgorithm[])('%s', (alg) => {
    setCryptoBackend(backend);
    const signer = generateSigner(alg);
    const msg = new TextEncoder().encode('{"signed":{"_type":"Targets"}}');
    const sig = signer.sign(msg);
    expect(verifySignature(signer.publicKey, signer.method, sig, msg)).toBe(true);
    const badSig = Uint8Array.from(sig);
    badSig[5] = (badSig[5] as number) ^ 0x40;
    expect(verifySignature(signer.publicKey, signer.method, badSig, msg)).toBe(false);
    const badMsg = Uint8Array.from(msg);
    badMsg[3] = (badMsg[3] as number) ^ 1;
    expect(verifySignature(signer.publicKey, signer.method, sig, badMsg)).toBe(false);
    const other = generateSigner(alg);
    expect(verifySignature(other.publicKey, signer.method, sig, msg)).toBe(false);
    for (const m of ['eddsa', 'ecdsa', 'rsapss', 'rsapkcs1v15'].filter((x) => x !== signer.method)) {
      expect(verifySignature(signer.publicKey, m, sig, msg)).toBe(false);
    }
  });
});

describe('verifySignature never throws', () => {
  const keys = signatureVectors.cases
    .filter((c) => c.name.startsWith('notary sig, method eddsa'))
    .map(rawKey);

  it('on random keys, methods, signatures and messages', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.constantFrom(...keys),
          fc.record({
            keytype: fc.constantFrom<KeyType>(...KEY_TYPES),
            publicB64: fc.oneof(
              fc.base64String(),
              fc.string(),
              fc.uint8Array().map((b) => Buffer.from(b).toString('base64')),
            ),
            id: fc.string(),
          }),
        ),
        fc.oneof(fc.constantFrom('eddsa', 'ecdsa', 'rsapss', 'rsapkcs1v15'), fc.string()),
        fc.uint8Array({ maxLength: 600 }),
        fc.uint8Array({ maxLength: 100 }),
        (key, method, sig, msg) => {
          for (const backend of BACKENDS) {
            setCryptoBackend(backend);
            expect(typeof verifySignature(key, method, sig, msg)).toBe('boolean');
          }
        },
      ),
      { numRuns: 400 },
    );
  });

  it('on non-Uint8Array arguments', () => {
    const key = keys[0] as TufPublicKey;
    expect(verifySignature(key, 'eddsa', 'x' as unknown as Uint8Array, new Uint8Array(1))).toBe(false);
    expect(verifySignature(key, 'eddsa', new Uint8Array(64), null as unknown as Uint8Array)).toBe(false);
    expect(verifySignature({} as TufPublicKey, 'eddsa', new Uint8Array(64), new Uint8Array(1))).toBe(false);
  });
});
