import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { b64Bytes, certGenVectors, rootCertVectors } from '../../vectors/crypto-oracle/vectors.js';
import { VerificationError } from '../errors.js';
import { parseCertificateBundle } from './certificate.js';
import { derDecode } from './der.js';
import { certificateInfoOf, computeKeyId, parsePublicKey, publicKeyFromBytes } from './keys.js';
import { generateSigner, signerFromPkcs8Der } from './signers.js';
import type { KeyType, TufPublicKey } from './types.js';
import {
  createRootCertificate,
  matchCommonNameToGun,
  ROOT_CERT_VALIDITY_MS,
  validateRootCertificate,
} from './x509.js';

const GUN = 'docker.io/library/vectors';
const DAY = 86_400_000;

function certKey(pem: string, keytype: KeyType = 'ecdsa-x509'): TufPublicKey {
  return publicKeyFromBytes(keytype, new Uint8Array(Buffer.from(pem, 'latin1')));
}

function rawKey(keytype: string, pub: string): TufPublicKey {
  return { keytype: keytype as KeyType, publicB64: pub, id: computeKeyId(keytype, pub) };
}

function certError(f: () => unknown): VerificationError {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(VerificationError);
    expect((err as VerificationError).code).toBe('BAD_CERTIFICATE');
    expect((err as VerificationError).role).toBe('root');
    return err as VerificationError;
  }
  throw new Error('expected BAD_CERTIFICATE');
}

describe('matchCommonNameToGun (trustpinning.MatchCNToGun)', () => {
  it.each([
    ['docker.io/library/alpine', 'docker.io/library/alpine', true],
    ['docker.io/library/alpine', 'docker.io/library/alpine2', false],
    ['docker.io/library/alpine', 'docker.io/library/alp', false],
    ['docker.io/library/*', 'docker.io/library/alpine', true],
    ['docker.io/library/*', 'docker.io/library/', true],
    ['docker.io/library/*', 'docker.io/other/alpine', false],
    ['docker.io/lib**', 'docker.io/library/alpine', true],
    ['*', 'anything/at/all', true],
    ['docker.io/*/alpine', 'docker.io/x/alpine', false],
    ['', '', true],
  ])('%s vs %s → %s', (cn, gun, ok) => {
    expect(matchCommonNameToGun(cn, gun)).toBe(ok);
  });
});

describe('validateRootCertificate parses a root key once', () => {
  it('the root check and the prepared key share one parse of the bundle (issue 12), and each still checks', () => {
    const c = rootCertVectors.cases.find((x) => x.go && x.name === 'notary ecdsa cert');
    if (!c) throw new Error('vector missing');
    const now = new Date(rootCertVectors.now * 1000);
    const key = rawKey(c.keytype, c.pub);
    const leaf = validateRootCertificate(key, c.gun, now);
    expect(certificateInfoOf(key)).toBe(leaf);
    // the clock and the GUN are checked on every call, whatever was parsed before
    certError(() => validateRootCertificate(key, c.gun, new Date(leaf.notAfter.getTime() + 1)));
    certError(() => validateRootCertificate(key, `${c.gun}x`, now));
    expect(validateRootCertificate(key, c.gun, now)).toBe(leaf);
  });
});

