/**
 * Signature verification exactly as Notary's tuf/signed/verifiers.go pairs
 * methods with key types:
 *
 * | method        | key types            | algorithm                                            |
 * |---------------|----------------------|------------------------------------------------------|
 * | `eddsa`       | ed25519              | Ed25519 (Go crypto/ed25519 rules), 64-byte sig       |
 * | `ecdsa`       | ecdsa, ecdsa-x509    | ECDSA over SHA-256 (whatever the curve), raw r‖s of  |
 * |               |                      | 2·ceil(bits/8) bytes (64 for P-256, 96 for P-384)    |
 * | `rsapss`      | rsa, rsa-x509        | RSASSA-PSS SHA-256, MGF1-SHA-256, salt 32 bytes      |
 * | `rsapkcs1v15` | rsa, rsa-x509        | RSASSA-PKCS1-v1_5 SHA-256                            |
 *
 * RSA keys need >= 2048 bits and the signature must be exactly the modulus
 * length. x509 key types use the leaf certificate's public key; the
 * certificate's validity is not checked here (that is root policy, x509.ts).
 */
import { constants, verify as nodeVerify } from 'node:crypto';
import { ed25519Verify } from './backend.js';
import { MIN_RSA_BITS, preparedKey } from './keys.js';
import type { SignatureMethod, TufPublicKey } from './types.js';

export const SIGNATURE_METHODS: readonly SignatureMethod[] = ['eddsa', 'ecdsa', 'rsapss', 'rsapkcs1v15'];

export function isSignatureMethod(s: unknown): s is SignatureMethod {
  return typeof s === 'string' && (SIGNATURE_METHODS as readonly string[]).includes(s);
}

/** Which key types a method works with (verifiers.go). */
export function methodAcceptsKeyType(method: string, keytype: string): boolean {
  switch (method) {
    case 'eddsa':
      return keytype === 'ed25519';
    case 'ecdsa':
      return keytype === 'ecdsa' || keytype === 'ecdsa-x509';
    case 'rsapss':
    case 'rsapkcs1v15':
      return keytype === 'rsa' || keytype === 'rsa-x509';
    default:
      return false;
  }
}

/**
 * True iff `sig` is a valid `method` signature of `message` by `key`. Never
 * throws: unknown methods, method/key type mismatches, unusable keys, wrong
 * lengths and malformed signatures all give false.
 */
export function verifySignature(
  key: TufPublicKey,
  method: string,
  sig: Uint8Array,
  message: Uint8Array,
): boolean {
  try {
    if (!(sig instanceof Uint8Array) || !(message instanceof Uint8Array)) return false;
    if (method === TUF1_METHOD) return verifySchemeSignature(key, sig, message);
    if (key.scheme !== undefined) return false; // a TUF 1.0 key signs with its scheme only
    if (!methodAcceptsKeyType(method, key.keytype)) return false;
    const p = preparedKey(key);
    switch (p.kind) {
      case 'ed25519':
        return sig.length === 64 && ed25519Verify(p.raw, message, sig, p.node());
      case 'ecdsa':
        if (sig.length !== p.sigLength) return false;
        return nodeVerify('sha256', message, { key: p.node, dsaEncoding: 'ieee-p1363' }, sig);
      case 'rsa':
        if (p.modulusBits < MIN_RSA_BITS || sig.length !== p.modulusBytes) return false;
        if (method === 'rsapss') {
          return nodeVerify(
            'sha256',
            message,
            { key: p.node, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 },
            sig,
          );
        }
        return nodeVerify('sha256', message, { key: p.node, padding: constants.RSA_PKCS1_PADDING }, sig);
    }
  } catch {
    return false;
  }
}

/**
 * The method of every TUF 1.0 signature (`{keyid, sig}` carries none): the algorithm is the key's
 * `scheme`, as securesystemslib pairs them.
 *
 * | scheme                                    | algorithm                                          |
 * |-------------------------------------------|----------------------------------------------------|
 * | `ed25519`                                 | Ed25519, 64-byte signature                         |
 * | `ecdsa-sha2-nistp256` / `384` / `521`     | ECDSA, DER signature, SHA-256/384/512, curve fixed |
 * | `rsassa-pss-sha224..512`                  | RSASSA-PSS, MGF1 same hash, any salt length        |
 * | `rsa-pkcs1v15-sha224..512`                | RSASSA-PKCS1-v1_5                                  |
 */
export const TUF1_METHOD = 'tuf1';

/** TUF 1.0 ECDSA scheme -> the curve its key must be on. */
export const TUF1_ECDSA_CURVES: Readonly<Record<string, string>> = {
  'ecdsa-sha2-nistp256': 'P-256',
  'ecdsa-sha2-nistp384': 'P-384',
  'ecdsa-sha2-nistp521': 'P-521',
};

function schemeHash(scheme: string): string {
  if (scheme.endsWith('224')) return 'sha224';
  if (scheme.endsWith('384')) return 'sha384';
  if (scheme.endsWith('512') || scheme.endsWith('521')) return 'sha512';
  return 'sha256';
}

/** TUF 1.0: verifies with the key's scheme. Never throws. */
function verifySchemeSignature(key: TufPublicKey, sig: Uint8Array, message: Uint8Array): boolean {
  const scheme = key.scheme;
  if (scheme === undefined) return false;
  const p = preparedKey(key);
  switch (p.kind) {
    case 'ed25519':
      return scheme === 'ed25519' && sig.length === 64 && ed25519Verify(p.raw, message, sig, p.node());
    case 'ecdsa':
      if (TUF1_ECDSA_CURVES[scheme] !== p.curve) return false;
      return nodeVerify(schemeHash(scheme), message, { key: p.node, dsaEncoding: 'der' }, sig);
    case 'rsa': {
      if (p.modulusBits < MIN_RSA_BITS || sig.length !== p.modulusBytes) return false;
      if (scheme.startsWith('rsassa-pss-')) {
        const padding = {
          padding: constants.RSA_PKCS1_PSS_PADDING,
          saltLength: constants.RSA_PSS_SALTLEN_AUTO,
        };
        return nodeVerify(schemeHash(scheme), message, { key: p.node, ...padding }, sig);
      }
      if (scheme.startsWith('rsa-pkcs1v15-')) {
        return nodeVerify(
          schemeHash(scheme),
          message,
          { key: p.node, padding: constants.RSA_PKCS1_PADDING },
          sig,
        );
      }
      return false;
    }
  }
}
