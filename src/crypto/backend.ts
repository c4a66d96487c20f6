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
 *
 * The noble primitives live in src/crypto/noble.ts, which also holds the public
 * `setCryptoBackend` (exported by the library's entry). Modules here only see them
 * once selected, so the CLI bundles, which never select them, neither contain nor
 * initialise @noble (issue 12: building noble's SHA-512 tables and curve constants
 * at load was ~1.9 ms of every `trust verify` and `trust sign`).
 */
import {
  createPrivateKey,
  createPublicKey,
  hash,
  type KeyObject,
  sign as nodeSign,
  verify as nodeVerify,
} from 'node:crypto';

/** Signature and hash implementation: `node` (node:crypto) or `noble` (@noble, pure JavaScript). */
export type CryptoBackendName = 'node' | 'noble';

/** The pure-JavaScript primitives of the `noble` backend (src/crypto/noble.ts). */
export interface NoblePrimitives {
  digest(alg: HashAlgorithm, data: Uint8Array): Uint8Array;
  ed25519PublicFromSeed(seed: Uint8Array): Uint8Array;
  ed25519Sign(seed: Uint8Array, message: Uint8Array): Uint8Array;
  /** Go 1.19 crypto/ed25519.Verify semantics; never throws. */
  ed25519Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean;
}

/** The noble primitives while the `noble` backend is selected; undefined: `node`. */
let noble: NoblePrimitives | undefined;

/**
 * Selects the backend (process-wide). `primitives` are noble's, required for `noble`: the public
 * `setCryptoBackend` (src/crypto/noble.ts) passes them.
 */
export function selectCryptoBackend(name: CryptoBackendName, primitives?: NoblePrimitives): void {
  if (name !== 'node' && name !== 'noble') throw new TypeError(`unknown crypto backend ${String(name)}`);
  if (name === 'noble' && primitives === undefined)
    throw new TypeError('the noble backend needs its primitives');
  noble = name === 'noble' ? primitives : undefined;
}

/** The crypto backend in use (see `setCryptoBackend`). */
export function getCryptoBackend(): CryptoBackendName {
  return noble ? 'noble' : 'node';
}

// ---------------------------------------------------------------------------
// Hashes

export type HashAlgorithm = 'sha256' | 'sha384' | 'sha512';

function nodeDigest(alg: HashAlgorithm, data: Uint8Array): Uint8Array {
  // one-shot crypto.hash: no Hash object (a stream) per digest; its first use in a process costs
  // about half of createHash's (issue 12)
  const b = hash(alg, data, 'buffer');
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

export function digest(alg: HashAlgorithm, data: Uint8Array): Uint8Array {
  return noble ? noble.digest(alg, data) : nodeDigest(alg, data);
}

export function sha256(data: Uint8Array): Uint8Array {
  return noble ? noble.digest('sha256', data) : nodeDigest('sha256', data);
}

export function sha512(data: Uint8Array): Uint8Array {
  return noble ? noble.digest('sha512', data) : nodeDigest('sha512', data);
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
  if (noble) return noble.ed25519PublicFromSeed(seed);
  const jwk = createPublicKey(nodeKey ?? ed25519PrivateKeyObject(seed)).export({ format: 'jwk' });
  return new Uint8Array(Buffer.from(String(jwk.x), 'base64url'));
}

/**
 * Signs with a 32-byte seed. `nodeKey` (the seed's private KeyObject) avoids
 * re-importing the key on the node backend.
 */
export function ed25519Sign(seed: Uint8Array, message: Uint8Array, nodeKey?: KeyObject): Uint8Array {
  if (noble) return noble.ed25519Sign(seed, message);
  const sig = nodeSign(null, message, nodeKey ?? ed25519PrivateKeyObject(seed));
  return new Uint8Array(sig.buffer, sig.byteOffset, sig.byteLength);
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
    if (noble) return noble.ed25519Verify(publicKey, message, signature);
    return nodeVerify(null, message, nodeKey ?? ed25519PublicKeyObject(publicKey), signature);
  } catch {
    return false;
  }
}
