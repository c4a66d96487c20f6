import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { derDecode, int, octetString, oid, readInt, readOid, seq, seqChildren } from '../crypto/der.js';
import { OID } from '../crypto/oid.js';
import { decodePem } from '../encoding/pem.js';
import { FormatError, LocalError, TrustError } from '../errors.js';
import {
  DEFAULT_PBKDF2_ITERATIONS,
  decodePkcs8,
  decryptPkcs8,
  decryptPrivateKey,
  encodePkcs8,
  encryptPkcs8,
  encryptPrivateKey,
  MAX_PBKDF2_ITERATIONS,
  parseEncryptedPkcs8,
} from './pkcs8.js';
import { ed25519Material, type PrivateKeyMaterial } from './types.js';

const TESTDATA = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'vectors', 'key-files');
const fixture = (name: string): Uint8Array => decodePem(readFileSync(join(TESTDATA, name), 'utf8')).bytes;
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const FAST = { iterations: 1000 };

function ecdsa(namedCurve = 'prime256v1'): PrivateKeyMaterial {
  return { algorithm: 'ecdsa', keyObject: generateKeyPairSync('ec', { namedCurve }).privateKey };
}
function rsa(): PrivateKeyMaterial {
  return { algorithm: 'rsa', keyObject: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey };
}
function ed25519(): PrivateKeyMaterial {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const seed = new Uint8Array(privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(16));
  const pub = new Uint8Array(publicKey.export({ format: 'der', type: 'spki' }).subarray(12));
  return ed25519Material(seed, pub);
}
function sameKey(a: PrivateKeyMaterial, b: PrivateKeyMaterial): boolean {
  if (a.algorithm === 'ed25519') {
    return b.algorithm === 'ed25519' && hex(a.seed) === hex(b.seed) && hex(a.publicKey) === hex(b.publicKey);
  }
  return b.algorithm !== 'ed25519' && a.algorithm === b.algorithm && a.keyObject.equals(b.keyObject);
}

