/**
 * PKCS#8 private keys as Notary (tuf/utils/pkcs8.go) writes and reads them.
 *
 * Plain PrivateKeyInfo, byte-for-byte like Notary's `convertTUFKeyToPKCS8`:
 *   ECDSA:   SEQ { INTEGER 1, SEQ { id-ecPublicKey, namedCurve }, OCTET STRING SEC1 }
 *            (version 1 as Notary writes it; SEC1 = Go's x509.MarshalECPrivateKey with
 *            [0] curve and [1] public key, which OpenSSL's `sec1` export matches)
 *   RSA:     SEQ { INTEGER 0, SEQ { rsaEncryption } (no NULL), OCTET STRING PKCS#1 }
 *   ed25519: SEQ { INTEGER 0, SEQ { 1.3.6.1.4.1.11591.15.1 }, OCTET STRING (pub || seed || pub) }
 * Reading also accepts standard PKCS#8 (version 0 or 1, NULL parameters, RFC 8410 ed25519).
 *
 * Encrypted (EncryptedPrivateKeyInfo): PBES2 with PBKDF2 (HMAC-SHA1 PRF, which is
 * the only PRF Notary can read), AES-256-CBC, PKCS#7 padding. Notary writes 2048
 * iterations; we write `DEFAULT_PBKDF2_ITERATIONS` and read any count up to
 * `MAX_PBKDF2_ITERATIONS`. Reading also accepts an explicit hmacWithSHA1 or
 * hmacWithSHA256 PRF (OpenSSL's default).
 */
import {
  createCipheriv,
  createDecipheriv,
  createPrivateKey,
  type KeyObject,
  pbkdf2,
  randomBytes,
} from 'node:crypto';
import { ed25519PublicFromSeed as backendEd25519Public, ed25519PrivateKeyObject } from '../crypto/backend.js';
import {
  child,
  concatBytes,
  type DerNode,
  derDecode,
  expectTag,
  findContext,
  int,
  nullValue,
  octetString,
  oid,
  readBitStringBytes,
  readNull,
  readOctetString,
  readOid,
  readSmallInt,
  seq,
  TAG,
} from '../crypto/der.js';
import { OID } from '../crypto/oid.js';
import { FormatError, LocalError } from '../errors.js';
import { ed25519Material, type PrivateKeyMaterial } from './types.js';

/**
 * PBKDF2-HMAC-SHA1 iterations written by default. 1,000,000 costs about 420 ms
 * on the reference machine (2-core x86-64, Node 20) and about the same order in
 * Go; Notary itself writes 2048. Keys are unlocked once per process, so this is
 * a per-command cost, not a per-signature one. Tests pass a lower count.
 */
export const DEFAULT_PBKDF2_ITERATIONS = 1_000_000;

/** Refuse files asking for more work than this (denial of service through a crafted key file). */
export const MAX_PBKDF2_ITERATIONS = 10_000_000;

const SALT_BYTES = 8;

const CURVE_OID: Record<string, string> = { prime256v1: OID.p256, secp384r1: OID.p384, secp521r1: OID.p521 };

function badKey(message: string, cause?: unknown): FormatError {
  return new FormatError('BAD_KEY', message, cause === undefined ? {} : { cause });
}

// ---------------------------------------------------------------------------
// Plain PKCS#8

/** Notary-compatible unencrypted PKCS#8 DER of a private key. */
export function encodePkcs8(key: PrivateKeyMaterial): Uint8Array {
  if (key.algorithm === 'ed25519') {
    if (key.seed.length !== 32 || key.publicKey.length !== 32)
      throw badKey('ed25519 key must have 32-byte seed and public key');
    return seq(
      int(0),
      seq(oid(OID.ed25519Notary)),
      octetString(concatBytes(key.publicKey, key.seed, key.publicKey)),
    );
  }
  const ko = key.keyObject;
  if (ko.type !== 'private') throw badKey('not a private key');
  if (key.algorithm === 'ecdsa') {
    if (ko.asymmetricKeyType !== 'ec') throw badKey('key is not an ECDSA key');
    const curve = ko.asymmetricKeyDetails?.namedCurve ?? '';
    const curveOid = CURVE_OID[curve];
    if (!curveOid) throw badKey(`unsupported ECDSA curve ${curve}`);
    const sec1 = new Uint8Array(ko.export({ format: 'der', type: 'sec1' }));
    return seq(int(1), seq(oid(OID.ecPublicKey), oid(curveOid)), octetString(sec1));
  }
  if (ko.asymmetricKeyType !== 'rsa') throw badKey('key is not an RSA key');
  const pkcs1 = new Uint8Array(ko.export({ format: 'der', type: 'pkcs1' }));
  return seq(int(0), seq(oid(OID.rsaEncryption)), octetString(pkcs1));
}

