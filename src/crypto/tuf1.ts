/**
 * Keys and signatures of the TUF 1.0 dialect, as python-tuf / securesystemslib
 * read them. A key is `{"keytype": T, "scheme": S, "keyval": {"public": P}}`
 * (unknown fields are allowed and kept by the metadata layer):
 *
 * | keytype                                   | scheme                        | keyval.public               | signature (hex)       |
 * |-------------------------------------------|-------------------------------|-----------------------------|-----------------------|
 * | `ed25519`                                 | `ed25519`                     | 32 bytes hex                | 64 bytes raw          |
 * | `ecdsa`, legacy `ecdsa-sha2-nistpNNN`     | `ecdsa-sha2-nistp256/384/521` | PEM SPKI, or hex (SPKI DER  | DER ECDSA-Sig-Value,  |
 * |                                           |                               | or uncompressed point)      | SHA-256/384/512       |
 * | `rsa`                                     | `rsassa-pss-sha224..512`,     | PEM SPKI                    | RSASSA-PSS (salt auto)|
 * |                                           | `rsa-pkcs1v15-sha224..512`    |                             | or PKCS#1 v1.5        |
 *
 * The key material is parsed once by the shared crypto layer (keys.ts), which
 * also enforces curve and RSA size rules. The ECDSA curve must match the
 * scheme's. Key ids are NOT recomputed on the client: like python-tuf, the id
 * is whatever the delegating metadata lists; thresholds count distinct key
 * material (`identity`), so one key listed under two ids counts once.
 */

import { decodePem } from '../encoding/pem.js';
import { FormatError } from '../errors.js';
import { sha256 } from './backend.js';
import { type KeyContext, preparedKey, publicKeyFromBytesDeferred } from './keys.js';
import type { TufPublicKey } from './types.js';
import { toHex } from './util.js';
import { TUF1_ECDSA_CURVES, TUF1_METHOD, verifySignature } from './verify.js';

export type Tuf1Scheme =
  | 'ed25519'
  | 'ecdsa-sha2-nistp256'
  | 'ecdsa-sha2-nistp384'
  | 'ecdsa-sha2-nistp521'
  | 'rsassa-pss-sha224'
  | 'rsassa-pss-sha256'
  | 'rsassa-pss-sha384'
  | 'rsassa-pss-sha512'
  | 'rsa-pkcs1v15-sha224'
  | 'rsa-pkcs1v15-sha256'
  | 'rsa-pkcs1v15-sha384'
  | 'rsa-pkcs1v15-sha512';

/** A usable TUF 1.0 public key. */
export interface Tuf1Key {
  readonly keytype: string;
  readonly scheme: Tuf1Scheme;
  /** The key material in the shared crypto layer's form. */
  readonly key: TufPublicKey;
  /** Distinct-key identity: the same key material gives the same string, whatever its id. */
  readonly identity: string;
}

const RSA_SCHEMES = new Set([
  'rsassa-pss-sha224',
  'rsa-pkcs1v15-sha224',
  'rsassa-pss-sha256',
  'rsassa-pss-sha384',
  'rsassa-pss-sha512',
  'rsa-pkcs1v15-sha256',
  'rsa-pkcs1v15-sha384',
  'rsa-pkcs1v15-sha512',
]);
const HEX = /^(?:[0-9a-fA-F]{2})+$/;

// SubjectPublicKeyInfo prefixes for an uncompressed EC point (id-ecPublicKey + named curve).
const P256_SPKI_PREFIX = Buffer.from('3059301306072a8648ce3d020106082a8648ce3d030107034200', 'hex');
const P384_SPKI_PREFIX = Buffer.from('3076301006072a8648ce3d020106052b81040022036200', 'hex');

