/**
 * Neutral private-key handle passed between the key files layer and the
 * signers (src/crypto/signers.ts). Private material never leaves these objects
 * through messages, `toJSON` or inspection: ECDSA/RSA stay in a node KeyObject,
 * ed25519 keeps its 32-byte seed (non-enumerable, see `ed25519Material`).
 */
import type { KeyObject } from 'node:crypto';

export type KeyAlgorithm = 'ecdsa' | 'rsa' | 'ed25519';

export interface KeyObjectMaterial {
  readonly algorithm: 'ecdsa' | 'rsa';
  /** Private KeyObject (node:crypto); ECDSA curves P-256/P-384/P-521, RSA any size. */
  readonly keyObject: KeyObject;
}

export interface Ed25519Material {
  readonly algorithm: 'ed25519';
  /** 32-byte RFC 8032 private seed. Non-enumerable so it does not show up in logs or JSON. */
  readonly seed: Uint8Array;
  /** 32-byte public key. */
  readonly publicKey: Uint8Array;
  /** The seed's private KeyObject, when the decoder made one to check the public key (non-enumerable). */
  readonly keyObject?: KeyObject;
}

export type PrivateKeyMaterial = KeyObjectMaterial | Ed25519Material;

/** Builds an ed25519 handle whose seed is not enumerable (kept out of JSON.stringify / console.log). */
export function ed25519Material(
  seed: Uint8Array,
  publicKey: Uint8Array,
  keyObject?: KeyObject,
): Ed25519Material {
  const m = { algorithm: 'ed25519' as const, publicKey };
  Object.defineProperty(m, 'seed', { value: seed, enumerable: false });
  if (keyObject) Object.defineProperty(m, 'keyObject', { value: keyObject, enumerable: false });
  return m as Ed25519Material;
}