/** Parses unencrypted PKCS#8 DER (Notary's or standard) into key material. */
export function decodePkcs8(der: Uint8Array): PrivateKeyMaterial {
  const top = derDecode(der);
  expectTag(top, TAG.SEQUENCE, 'PrivateKeyInfo');
  if (top.children.length < 3) throw badKey('PrivateKeyInfo: too few elements');
  const version = readSmallInt(child(top, 0, 'version'), 1);
  const algId = child(top, 1, 'privateKeyAlgorithm');
  expectTag(algId, TAG.SEQUENCE, 'privateKeyAlgorithm');
  const algOid = readOid(child(algId, 0, 'algorithm'));
  const privateKey = readOctetString(child(top, 2, 'privateKey'));
  for (const extra of top.children.slice(3)) {
    // attributes [0] and publicKey [1] (RFC 5958) are allowed and ignored
    if (extra.tagClass !== 'context' || extra.tagNumber > 1)
      throw badKey('PrivateKeyInfo: unexpected element');
  }

  switch (algOid) {
    case OID.ed25519Notary:
      return ed25519FromNotaryBytes(privateKey);
    case OID.ed25519:
      return ed25519FromRfc8410(privateKey, top);
    case OID.ecPublicKey: {
      const params = algId.children[1];
      if (!params || params.tag !== TAG.OID) throw badKey('ECDSA key without a named curve');
      const curveOid = readOid(params);
      if (!Object.values(CURVE_OID).includes(curveOid)) throw badKey(`unsupported ECDSA curve ${curveOid}`);
      // Re-wrap as a version-0 standard PKCS#8 for OpenSSL.
      const std = seq(int(0), seq(oid(OID.ecPublicKey), oid(curveOid)), octetString(privateKey));
      const keyObject = toKeyObject(std, 'ECDSA');
      return { algorithm: 'ecdsa', keyObject };
    }
    case OID.rsaEncryption: {
      const params = algId.children[1];
      if (params) readNull(params);
      if (version !== 0 && version !== 1) throw badKey('unsupported PKCS#8 version');
      const std = seq(int(0), seq(oid(OID.rsaEncryption), nullValue()), octetString(privateKey));
      const keyObject = toKeyObject(std, 'RSA');
      return { algorithm: 'rsa', keyObject };
    }
    default:
      throw badKey(`unsupported private key algorithm ${algOid}`);
  }
}

function toKeyObject(std: Uint8Array, what: string): KeyObject {
  try {
    return createPrivateKey({ key: Buffer.from(std), format: 'der', type: 'pkcs8' });
  } catch (e) {
    throw badKey(`invalid ${what} private key`, e);
  }
}

function ed25519FromNotaryBytes(b: Uint8Array): PrivateKeyMaterial {
  if (b.length !== 96) throw badKey('malformed ed25519 private key (expected 96 bytes)');
  const pub = b.slice(0, 32);
  const seed = b.slice(32, 64);
  const pub2 = b.slice(64, 96);
  if (!Buffer.from(pub).equals(Buffer.from(pub2)))
    throw badKey('malformed ed25519 private key (public key mismatch)');
  // the private key is imported once: to check the public key here and to sign later (handleOf)
  return ed25519Material(seed, pub, checkEd25519(seed, pub));
}

function ed25519FromRfc8410(inner: Uint8Array, top: DerNode): PrivateKeyMaterial {
  const seed = new Uint8Array(readOctetString(derDecode(inner)));
  if (seed.length !== 32) throw badKey('malformed ed25519 private key (expected 32-byte seed)');
  const pub = ed25519PublicFromSeed(seed);
  const given = findContext(top.children.slice(3), 1);
  if (given) {
    const bytes = given.constructed ? readBitStringBytes(child(given, 0)) : given.bytes.subarray(1);
    if (!Buffer.from(bytes).equals(Buffer.from(pub)))
      throw badKey('ed25519 public key does not match the seed');
  }
  return ed25519Material(seed, pub);
}

