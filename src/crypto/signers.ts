/**
 * Private keys that sign the way Notary signs:
 * ed25519 → `eddsa`; ecdsa → `ecdsa` (SHA-256, raw r‖s); rsa → `rsapss`
 * (SHA-256, salt = 32) (tuf/data/keys.go `Sign`/`SignatureAlgorithm`).
 *
 * Private material lives in private class fields: it never shows up in
 * `JSON.stringify`, `util.inspect` or error messages.
 */
import {
  constants,
  createPrivateKey,
  generateKeyPairSync,
  type KeyObject,
  sign as nodeSign,
} from 'node:crypto';
import { inspect } from 'node:util';
import { FormatError, LocalError } from '../errors.js';
import { ed25519PrivateKeyObject, ed25519PublicFromSeed, ed25519Sign } from './backend.js';
import { MIN_RSA_BITS, preparedKey, publicKeyFromBytes, publicKeyFromKeyObject } from './keys.js';
import type { SignatureMethod, Signer, TufPublicKey } from './types.js';
import { equalBytes } from './util.js';

/** Algorithm of a new private key. */
export type PrivateKeyAlgorithm = 'ed25519' | 'ecdsa' | 'rsa';

/** A private key plus what key-file code needs to serialise it. */
export interface PrivateKeyHandle extends Signer {
  readonly algorithm: PrivateKeyAlgorithm;
  /** Node private KeyObject. */
  readonly keyObject: KeyObject;
  /**
   * Standard unencrypted PKCS#8 DER: RFC 5208 with SEC1 (ecdsa) or PKCS#1 (rsa)
   * inside, RFC 8410 for ed25519. (Notary's own ed25519 file format is built
   * from `ed25519Seed()` + `publicKey` by the key-file code.)
   */
  toPkcs8Der(): Uint8Array;
  /** ed25519 only: the 32-byte RFC 8032 seed. Throws for other algorithms. */
  ed25519Seed(): Uint8Array;
}

const METHOD: Readonly<Record<PrivateKeyAlgorithm, SignatureMethod>> = {
  ed25519: 'eddsa',
  ecdsa: 'ecdsa',
  rsa: 'rsapss',
};

const SUPPORTED_CURVES = new Set(['prime256v1', 'secp384r1', 'secp521r1', 'secp224r1']);

