/**
 * The one module that knows which primitive implementation is in use.
 *
 * - `node` (default): `node:crypto` (OpenSSL). Hot path on Node.
 * - `noble`: `@noble/hashes` for SHA-2 and `@noble/ed25519` point arithmetic for
 *   ed25519, for runtimes without a usable `node:crypto` Ed25519.
 *
 * ECDSA and RSA always go through `node:crypto` (there is no pure-JS fallback
 * bundled); only hashing and ed25519 switch with the backend.
 *
 * Ed25519 verification follows Go's `crypto/ed25519` (Go 1.19, what Notary 0.7
 * is built with) bit for bit, not RFC 8032's strictest reading and not ZIP-215:
 *   - signature exactly 64 bytes, S canonical (S < L);
 *   - A decoded leniently: non-canonical y (y >= p) and "negative zero" x are
 *     accepted, small-order A is accepted; the challenge hash uses A's bytes as
 *     given;
 *   - cofactorless equation, checked by encoding [S]B - [k]A and comparing the
 *     bytes with R (so a non-canonical R never verifies).
 * OpenSSL 3 (Node 20) agrees with Go on every edge case we pinned (see
 * testdata/ed25519-edge.json, verdicts produced by Go itself). noble's own
 * `verify()` does not (with `zip215:false` it rejects small-order/non-canonical A
 * and uses the cofactored equation, accepting R+torsion forgeries Go rejects), so
 * the noble backend implements Go's algorithm on noble's `Point` instead.
 */
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  type KeyObject,
  sign as nodeSign,
  verify as nodeVerify,
} from 'node:crypto';
import * as ed from '@noble/ed25519';
import { sha256 as nobleSha256, sha384 as nobleSha384, sha512 as nobleSha512 } from '@noble/hashes/sha2.js';

/** Signature and hash implementation: `node` (node:crypto) or `noble` (@noble, pure JavaScript). */
export type CryptoBackendName = 'node' | 'noble';

let current: CryptoBackendName = 'node';

// noble's synchronous API needs a SHA-512 implementation configured once.
ed.hashes.sha512 = nobleSha512;

/** Selects the primitive implementation used from now on (process-wide). */
export function setCryptoBackend(name: CryptoBackendName): void {
  if (name !== 'node' && name !== 'noble') throw new TypeError(`unknown crypto backend ${String(name)}`);
  current = name;
}

/** The crypto backend in use (see `setCryptoBackend`). */
export function getCryptoBackend(): CryptoBackendName {
  return current;
}

// ---------------------------------------------------------------------------
// Hashes

export type HashAlgorithm = 'sha256' | 'sha384' | 'sha512';