function ed25519PublicFromSeed(seed: Uint8Array, keyObject?: KeyObject): Uint8Array {
  return backendEd25519Public(seed, keyObject);
}

/** Throws unless `pub` is the seed's public key; returns the seed's private KeyObject it made. */
function checkEd25519(seed: Uint8Array, pub: Uint8Array): KeyObject {
  const keyObject = ed25519PrivateKeyObject(seed);
  if (!Buffer.from(ed25519PublicFromSeed(seed, keyObject)).equals(Buffer.from(pub))) {
    throw badKey('ed25519 public key does not match the private key');
  }
  return keyObject;
}

// ---------------------------------------------------------------------------
// Encrypted PKCS#8

export interface EncryptOptions {
  /** PBKDF2 iterations (default DEFAULT_PBKDF2_ITERATIONS; >= 1000, <= MAX_PBKDF2_ITERATIONS). */
  iterations?: number;
}

function deriveKey(
  passphrase: string,
  salt: Uint8Array,
  iterations: number,
  digest: string,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    pbkdf2(Buffer.from(passphrase, 'utf8'), salt, iterations, 32, digest, (err, key) =>
      err ? reject(err) : resolve(key),
    );
  });
}

/** Encrypts plain PKCS#8 DER into Notary-readable EncryptedPrivateKeyInfo DER. */
export async function encryptPkcs8(
  plain: Uint8Array,
  passphrase: string,
  options: EncryptOptions = {},
): Promise<Uint8Array> {
  const iterations = options.iterations ?? DEFAULT_PBKDF2_ITERATIONS;
  if (!Number.isSafeInteger(iterations) || iterations < 1000 || iterations > MAX_PBKDF2_ITERATIONS) {
    throw new LocalError('USAGE', `PBKDF2 iteration count must be within 1000..${MAX_PBKDF2_ITERATIONS}`);
  }
  if (passphrase.length === 0)
    throw new LocalError('PASSPHRASE', 'refusing to encrypt a key with an empty passphrase');
  const salt = randomBytes(SALT_BYTES);
  const iv = randomBytes(16);
  const key = await deriveKey(passphrase, salt, iterations, 'sha1');
  const cipher = createCipheriv('aes-256-cbc', key, iv); // PKCS#7 padding, as Notary pads
  const ct = Buffer.concat([cipher.update(plain), cipher.final()]);
  key.fill(0);
  return seq(
    seq(
      oid(OID.pbes2),
      seq(
        seq(oid(OID.pbkdf2), seq(octetString(salt), int(iterations))),
        seq(oid(OID.aes256cbc), octetString(iv)),
      ),
    ),
    octetString(ct),
  );
}

export interface EncryptionParams {
  readonly iterations: number;
  readonly prf: 'sha1' | 'sha256';
  readonly salt: Uint8Array;
  readonly iv: Uint8Array;
  readonly ciphertext: Uint8Array;
}

