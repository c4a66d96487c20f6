/**
 * Signing keys for TUF 1.0 repositories: how one of our private keys is listed
 * in TUF 1.0 metadata and how it signs, exactly as python-tuf/securesystemslib
 * write and verify it:
 *
 * | our key      | keytype   | scheme                | keyval.public      | signature (hex)       |
 * |--------------|-----------|-----------------------|--------------------|-----------------------|
 * | ed25519      | `ed25519` | `ed25519`             | 32 raw bytes, hex  | 64 raw bytes          |
 * | ecdsa P-256  | `ecdsa`   | `ecdsa-sha2-nistp256` | SPKI PEM           | DER, SHA-256          |
 * | ecdsa P-384  | `ecdsa`   | `ecdsa-sha2-nistp384` | SPKI PEM           | DER, SHA-384          |
 * | rsa >= 2048  | `rsa`     | `rsassa-pss-sha256`   | SPKI PEM           | PSS, MGF1-SHA256, salt 32 |
 *
 * The key id is securesystemslib's `compute_default_keyid`: hex sha256 of the
 * canonical JSON `{"keytype":T,"keyval":{"public":P},"scheme":S}`.
 *
 * The same private key has another id in Notary metadata (`TufPublicKey.id`);
 * key files in the trust dir are named after that one, so `notaryKeyIdOf`
 * maps a TUF 1.0 key back to its key file.
 */
import { constants, createPublicKey, sign as nodeSign } from 'node:crypto';
import { publicKeyFromBytes } from '../../crypto/keys.js';
import type { PrivateKeyHandle } from '../../crypto/signers.js';
import { tuf1KeyId as computeTuf1KeyId } from '../../crypto/tuf1.js';
import { fromHex } from '../../crypto/util.js';
import { olpcCanonicalBytes } from '../../encoding/olpc.js';
import { decodePem, encodePem } from '../../encoding/pem.js';
import { FormatError } from '../../errors.js';
import type { Tuf1KeyJson } from '../../metadata/tuf1.js';

/** Signature schemes the TUF 1.0 writer signs with. */
export type Tuf1Scheme = 'ed25519' | 'ecdsa-sha2-nistp256' | 'ecdsa-sha2-nistp384' | 'rsassa-pss-sha256';

/** A public key as TUF 1.0 metadata lists it (plus its id). Unknown fields are not part of the id. */
export interface Tuf1PublicKey {
  readonly keyid: string;
  readonly keytype: 'ed25519' | 'ecdsa' | 'rsa';
  readonly scheme: Tuf1Scheme;
  /** Hex (ed25519) or SPKI PEM (ecdsa, rsa). */
  readonly public: string;
}

/** Something that signs for one TUF 1.0 key; private material stays inside. */
export interface Tuf1Signer {
  readonly key: Tuf1PublicKey;
  /** Raw signature bytes over `message` (hex-encoded into metadata by the writer). */
  sign(message: Uint8Array): Uint8Array;
}

export function tuf1KeyJson(key: Tuf1PublicKey): Tuf1KeyJson {
  return { keytype: key.keytype, scheme: key.scheme, keyval: { public: key.public } };
}

/** securesystemslib's `compute_default_keyid` (the dialect's key id rule, crypto/tuf1.ts). */
function keyIdOf(keytype: string, scheme: string, publicValue: string): string {
  return computeTuf1KeyId({ keytype, scheme, keyval: { public: publicValue } }, olpcCanonicalBytes);
}

function bytesOf(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

function spkiPem(handle: PrivateKeyHandle): string {
  const der = createPublicKey(handle.keyObject).export({ type: 'spki', format: 'der' });
  return encodePem({ type: 'PUBLIC KEY', bytes: bytesOf(der) });
}

/** How `handle` is listed in TUF 1.0 metadata. */
export function tuf1KeyOf(handle: PrivateKeyHandle): Tuf1PublicKey {
  let keytype: Tuf1PublicKey['keytype'];
  let scheme: Tuf1Scheme;
  let pub: string;
  switch (handle.algorithm) {
    case 'ed25519': {
      const raw = Buffer.from(handle.publicKey.publicB64, 'base64');
      keytype = 'ed25519';
      scheme = 'ed25519';
      pub = raw.toString('hex');
      break;
    }
    case 'ecdsa': {
      const curve = handle.keyObject.asymmetricKeyDetails?.namedCurve;
      if (curve !== 'prime256v1' && curve !== 'secp384r1') {
        throw new FormatError(
          'BAD_KEY',
          `TUF 1.0 signing supports ECDSA P-256 and P-384, not ${String(curve)}`,
        );
      }
      keytype = 'ecdsa';
      scheme = curve === 'prime256v1' ? 'ecdsa-sha2-nistp256' : 'ecdsa-sha2-nistp384';
      pub = spkiPem(handle);
      break;
    }
    case 'rsa':
      keytype = 'rsa';
      scheme = 'rsassa-pss-sha256';
      pub = spkiPem(handle);
      break;
    default:
      throw new FormatError('BAD_KEY', `cannot use a ${String(handle.algorithm)} key for TUF 1.0`);
  }
  return Object.freeze({ keyid: keyIdOf(keytype, scheme, pub), keytype, scheme, public: pub });
}

/** A TUF 1.0 signer over one of our private keys (see the table above). */
export function tuf1Signer(handle: PrivateKeyHandle): Tuf1Signer {
  const key = tuf1KeyOf(handle);
  const sign = (message: Uint8Array): Uint8Array => {
    switch (key.scheme) {
      case 'ed25519':
        return handle.sign(message);
      case 'ecdsa-sha2-nistp256':
      case 'ecdsa-sha2-nistp384':
        return bytesOf(
          nodeSign(key.scheme === 'ecdsa-sha2-nistp256' ? 'sha256' : 'sha384', message, {
            key: handle.keyObject,
            dsaEncoding: 'der',
          }),
        );
      case 'rsassa-pss-sha256':
        return bytesOf(
          nodeSign('sha256', message, {
            key: handle.keyObject,
            padding: constants.RSA_PKCS1_PSS_PADDING,
            saltLength: 32,
          }),
        );
    }
  };
  return Object.freeze({ key, sign });
}

/**
 * The Notary-style key id of a TUF 1.0 key (what key files in the trust dir
 * are named after), or undefined when the key is not one we can hold.
 */
export function notaryKeyIdOf(key: Pick<Tuf1PublicKey, 'keytype' | 'public'>): string | undefined {
  try {
    if (key.keytype === 'ed25519') {
      if (!/^[0-9a-f]{64}$/.test(key.public)) return undefined;
      return publicKeyFromBytes('ed25519', fromHex(key.public)).id;
    }
    if (key.keytype === 'ecdsa' || key.keytype === 'rsa') {
      const der = decodePem(key.public, ['PUBLIC KEY']).bytes;
      return publicKeyFromBytes(key.keytype, der).id;
    }
  } catch {
    return undefined;
  }
  return undefined;
}