describe('Notary-generated files', () => {
  it('decrypts an ECDSA key and re-encodes the plaintext byte for byte', async () => {
    const enc = fixture('notary-ecdsa-targets.key');
    const p = parseEncryptedPkcs8(enc);
    expect(p).toMatchObject({ iterations: 2048, prf: 'sha1' });
    expect(p.salt.length).toBe(8);
    const plain = await decryptPkcs8(enc, 'targetpw');
    const key = decodePkcs8(plain);
    expect(key.algorithm).toBe('ecdsa');
    expect(hex(encodePkcs8(key))).toBe(hex(plain));
    // Notary's layout: version 1, { ecPublicKey, P-256 }, SEC1 with [0] curve and [1] public key
    const [v, alg, inner] = seqChildren(derDecode(plain), 3);
    expect(readInt(v!)).toBe(1n);
    expect(alg!.children.map(readOid)).toEqual([OID.ecPublicKey, OID.p256]);
    expect(derDecode(inner!.bytes).children.map((c) => c.tag)).toEqual([0x02, 0x04, 0xa0, 0xa1]);
  });

  it('decrypts an RSA key (no NULL parameter) and re-encodes it byte for byte', async () => {
    const plain = await decryptPkcs8(fixture('notary-rsa-targets.key'), 'targetpw');
    const key = decodePkcs8(plain);
    expect(key.algorithm).toBe('rsa');
    expect(hex(encodePkcs8(key))).toBe(hex(plain));
    const [, alg] = seqChildren(derDecode(plain), 3);
    expect(alg!.children.length).toBe(1);
  });

  it('decrypts an ed25519 key (OID 1.3.6.1.4.1.11591.15.1, pub||seed||pub) byte for byte', async () => {
    const plain = await decryptPkcs8(fixture('notary-ed25519-alice.key'), 'delpw');
    const key = decodePkcs8(plain);
    expect(key.algorithm).toBe('ed25519');
    if (key.algorithm !== 'ed25519') return;
    expect(Buffer.from(key.publicKey).toString('base64')).toBe(
      'V8Y7ygrkBeZvil55Bs+tHtaDc/IC08pNE0qyUICuPDc=',
    );
    expect(hex(encodePkcs8(key))).toBe(hex(plain));
    const [, alg, inner] = seqChildren(derDecode(plain), 3);
    expect(readOid(alg!.children[0]!)).toBe(OID.ed25519Notary);
    expect(inner!.bytes.length).toBe(96);
    expect(JSON.stringify(key)).not.toContain(hex(key.seed).slice(0, 16));
  });

  it('wrong passphrase is LocalError PASSPHRASE without the passphrase in the message', async () => {
    const err = await decryptPkcs8(fixture('notary-ecdsa-targets.key'), 'hunter2-wrong', {
      label: 'e67f27d (targets)',
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LocalError);
    expect((err as LocalError).code).toBe('PASSPHRASE');
    expect((err as LocalError).message).toBe('wrong passphrase for key e67f27d (targets)');
  });
});

describe('encrypt/decrypt round trip', () => {
  for (const [name, make] of [
    ['ecdsa P-256', () => ecdsa()],
    ['ecdsa P-384', () => ecdsa('secp384r1')],
    ['rsa 2048', rsa],
    ['ed25519', ed25519],
  ] as const) {
    it(name, async () => {
      const key = make();
      const enc = await encryptPrivateKey(key, 'correct horse', FAST);
      const p = parseEncryptedPkcs8(enc);
      expect(p.iterations).toBe(1000);
      expect(p.salt.length).toBe(8);
      expect(p.iv.length).toBe(16);
      expect(sameKey(await decryptPrivateKey(enc, 'correct horse'), key)).toBe(true);
      await expect(decryptPrivateKey(enc, 'correct horsf')).rejects.toMatchObject({ code: 'PASSPHRASE' });
    });
  }

  it('writes the Notary structure: PBES2 { PBKDF2 { salt, iter } (SHA-1 implied), AES-256-CBC { iv } }', async () => {
    const enc = await encryptPkcs8(encodePkcs8(ecdsa()), 'pw', FAST);
    const [alg] = seqChildren(derDecode(enc), 2);
    const [pbes2, params] = seqChildren(alg!, 2);
    expect(readOid(pbes2!)).toBe(OID.pbes2);
    const [kdf, encScheme] = seqChildren(params!, 2);
    const [kdfOid, kdfParams] = seqChildren(kdf!, 2);
    expect(readOid(kdfOid!)).toBe(OID.pbkdf2);
    expect(seqChildren(kdfParams!, 2).length).toBe(2); // no keyLength, no PRF: hmacWithSHA1 by default
    expect(readOid(seqChildren(encScheme!, 2)[0]!)).toBe(OID.aes256cbc);
  });

  it('the default iteration count is far above Notary 2048 and within the read limit', () => {
    expect(DEFAULT_PBKDF2_ITERATIONS).toBeGreaterThanOrEqual(500_000);
    expect(DEFAULT_PBKDF2_ITERATIONS).toBeLessThanOrEqual(MAX_PBKDF2_ITERATIONS);
  });

  it('refuses silly iteration counts and empty passphrases when writing', async () => {
    const plain = encodePkcs8(ecdsa());
    await expect(encryptPkcs8(plain, 'pw', { iterations: 10 })).rejects.toBeInstanceOf(LocalError);
    await expect(encryptPkcs8(plain, 'pw', { iterations: MAX_PBKDF2_ITERATIONS + 1 })).rejects.toBeInstanceOf(
      LocalError,
    );
    await expect(encryptPkcs8(plain, '', FAST)).rejects.toMatchObject({ code: 'PASSPHRASE' });
  });
});

describe('reading foreign PKCS#8', () => {
  it('reads OpenSSL PBES2 with hmacWithSHA256 (node export)', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const der = new Uint8Array(
      privateKey.export({ format: 'der', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: 'pw' }),
    );
    expect(parseEncryptedPkcs8(der).prf).toBe('sha256');
    const key = await decryptPrivateKey(der, 'pw');
    expect(key.algorithm === 'ecdsa' && key.keyObject.equals(privateKey)).toBe(true);
  });

  it('reads standard (RFC 8410) ed25519 PKCS#8 and standard RSA with NULL', () => {
    const { privateKey } = generateKeyPairSync('ed25519');
    const k = decodePkcs8(new Uint8Array(privateKey.export({ format: 'der', type: 'pkcs8' })));
    expect(k.algorithm).toBe('ed25519');
    const r = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const rk = decodePkcs8(new Uint8Array(r.export({ format: 'der', type: 'pkcs8' })));
    expect(rk.algorithm === 'rsa' && rk.keyObject.equals(r)).toBe(true);
  });

  it('rejects an iteration count above the cap before doing any work', async () => {
    const huge = seq(
      seq(
        oid(OID.pbes2),
        seq(
          seq(oid(OID.pbkdf2), seq(octetString(new Uint8Array(8)), int(MAX_PBKDF2_ITERATIONS + 1))),
          seq(oid(OID.aes256cbc), octetString(new Uint8Array(16))),
        ),
      ),
      octetString(new Uint8Array(32)),
    );
    const t = Date.now();
    await expect(decryptPkcs8(huge, 'pw')).rejects.toBeInstanceOf(FormatError);
    expect(Date.now() - t).toBeLessThan(500);
  });

  it('rejects mismatched ed25519 halves and unknown algorithms', () => {
    const k = ed25519();
    if (k.algorithm !== 'ed25519') throw new Error('unreachable');
    const bad = new Uint8Array([...k.publicKey, ...k.seed, ...new Uint8Array(32)]);
    expect(() => decodePkcs8(seq(int(0), seq(oid(OID.ed25519Notary)), octetString(bad)))).toThrow(
      FormatError,
    );
    const other = ed25519();
    if (other.algorithm !== 'ed25519') throw new Error('unreachable');
    const wrongPub = new Uint8Array([...other.publicKey, ...k.seed, ...other.publicKey]);
    expect(() => decodePkcs8(seq(int(0), seq(oid(OID.ed25519Notary)), octetString(wrongPub)))).toThrow(
      /does not match/,
    );
    expect(() => decodePkcs8(seq(int(0), seq(oid('1.2.3.4')), octetString(new Uint8Array(4))))).toThrow(
      /unsupported/,
    );
  });

  it('property: mutated encrypted and plain key DER only throws TrustError', async () => {
    const enc = fixture('notary-ecdsa-targets.key');
    const plain = await decryptPkcs8(enc, 'targetpw');
    const mutate = (base: Uint8Array) =>
      fc.array(fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 })), {
        minLength: 1,
        maxLength: 3,
      });
    fc.assert(
      fc.property(mutate(plain), (edits) => {
        const b = Uint8Array.from(plain);
        for (const [i, v] of edits) b[i] = v;
        try {
          decodePkcs8(b);
        } catch (e) {
          expect(e).toBeInstanceOf(TrustError);
        }
      }),
      { numRuns: 1500 },
    );
    // encrypted container: parse only (decryption of 2048 rounds per run would be slow)
    fc.assert(
      fc.property(mutate(enc), (edits) => {
        const b = Uint8Array.from(enc);
        for (const [i, v] of edits) b[i] = v;
        try {
          parseEncryptedPkcs8(b);
        } catch (e) {
          expect(e).toBeInstanceOf(TrustError);
        }
      }),
      { numRuns: 1500 },
    );
    // and a few full decryptions of mutated ciphertext / parameters
    await fc.assert(
      fc.asyncProperty(mutate(enc), async (edits) => {
        const b = Uint8Array.from(enc);
        for (const [i, v] of edits) b[i] = v;
        try {
          decodePkcs8(await decryptPkcs8(b, 'targetpw'));
        } catch (e) {
          expect(e).toBeInstanceOf(TrustError);
        }
      }),
      { numRuns: 60 },
    );
  });
});