function badKey(what: string, message: string): FormatError {
  return new FormatError('BAD_KEY', `${what}: ${message}`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function spkiFromPem(pem: string, what: string): Uint8Array {
  return decodePem(pem, ['PUBLIC KEY'], { maxLength: 64 * 1024 }).bytes ?? badKey(what, 'no PEM');
}

function ecdsaSpki(pub: string, what: string): Uint8Array {
  if (pub.includes('-----BEGIN')) return spkiFromPem(pub, what);
  if (!HEX.test(pub)) throw badKey(what, 'ecdsa public key must be PEM or hex');
  const raw = Buffer.from(pub, 'hex');
  if (raw[0] === 0x04 && raw.length === 65) return Buffer.concat([P256_SPKI_PREFIX, raw]);
  if (raw[0] === 0x04 && raw.length === 97) return Buffer.concat([P384_SPKI_PREFIX, raw]);
  return raw; // hex of the DER SubjectPublicKeyInfo
}

/**
 * Parses one key object of TUF 1.0 metadata and prepares its material now.
 * Throws FormatError BAD_KEY for an unknown type/scheme pair or unusable
 * material (callers treat such a key as unusable, as python-tuf does when it
 * cannot verify with it).
 */
export function parseTuf1Key(json: unknown, what = 'key'): Tuf1Key {
  const k = parseTuf1KeyDeferred(json, what);
  const p = preparedKey(k.key, { keyId: what });
  const want = TUF1_ECDSA_CURVES[k.scheme];
  if (want !== undefined && (p.kind !== 'ecdsa' || p.curve !== want))
    throw badKey(what, `scheme ${k.scheme} needs a ${want} key`);
  return k;
}

/**
 * Parses one key object of TUF 1.0 metadata without any crypto setup: the
 * JSON shape, the keytype/scheme pair and the encoding of `keyval.public`
 * (hex, PEM) are checked now (FormatError BAD_KEY); the key material itself
 * (DER, curve, RSA size) is parsed on first use, as Notary metadata keys are
 * (`parsePublicKeyDeferred`). A key whose material turns out unusable then
 * never verifies (`verifySignature` is false, thresholds never count it), and
 * an ECDSA key on another curve than its scheme's never verifies either. So a
 * keys map costs crypto only for the keys a signature check uses.
 */
export function parseTuf1KeyDeferred(json: unknown, what = 'key', ctx: KeyContext = {}): Tuf1Key {
  if (!isObject(json)) throw badKey(what, 'must be an object');
  const { keytype, scheme, keyval } = json;
  if (typeof keytype !== 'string' || typeof scheme !== 'string') {
    throw badKey(what, 'keytype and scheme must be strings');
  }
  if (!isObject(keyval) || typeof keyval.public !== 'string') {
    throw badKey(what, 'keyval.public must be a string');
  }
  const pub = keyval.public;
  let key: TufPublicKey;
  if (keytype === 'ed25519' && scheme === 'ed25519') {
    if (!HEX.test(pub) || pub.length !== 64) throw badKey(what, 'ed25519 public key must be 32 bytes hex');
    key = publicKeyFromBytesDeferred('ed25519', Buffer.from(pub, 'hex'), ctx, scheme);
  } else if ((keytype === 'ecdsa' || keytype === scheme) && TUF1_ECDSA_CURVES[scheme] !== undefined) {
    // `ecdsa`, or the legacy keytype spelled like its scheme (securesystemslib accepts both)
    key = publicKeyFromBytesDeferred('ecdsa', ecdsaSpki(pub, what), ctx, scheme);
  } else if (keytype === 'rsa' && RSA_SCHEMES.has(scheme)) {
    key = publicKeyFromBytesDeferred('rsa', spkiFromPem(pub, what), ctx, scheme);
  } else {
    throw badKey(what, `unsupported keytype/scheme ${JSON.stringify(keytype)}/${JSON.stringify(scheme)}`);
  }
  return Object.freeze({
    keytype,
    scheme: scheme as Tuf1Scheme,
    key,
    identity: `${key.keytype}:${key.publicB64}`,
  });
}

/** True iff `sig` (raw bytes, decoded from hex) is a valid signature of `message`. Never throws. */
export function verifyTuf1Signature(key: Tuf1Key, sig: Uint8Array, message: Uint8Array): boolean {
  return verifySignature(key.key, TUF1_METHOD, sig, message);
}

/**
 * Key id as python-tuf / securesystemslib compute it: hex sha256 of the
 * canonical JSON of `{"keytype", "scheme", "keyval"}`. `canonical` is the
 * dialect's canonical encoder (passed in to keep crypto below encoding).
 */
export function tuf1KeyId(
  key: { keytype: string; scheme: string; keyval: Record<string, unknown> },
  canonical: (v: unknown) => Uint8Array,
): string {
  return toHex(sha256(canonical({ keytype: key.keytype, scheme: key.scheme, keyval: key.keyval })));
}