describe('validateRootCertificate agrees with Notary (vectors)', () => {
  const now = new Date(rootCertVectors.now * 1000);
  // Notary re-derives the key from the certificate (CertBundleToKey: retyped by the
  // leaf's algorithm, leaf + valid intermediates re-encoded as Go PEM) and looks the
  // signatures up by that key's id. When that id differs from the listed one the key
  // can never sign; we reject such keys up front.
  const stricter = new Set([
    'ecdsa cert typed rsa-x509',
    'bundle leaf + expired CA',
    'leaf with CRLF line endings',
  ]);

  it.each(rootCertVectors.cases.map((c) => [c.name, c] as const))('%s', (_n, c) => {
    const key = rawKey(c.keytype, c.pub);
    const want = stricter.has(c.name) ? false : c.go;
    if (want) {
      const leaf = validateRootCertificate(key, c.gun, now);
      expect(leaf.publicKeyAlgorithm === 'ecdsa' ? 'ecdsa-x509' : 'rsa-x509').toBe(c.keytype);
      // Notary re-derives single-certificate keys to the same id (bundles are re-encoded with
      // their valid intermediates only, the oracle passes none).
      if (c.id !== undefined && !c.name.startsWith('bundle')) expect(key.id).toBe(c.id);
    } else {
      certError(() => validateRootCertificate(key, c.gun, now));
      if (stricter.has(c.name)) {
        expect(c.go).toBe(true);
        expect(c.id).toBeDefined();
        expect(c.id).not.toBe(key.id);
      }
    }
  });

  it('gives precise reasons', () => {
    const reason = (name: string): string => {
      const c = rootCertVectors.cases.find((x) => x.name === name);
      if (c === undefined) throw new Error(name);
      return certError(() => validateRootCertificate(rawKey(c.keytype, c.pub), c.gun, now)).message;
    };
    expect(reason('wrong gun')).toMatch(
      /common name "docker.io\/library\/vectors" does not match docker.io\/library\/other/,
    );
    expect(reason('expired')).toMatch(/expired at/);
    expect(reason('not yet valid (2 days)')).toMatch(/not valid before/);
    expect(reason('notBefore after notAfter')).toMatch(/invalid validity window/);
    expect(reason('openssl ecdsa sha1')).toMatch(/weak signature algorithm ecdsa-with-SHA1/);
    expect(reason('openssl rsa sha1')).toMatch(/weak signature algorithm sha1WithRSAEncryption/);
    expect(reason('openssl rsa 1024')).toMatch(/1024 bits/);
    expect(reason('openssl ed25519 cert')).toMatch(/ed25519 key; only ECDSA and RSA/);
    expect(reason('openssl CA cert alone')).toMatch(/exactly one leaf/);
    expect(reason('bundle CA + leaf (leaf not first)')).toMatch(/first certificate of the bundle is a CA/);
    expect(reason('not PEM')).toMatch(/parsable PEM certificate/);
    expect(reason('bare ecdsa key')).toMatch(/is not a certificate/);
    expect(reason('ecdsa cert typed rsa-x509')).toMatch(/typed rsa-x509/);
    expect(reason('bundle leaf + expired CA')).toMatch(/re-encodes this certificate bundle differently/);
    expect(reason('leaf with CRLF line endings')).toMatch(/re-encodes this certificate bundle differently/);
  });

  it('skips the validity window when asked (previous root during rotation)', () => {
    const c = rootCertVectors.cases.find((x) => x.name === 'expired');
    if (c === undefined) throw new Error('vector missing');
    expect(() =>
      validateRootCertificate(rawKey(c.keytype, c.pub), c.gun, now, { checkExpiry: false }),
    ).not.toThrow();
  });
});

describe('validity window edges', () => {
  const signer = generateSigner('ecdsa');
  const t0 = new Date(Date.UTC(2030, 0, 1));
  const key = (notBefore: Date, notAfter: Date) =>
    certKey(createRootCertificate(signer, GUN, { notBefore, notAfter }));

  it('allows a notBefore up to one day in the future', () => {
    const k = key(new Date(t0.getTime() + DAY), new Date(t0.getTime() + 10 * DAY));
    expect(() => validateRootCertificate(k, GUN, t0)).not.toThrow();
    expect(() => validateRootCertificate(k, GUN, new Date(t0.getTime() - 1000))).toThrow(/not valid before/);
  });

  it('is valid up to and including notAfter', () => {
    const k = key(new Date(t0.getTime() - 10 * DAY), t0);
    expect(() => validateRootCertificate(k, GUN, t0)).not.toThrow();
    expect(() => validateRootCertificate(k, GUN, new Date(t0.getTime() + 1000))).toThrow(/expired/);
  });

  it('uses the current time by default', () => {
    const k = certKey(createRootCertificate(signer, GUN));
    expect(validateRootCertificate(k, GUN).commonName).toBe(GUN);
  });
});