/** Parses EncryptedPrivateKeyInfo without decrypting (strict; FormatError BAD_KEY). */
export function parseEncryptedPkcs8(der: Uint8Array): EncryptionParams {
  const top = derDecode(der);
  expectTag(top, TAG.SEQUENCE, 'EncryptedPrivateKeyInfo');
  if (top.children.length !== 2) throw badKey('EncryptedPrivateKeyInfo: expected 2 elements');
  const alg = child(top, 0);
  expectTag(alg, TAG.SEQUENCE, 'encryptionAlgorithm');
  if (readOid(child(alg, 0, 'algorithm')) !== OID.pbes2)
    throw badKey('only PBES2 encrypted keys are supported');
  const params = child(alg, 1, 'PBES2 parameters');
  expectTag(params, TAG.SEQUENCE, 'PBES2-params');
  const kdf = child(params, 0, 'keyDerivationFunc');
  const enc = child(params, 1, 'encryptionScheme');
  expectTag(kdf, TAG.SEQUENCE, 'keyDerivationFunc');
  expectTag(enc, TAG.SEQUENCE, 'encryptionScheme');
  if (readOid(child(kdf, 0)) !== OID.pbkdf2) throw badKey('only PBKDF2 key derivation is supported');
  const kp = child(kdf, 1, 'PBKDF2-params');
  expectTag(kp, TAG.SEQUENCE, 'PBKDF2-params');
  const salt = readOctetString(child(kp, 0, 'salt'));
  if (salt.length < 8 || salt.length > 64) throw badKey('PBKDF2 salt length out of range');
  const iterations = readSmallInt(child(kp, 1, 'iterationCount'), Number.MAX_SAFE_INTEGER);
  if (iterations < 1) throw badKey('PBKDF2 iteration count must be positive');
  if (iterations > MAX_PBKDF2_ITERATIONS) {
    throw badKey(`PBKDF2 iteration count ${iterations} exceeds the limit ${MAX_PBKDF2_ITERATIONS}`);
  }
  let prf: 'sha1' | 'sha256' = 'sha1';
  for (const opt of kp.children.slice(2)) {
    if (opt.tag === TAG.INTEGER) {
      if (readSmallInt(opt, 1024) !== 32) throw badKey('PBKDF2 key length must be 32 for AES-256');
    } else if (opt.tag === TAG.SEQUENCE) {
      const prfOid = readOid(child(opt, 0));
      const prfParam = opt.children[1];
      if (prfParam) readNull(prfParam);
      if (prfOid === OID.hmacWithSHA1) prf = 'sha1';
      else if (prfOid === OID.hmacWithSHA256) prf = 'sha256';
      else throw badKey(`unsupported PBKDF2 PRF ${prfOid}`);
    } else {
      throw badKey('unexpected PBKDF2 parameter');
    }
  }
  if (readOid(child(enc, 0)) !== OID.aes256cbc) throw badKey('only AES-256-CBC encrypted keys are supported');
  const iv = readOctetString(child(enc, 1, 'IV'));
  if (iv.length !== 16) throw badKey('AES-CBC IV must be 16 bytes');
  const ciphertext = readOctetString(child(top, 1, 'encryptedData'));
  if (ciphertext.length === 0 || ciphertext.length % 16 !== 0)
    throw badKey('encrypted data is not a whole number of AES blocks');
  return { iterations, prf, salt, iv, ciphertext };
}

export interface DecryptOptions {
  /** Names the key in the wrong-passphrase message, e.g. `abc123 (targets)`. */
  label?: string;
}

/**
 * Decrypts EncryptedPrivateKeyInfo DER to plain PKCS#8 DER. A wrong passphrase
 * (bad padding or undecodable plaintext) is LocalError PASSPHRASE.
 */
export async function decryptPkcs8(
  der: Uint8Array,
  passphrase: string,
  options: DecryptOptions = {},
): Promise<Uint8Array> {
  const p = parseEncryptedPkcs8(der);
  const key = await deriveKey(passphrase, p.salt, p.iterations, p.prf);
  let plain: Buffer;
  try {
    const d = createDecipheriv('aes-256-cbc', key, p.iv);
    d.setAutoPadding(false);
    plain = Buffer.concat([d.update(p.ciphertext), d.final()]);
  } finally {
    key.fill(0);
  }
  const wrong = (): LocalError =>
    new LocalError('PASSPHRASE', `wrong passphrase for key${options.label ? ` ${options.label}` : ''}`);
  const padLen = plain[plain.length - 1] as number;
  if (padLen < 1 || padLen > 16) throw wrong();
  for (let i = plain.length - padLen; i < plain.length; i++) if (plain[i] !== padLen) throw wrong();
  const body = new Uint8Array(plain.subarray(0, plain.length - padLen));
  plain.fill(0);
  try {
    const n = derDecode(body);
    expectTag(n, TAG.SEQUENCE);
    expectTag(child(n, 0), TAG.INTEGER);
  } catch {
    throw wrong();
  }
  return body;
}

/** Convenience: encrypt key material straight to EncryptedPrivateKeyInfo DER. */
export async function encryptPrivateKey(
  key: PrivateKeyMaterial,
  passphrase: string,
  options: EncryptOptions = {},
): Promise<Uint8Array> {
  const plain = encodePkcs8(key);
  try {
    return await encryptPkcs8(plain, passphrase, options);
  } finally {
    plain.fill(0);
  }
}

/** Convenience: decrypt EncryptedPrivateKeyInfo DER straight to key material. */
export async function decryptPrivateKey(
  der: Uint8Array,
  passphrase: string,
  options: DecryptOptions = {},
): Promise<PrivateKeyMaterial> {
  const plain = await decryptPkcs8(der, passphrase, options);
  try {
    return decodePkcs8(plain);
  } finally {
    plain.fill(0);
  }
}