function nodeDigest(alg: HashAlgorithm, data: Uint8Array): Uint8Array {
  const b = createHash(alg).update(data).digest();
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

export function digest(alg: HashAlgorithm, data: Uint8Array): Uint8Array {
  if (current === 'node') return nodeDigest(alg, data);
  switch (alg) {
    case 'sha256':
      return nobleSha256(data);
    case 'sha384':
      return nobleSha384(data);
    case 'sha512':
      return nobleSha512(data);
    default:
      throw new TypeError(`unknown hash ${String(alg)}`);
  }
}

export function sha256(data: Uint8Array): Uint8Array {
  return current === 'node' ? nodeDigest('sha256', data) : nobleSha256(data);
}

export function sha512(data: Uint8Array): Uint8Array {
  return current === 'node' ? nodeDigest('sha512', data) : nobleSha512(data);
}

// ---------------------------------------------------------------------------
// Ed25519

const ED25519_SPKI_PREFIX = Uint8Array.from([
  0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
]);
const ED25519_PKCS8_PREFIX = Uint8Array.from([
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
]);

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/** Node public KeyObject for 32 raw ed25519 public key bytes (not validated as a point). */
export function ed25519PublicKeyObject(publicKey: Uint8Array): KeyObject {
  if (publicKey.length !== 32) throw new RangeError('ed25519 public key must be 32 bytes');
  return createPublicKey({
    key: Buffer.from(concat(ED25519_SPKI_PREFIX, publicKey)),
    format: 'der',
    type: 'spki',
  });
}

/** Node private KeyObject for a 32-byte RFC 8032 seed. */
export function ed25519PrivateKeyObject(seed: Uint8Array): KeyObject {
  if (seed.length !== 32) throw new RangeError('ed25519 seed must be 32 bytes');
  return createPrivateKey({
    key: Buffer.from(concat(ED25519_PKCS8_PREFIX, seed)),
    format: 'der',
    type: 'pkcs8',
  });
}

/**
 * Public key bytes for a 32-byte seed. `nodeKey`, the seed's private KeyObject when the caller has
 * made it, saves importing the key a second time (~1 ms each).
 */
export function ed25519PublicFromSeed(seed: Uint8Array, nodeKey?: KeyObject): Uint8Array {
  if (seed.length !== 32) throw new RangeError('ed25519 seed must be 32 bytes');
  if (current === 'noble') return ed.getPublicKey(seed);
  const jwk = createPublicKey(nodeKey ?? ed25519PrivateKeyObject(seed)).export({ format: 'jwk' });
  return new Uint8Array(Buffer.from(String(jwk.x), 'base64url'));
}

/**
 * Signs with a 32-byte seed. `nodeKey` (the seed's private KeyObject) avoids
 * re-importing the key on the node backend.
 */
export function ed25519Sign(seed: Uint8Array, message: Uint8Array, nodeKey?: KeyObject): Uint8Array {
  if (current === 'noble') return ed.sign(message, seed);
  const sig = nodeSign(null, message, nodeKey ?? ed25519PrivateKeyObject(seed));
  return new Uint8Array(sig.buffer, sig.byteOffset, sig.byteLength);
}

const L = 2n ** 252n + 27742317777372353535851937790883648493n;

function bytesToBigintLE(b: Uint8Array): bigint {
  let n = 0n;
  for (let i = b.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(b[i] as number);
  return n;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= (a[i] as number) ^ (b[i] as number);
  return d === 0;
}

/** Go 1.19 crypto/ed25519.Verify, on noble's point arithmetic. */
function goEd25519Verify(publicKey: Uint8Array, message: Uint8Array, sig: Uint8Array): boolean {
  if (publicKey.length !== 32 || sig.length !== 64) return false;
  const rBytes = sig.subarray(0, 32);
  const s = bytesToBigintLE(sig.subarray(32, 64));
  if (s >= L) return false; // SetCanonicalBytes (also covers sig[63]&224 != 0)
  let A: InstanceType<typeof ed.Point>;
  try {
    // zip215=true = lenient decoding: y < 2^255 unreduced, x=0 with sign bit: as edwards25519.SetBytes.
    A = ed.Point.fromBytes(publicKey, true);
  } catch {
    return false;
  }
  const h = new Uint8Array(64 + message.length);
  h.set(rBytes, 0);
  h.set(publicKey, 32);
  h.set(message, 64);
  const k = bytesToBigintLE(nobleSha512(h)) % L;
  const sB = ed.Point.BASE.multiply(s, false);
  const kA = A.multiply(k, false);
  return equalBytes(sB.subtract(kA).toBytes(), rBytes);
}

/**
 * Verifies an ed25519 signature with Go crypto/ed25519 semantics. Never throws.
 * `nodeKey` is the public KeyObject for `publicKey` (saves an import per call).
 */
export function ed25519Verify(
  publicKey: Uint8Array,
  message: Uint8Array,
  signature: Uint8Array,
  nodeKey?: KeyObject,
): boolean {
  if (publicKey.length !== 32 || signature.length !== 64) return false;
  try {
    if (current === 'noble') return goEd25519Verify(publicKey, message, signature);
    return nodeVerify(null, message, nodeKey ?? ed25519PublicKeyObject(publicKey), signature);
  } catch {
    return false;
  }
}