function bytesOf(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

class KeyHandle implements PrivateKeyHandle {
  readonly algorithm: PrivateKeyAlgorithm;
  readonly method: SignatureMethod;
  readonly publicKey: TufPublicKey;
  readonly #key: KeyObject;
  readonly #seed: Uint8Array | undefined;

  constructor(algorithm: PrivateKeyAlgorithm, key: KeyObject, publicKey: TufPublicKey, seed?: Uint8Array) {
    this.algorithm = algorithm;
    this.method = METHOD[algorithm];
    this.publicKey = publicKey;
    this.#key = key;
    this.#seed = seed;
  }

  get keyObject(): KeyObject {
    return this.#key;
  }

  sign(message: Uint8Array): Uint8Array {
    switch (this.algorithm) {
      case 'ed25519':
        return ed25519Sign(this.#seed as Uint8Array, message, this.#key);
      case 'ecdsa':
        return bytesOf(nodeSign('sha256', message, { key: this.#key, dsaEncoding: 'ieee-p1363' }));
      case 'rsa':
        return bytesOf(
          nodeSign('sha256', message, {
            key: this.#key,
            padding: constants.RSA_PKCS1_PSS_PADDING,
            saltLength: 32,
          }),
        );
    }
  }

  toPkcs8Der(): Uint8Array {
    return bytesOf(this.#key.export({ type: 'pkcs8', format: 'der' }));
  }

  ed25519Seed(): Uint8Array {
    if (this.#seed === undefined) throw new LocalError('USAGE', `${this.algorithm} key has no ed25519 seed`);
    return Uint8Array.from(this.#seed);
  }

  toJSON(): Record<string, string> {
    return { algorithm: this.algorithm, keyId: this.publicKey.id };
  }

  [inspect.custom](): string {
    return `PrivateKeyHandle(${this.algorithm} ${this.publicKey.id})`;
  }
}

export interface GenerateOptions {
  /** ECDSA curve; Notary only generates P-256. */
  curve?: 'P-256' | 'P-384';
  /** RSA modulus size (Notary never generates RSA keys; >= 2048). Default 2048. */
  rsaBits?: number;
}

/** Generates a fresh key (ecdsa defaults to P-256, as Notary). */
export function generateSigner(type: PrivateKeyAlgorithm, options: GenerateOptions = {}): PrivateKeyHandle {
  switch (type) {
    case 'ed25519': {
      const { privateKey } = generateKeyPairSync('ed25519');
      return signerFromKeyObject(privateKey);
    }
    case 'ecdsa': {
      const namedCurve = options.curve === 'P-384' ? 'secp384r1' : 'prime256v1';
      const { privateKey } = generateKeyPairSync('ec', { namedCurve });
      return signerFromKeyObject(privateKey);
    }
    case 'rsa': {
      const modulusLength = options.rsaBits ?? 2048;
      if (!Number.isInteger(modulusLength) || modulusLength < MIN_RSA_BITS) {
        throw new LocalError('USAGE', `RSA keys need at least ${MIN_RSA_BITS} bits`);
      }
      const { privateKey } = generateKeyPairSync('rsa', { modulusLength });
      return signerFromKeyObject(privateKey);
    }
    default:
      throw new LocalError('USAGE', `cannot generate ${String(type)} keys`);
  }
}

/** Wraps a Node private KeyObject (ed25519, EC on a NIST curve, RSA >= 2048). */
export function signerFromKeyObject(keyObject: KeyObject): PrivateKeyHandle {
  if (keyObject.type !== 'private') throw new FormatError('BAD_KEY', 'not a private key');
  switch (keyObject.asymmetricKeyType) {
    case 'ed25519': {
      const jwk = keyObject.export({ format: 'jwk' });
      const seed = new Uint8Array(Buffer.from(String(jwk.d), 'base64url'));
      return new KeyHandle('ed25519', keyObject, publicKeyFromKeyObject(keyObject), seed);
    }
    case 'ec': {
      const curve = keyObject.asymmetricKeyDetails?.namedCurve ?? '';
      if (!SUPPORTED_CURVES.has(curve)) throw new FormatError('BAD_KEY', `unsupported EC curve ${curve}`);
      return new KeyHandle('ecdsa', keyObject, publicKeyFromKeyObject(keyObject));
    }
    case 'rsa': {
      const bits = keyObject.asymmetricKeyDetails?.modulusLength ?? 0;
      if (bits < MIN_RSA_BITS)
        throw new FormatError('BAD_KEY', `RSA key has ${bits} bits, at least 2048 required`);
      return new KeyHandle('rsa', keyObject, publicKeyFromKeyObject(keyObject));
    }
    default:
      throw new FormatError('BAD_KEY', `unsupported private key type ${String(keyObject.asymmetricKeyType)}`);
  }
}

/** An ed25519 signer from its 32-byte seed (the RFC 8032 private key). */
export function signerFromEd25519Seed(seed: Uint8Array, keyObject?: KeyObject): PrivateKeyHandle {
  if (!(seed instanceof Uint8Array) || seed.length !== 32) {
    throw new FormatError('BAD_KEY', 'ed25519 seed must be 32 bytes');
  }
  const own = Uint8Array.from(seed);
  // imported once (or given, from the key file's check), for the public key and for signing
  const node = keyObject ?? ed25519PrivateKeyObject(own);
  const publicKey = publicKeyFromBytes('ed25519', ed25519PublicFromSeed(own, node));
  return new KeyHandle('ed25519', node, publicKey, own);
}

/** A signer from unencrypted standard PKCS#8 DER. */
export function signerFromPkcs8Der(der: Uint8Array): PrivateKeyHandle {
  let keyObject: KeyObject;
  try {
    keyObject = createPrivateKey({ key: Buffer.from(der), format: 'der', type: 'pkcs8' });
  } catch (cause) {
    throw new FormatError('BAD_KEY', 'not a PKCS#8 private key', { cause });
  }
  return signerFromKeyObject(keyObject);
}

/** A signer presenting an x509 key (certificate) instead of its bare key. */
export interface CertifiedSigner extends Signer {
  /** The bare key (`ecdsa`/`rsa`) the certificate certifies. */
  readonly bareKey: TufPublicKey;
}

/**
 * Makes `signer` present the certificate `certPem` (ecdsa-x509 / rsa-x509) as its
 * public key, as root keys must. `certPem` is kept byte for byte (its bytes are
 * the key's public value). Throws FormatError BAD_CERTIFICATE when the
 * certificate does not hold the signer's public key.
 */
export function withCertificate(signer: Signer, certPem: string): CertifiedSigner {
  const bare = signer.publicKey;
  if (bare.keytype !== 'ecdsa' && bare.keytype !== 'rsa') {
    throw new FormatError('BAD_CERTIFICATE', `a ${bare.keytype} key cannot be presented as a certificate`);
  }
  const keytype = bare.keytype === 'ecdsa' ? 'ecdsa-x509' : 'rsa-x509';
  let certKey: TufPublicKey;
  try {
    certKey = publicKeyFromBytes(keytype, new Uint8Array(Buffer.from(certPem, 'latin1')));
  } catch (cause) {
    throw new FormatError('BAD_CERTIFICATE', `not a usable ${keytype} certificate`, { cause });
  }
  const p = preparedKey(certKey);
  const b = preparedKey(bare);
  const certSpki = p.kind === 'ed25519' ? undefined : p.node.export({ type: 'spki', format: 'der' });
  const bareSpki = b.kind === 'ed25519' ? undefined : b.node.export({ type: 'spki', format: 'der' });
  if (certSpki === undefined || bareSpki === undefined || !equalBytes(bytesOf(certSpki), bytesOf(bareSpki))) {
    throw new FormatError('BAD_CERTIFICATE', `certificate does not hold the public key ${bare.id}`);
  }
  return Object.freeze({
    publicKey: certKey,
    bareKey: bare,
    method: signer.method,
    sign: (message: Uint8Array) => signer.sign(message),
  });
}
