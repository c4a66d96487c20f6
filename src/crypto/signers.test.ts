import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { inspect } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { b64Bytes, ed25519Vectors, hexBytes, signatureVectors } from '../../vectors/crypto-oracle/vectors.js';
import { FormatError, LocalError } from '../errors.js';
import type { CryptoBackendName } from './backend.js';
import { computeKeyId, parsePublicKey } from './keys.js';
import { setCryptoBackend } from './noble.js';
import {
  generateSigner,
  type PrivateKeyAlgorithm,
  signerFromEd25519Seed,
  signerFromKeyObject,
  signerFromPkcs8Der,
  withCertificate,
} from './signers.js';
import { verifySignature } from './verify.js';
import { createRootCertificate } from './x509.js';

const BACKENDS: CryptoBackendName[] = ['node', 'noble'];
const msg = new TextEncoder().encode('payload');

afterEach(() => setCryptoBackend('node'));

describe('generateSigner', () => {
  it.each([
    ['ed25519', 'ed25519', 'eddsa', 64],
    ['ecdsa', 'ecdsa', 'ecdsa', 64],
    ['rsa', 'rsa', 'rsapss', 256],
  ] as const)('%s → keytype %s, method %s, %d-byte signatures', (alg, keytype, method, sigLen) => {
    const s = generateSigner(alg);
    expect(s.algorithm).toBe(alg);
    expect(s.publicKey.keytype).toBe(keytype);
    expect(s.method).toBe(method);
    expect(s.publicKey.id).toBe(computeKeyId(keytype, s.publicKey.publicB64));
    const sig = s.sign(msg);
    expect(sig.length).toBe(sigLen);
    expect(verifySignature(s.publicKey, method, sig, msg)).toBe(true);
  });

  it('makes P-256 keys by default and P-384 on request', () => {
    expect(generateSigner('ecdsa').keyObject.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    const p384 = generateSigner('ecdsa', { curve: 'P-384' });
    expect(p384.keyObject.asymmetricKeyDetails?.namedCurve).toBe('secp384r1');
    const sig = p384.sign(msg);
    expect(sig.length).toBe(96);
    expect(verifySignature(p384.publicKey, 'ecdsa', sig, msg)).toBe(true);
  });

  it('refuses RSA below 2048 bits', () => {
    expect(() => generateSigner('rsa', { rsaBits: 1024 })).toThrow(LocalError);
    expect(() => generateSigner('dsa' as PrivateKeyAlgorithm)).toThrow(LocalError);
  });
});

describe('signatures Notary accepts', () => {
  it('our ecdsa/rsa signing parameters are the ones Go verified in the vectors', () => {
    // "via node" vectors were produced with exactly the calls the signers make, and Go accepted them.
    for (const name of ['ieee-p1363 via node', 'PSS salt 32 via node', 'ed25519 sig via node']) {
      const cases = signatureVectors.cases.filter(
        (c) => c.name === name && !/compressed|rsa1024/.test(c.key ?? ''),
      );
      expect(cases.length).toBeGreaterThan(0);
      for (const c of cases) expect(c.go, `${c.key} ${name}`).toBe(true);
    }
  });

  it('signers built from the vector keys verify like Notary-made signatures', () => {
    for (const [name, der] of Object.entries(signatureVectors.keys)) {
      if (name === 'rsa1024') {
        expect(() => signerFromPkcs8Der(b64Bytes(der))).toThrow(FormatError);
        continue;
      }
      const s = signerFromPkcs8Der(b64Bytes(der));
      const notary = signatureVectors.cases.find(
        (c) => c.key === name && c.name === `notary sig, method ${s.method}`,
      );
      expect(notary?.go, name).toBe(true);
      expect(s.publicKey.publicB64).toBe(notary?.pub);
      const sig = s.sign(b64Bytes(notary?.msg as string));
      expect(verifySignature(s.publicKey, s.method, sig, b64Bytes(notary?.msg as string))).toBe(true);
    }
  });
});

describe('serialisation', () => {
  it.each(['ed25519', 'ecdsa', 'rsa'] as PrivateKeyAlgorithm[])('%s PKCS#8 round-trips', (alg) => {
    const s = generateSigner(alg);
    const der = s.toPkcs8Der();
    const again = signerFromPkcs8Der(der);
    expect(again.publicKey).toEqual(s.publicKey);
    expect(verifySignature(s.publicKey, s.method, again.sign(msg), msg)).toBe(true);
    expect(
      signerFromKeyObject(createPrivateKey({ key: Buffer.from(der), format: 'der', type: 'pkcs8' })).publicKey
        .id,
    ).toBe(s.publicKey.id);
  });

  it('ed25519 exposes its seed; others refuse', () => {
    const s = generateSigner('ed25519');
    const seed = s.ed25519Seed();
    expect(seed.length).toBe(32);
    expect(signerFromEd25519Seed(seed).publicKey).toEqual(s.publicKey);
    expect(() => generateSigner('ecdsa').ed25519Seed()).toThrow(LocalError);
  });

  it('never shows private material in JSON or inspect', () => {
    const s = generateSigner('ed25519');
    const seedHex = Buffer.from(s.ed25519Seed()).toString('hex');
    const seedB64 = Buffer.from(s.ed25519Seed()).toString('base64');
    const shown = JSON.stringify(s) + inspect(s, { depth: 5, showHidden: true });
    expect(shown).toContain(s.publicKey.id);
    expect(shown).not.toContain(seedHex);
    expect(shown).not.toContain(seedB64);
    expect(shown).not.toContain(seedB64.slice(0, 20));
  });

  it('rejects bad inputs with FormatError BAD_KEY', () => {
    expect(() => signerFromEd25519Seed(new Uint8Array(31))).toThrow(FormatError);
    expect(() => signerFromPkcs8Der(Uint8Array.of(1, 2, 3))).toThrow(FormatError);
    const { publicKey } = generateKeyPairSync('ed25519');
    expect(() => signerFromKeyObject(publicKey)).toThrow(FormatError);
    const weak = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey;
    expect(() => signerFromKeyObject(weak)).toThrow(FormatError);
    const x448 = generateKeyPairSync('x448').privateKey;
    expect(() => signerFromKeyObject(x448)).toThrow(FormatError);
  });
});

describe.each(BACKENDS)('ed25519 seed signing (%s)', (backend) => {
  it('matches RFC 8032 test vectors', () => {
    setCryptoBackend(backend);
    const vectors = ed25519Vectors.filter((c) => c.seed !== undefined).slice(0, 8);
    expect(vectors.length).toBe(8);
    for (const v of vectors) {
      const s = signerFromEd25519Seed(hexBytes(v.seed as string));
      expect(Buffer.from(s.publicKey.publicB64, 'base64').toString('hex')).toBe(v.pub);
      expect(Buffer.from(s.sign(hexBytes(v.msg))).toString('hex')).toBe(v.sig);
    }
  });
});

describe('withCertificate', () => {
  it.each(['ecdsa', 'rsa'] as PrivateKeyAlgorithm[])('presents a %s root key as its certificate', (alg) => {
    const s = generateSigner(alg);
    const pem = createRootCertificate(s, 'docker.io/library/x');
    const c = withCertificate(s, pem);
    expect(c.publicKey.keytype).toBe(`${alg}-x509`);
    expect(Buffer.from(c.publicKey.publicB64, 'base64').toString('latin1')).toBe(pem);
    expect(c.bareKey).toEqual(s.publicKey);
    expect(c.publicKey.id).not.toBe(s.publicKey.id);
    expect(c.method).toBe(s.method);
    const sig = c.sign(msg);
    expect(verifySignature(c.publicKey, c.method, sig, msg)).toBe(true);
    expect(
      parsePublicKey({
        keytype: c.publicKey.keytype,
        keyval: { private: null, public: c.publicKey.publicB64 },
      }),
    ).toEqual(c.publicKey);
  });

  it('refuses a certificate for another key, and ed25519 signers', () => {
    const s = generateSigner('ecdsa');
    const pem = createRootCertificate(generateSigner('ecdsa'), 'docker.io/library/x');
    expect(() => withCertificate(s, pem)).toThrow(expect.objectContaining({ code: 'BAD_CERTIFICATE' }));
    expect(() => withCertificate(generateSigner('ed25519'), pem)).toThrow(
      expect.objectContaining({ code: 'BAD_CERTIFICATE' }),
    );
    expect(() => withCertificate(s, 'not a pem')).toThrow(
      expect.objectContaining({ code: 'BAD_CERTIFICATE' }),
    );
  });
});