describe('createRootCertificate matches Notary byte for byte', () => {
  it.each(certGenVectors.map((c) => [`${c.key} ${c.gun}`, c] as const))('%s', (_n, c) => {
    const signer = signerFromPkcs8Der(b64Bytes(c.pkcs8));
    const pem = createRootCertificate(signer, c.gun, {
      notBefore: new Date(c.notBefore * 1000),
      notAfter: new Date(c.notAfter * 1000),
      serial: BigInt(c.serial),
    });
    const ours = parseCertificateBundle(pem)[0]?.der as Uint8Array;
    const theirs = b64Bytes(c.der);
    if (signer.algorithm === 'rsa') {
      // PKCS#1 v1.5 is deterministic: the whole certificate is identical, PEM included.
      expect(pem).toBe(c.pem);
    } else {
      // ECDSA signatures are randomised: compare the signed part.
      const tbs = (d: Uint8Array) => Buffer.from(derDecode(d).children[0]?.raw as Uint8Array).toString('hex');
      expect(tbs(ours)).toBe(tbs(theirs));
    }
    const x = new X509Certificate(Buffer.from(ours));
    expect(x.verify(x.publicKey)).toBe(true);
  });

  it('covers both time encodings and both string types', () => {
    const certs = certGenVectors.map((c) => parseCertificateBundle(c.pem)[0]);
    expect(certs.some((c) => c?.notBefore.getUTCFullYear() === 2050)).toBe(true);
    expect(certGenVectors.some((c) => /[_&*]/.test(c.gun))).toBe(true);
  });
});

describe('createRootCertificate', () => {
  it('makes a Notary-shaped ECDSA root key that validates and verifies', () => {
    const signer = generateSigner('ecdsa');
    const before = Date.now();
    const pem = createRootCertificate(signer, GUN);
    expect(pem).toMatch(
      /^-----BEGIN CERTIFICATE-----\n([A-Za-z0-9+/=]{64}\n)+[A-Za-z0-9+/=]{1,64}\n-----END CERTIFICATE-----\n$/,
    );
    const key = parsePublicKey({
      keytype: 'ecdsa-x509',
      keyval: { private: null, public: Buffer.from(pem).toString('base64') },
    });
    const leaf = validateRootCertificate(key, GUN);
    expect(leaf.version).toBe(3);
    expect(leaf.signatureAlgorithm).toBe('ecdsa-with-SHA256');
    expect(leaf.issuerCommonName).toBe(GUN);
    expect(leaf.isCA).toBe(false);
    expect(leaf.serial > 0n && leaf.serial < 2n ** 128n).toBe(true);
    expect(Math.abs(leaf.notBefore.getTime() - before)).toBeLessThan(5000);
    expect(leaf.notAfter.getTime() - leaf.notBefore.getTime()).toBe(ROOT_CERT_VALIDITY_MS);
    const x = leaf.x509;
    expect(x.subject).toBe(`CN=${GUN}`);
    expect(x.keyUsage).toEqual(['1.3.6.1.5.5.7.3.3']);
    expect(x.ca).toBe(false);
  });

  it('signs RSA roots with sha256WithRSAEncryption and P-384 roots with SHA-384', () => {
    const rsa = parseCertificateBundle(createRootCertificate(generateSigner('rsa'), GUN))[0];
    expect(rsa?.signatureAlgorithm).toBe('sha256WithRSAEncryption');
    const p384 = parseCertificateBundle(
      createRootCertificate(generateSigner('ecdsa', { curve: 'P-384' }), GUN),
    )[0];
    expect(p384?.signatureAlgorithm).toBe('ecdsa-with-SHA384');
  });

  it('draws distinct random serials', () => {
    const s = generateSigner('ecdsa');
    const a = parseCertificateBundle(createRootCertificate(s, GUN))[0]?.serial;
    const b = parseCertificateBundle(createRootCertificate(s, GUN))[0]?.serial;
    expect(a).not.toBe(b);
  });

  it('refuses ed25519 keys and non-positive serials', () => {
    expect(() => createRootCertificate(generateSigner('ed25519'), GUN)).toThrow(
      expect.objectContaining({ code: 'BAD_KEY' }),
    );
    expect(() => createRootCertificate(generateSigner('ecdsa'), GUN, { serial: 0n })).toThrow(RangeError);
  });
});
