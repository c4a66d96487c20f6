/**
 * The `noble` crypto backend: @noble/hashes for SHA-2 and Go's ed25519 verification on
 * @noble/ed25519's point arithmetic (the reasons are in backend.ts), and the public
 * `setCryptoBackend`, which is what makes these primitives reachable. Only the library's entry
 * imports this module: the CLI bundles never select the noble backend, so they neither contain nor
 * initialise @noble (issue 12).
 */

import * as ed from '@noble/ed25519';
import { sha256, sha384, sha512 } from '@noble/hashes/sha2.js';
import {
  type CryptoBackendName,
  type HashAlgorithm,
  type NoblePrimitives,
  selectCryptoBackend,
} from './backend.js';

// noble's synchronous API needs a SHA-512 implementation configured once.
ed.hashes.sha512 = sha512;

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
  const k = bytesToBigintLE(sha512(h)) % L;
  const sB = ed.Point.BASE.multiply(s, false);
  const kA = A.multiply(k, false);
  return equalBytes(sB.subtract(kA).toBytes(), rBytes);
}

const NOBLE: NoblePrimitives = {
  digest(alg: HashAlgorithm, data: Uint8Array): Uint8Array {
    switch (alg) {
      case 'sha256':
        return sha256(data);
      case 'sha384':
        return sha384(data);
      case 'sha512':
        return sha512(data);
      default:
        throw new TypeError(`unknown hash ${String(alg)}`);
    }
  },
  ed25519PublicFromSeed: (seed) => ed.getPublicKey(seed),
  ed25519Sign: (seed, message) => ed.sign(message, seed),
  ed25519Verify(publicKey, message, signature) {
    try {
      return goEd25519Verify(publicKey, message, signature);
    } catch {
      return false;
    }
  },
};

/** Selects the primitive implementation used from now on (process-wide). */
export function setCryptoBackend(name: CryptoBackendName): void {
  selectCryptoBackend(name, name === 'noble' ? NOBLE : undefined);
}
