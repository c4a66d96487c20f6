/** Finding, creating and unlocking the private keys a workflow signs with. */

import { createPublicKey } from 'node:crypto';
import { bareKeyOf, publicKeyFromBytes, publicKeyFromKeyObject } from '../crypto/keys.js';
import {
  generateSigner,
  type PrivateKeyAlgorithm,
  type PrivateKeyHandle,
  withCertificate,
} from '../crypto/signers.js';
import type { Signer, TufPublicKey } from '../crypto/types.js';
import { createRootCertificate } from '../crypto/x509.js';
import { decodePem } from '../encoding/pem.js';
import { LocalError } from '../errors.js';
import type { KeyStore } from '../keys/keystore.js';

/** Signers for the listed key ids that the key store holds (x509 keys are presented as their certificate). */
export async function heldSigners(
  keystore: KeyStore,
  keyids: readonly string[],
  keys: ReadonlyMap<string, TufPublicKey>,
): Promise<Signer[]> {
  const out: Signer[] = [];
  for (const id of keyids) {
    const key = keys.get(id);
    if (!key) continue;
    const bare = bareKeyOf(key);
    if (!(await keystore.get(bare.id))) continue;
    const { key: handle } = await keystore.load(bare.id);
    out.push(
      key.id === bare.id
        ? handle
        : withCertificate(handle, Buffer.from(key.publicB64, 'base64').toString('latin1')),
    );
  }
  return out;
}

/** True when the key store holds a private key for any of the ids. */
export async function holdsAny(
  keystore: KeyStore,
  keyids: readonly string[],
  keys: ReadonlyMap<string, TufPublicKey>,
): Promise<boolean> {
  for (const id of keyids) {
    const key = keys.get(id);
    if (key && (await keystore.get(bareKeyOf(key).id))) return true;
  }
  return false;
}

/** A new key, stored encrypted in the trust dir. */
export async function createKey(
  keystore: KeyStore,
  algorithm: PrivateKeyAlgorithm,
  role: string,
  gun?: string,
): Promise<PrivateKeyHandle> {
  const handle = generateSigner(algorithm);
  await keystore.add(handle, gun === undefined ? { role } : { role, gun });
  return handle;
}

/** A root signer presenting a fresh self-signed certificate for the GUN (Notary's layout). */
export function certifiedRootSigner(handle: PrivateKeyHandle, gun: string): Signer {
  const pem = createRootCertificate(handle, gun);
  return withCertificate(handle, pem);
}

/** The root key to use for a new repository: an existing root key in the trust dir, else a new one. */
export async function rootKeyFor(keystore: KeyStore): Promise<PrivateKeyHandle> {
  const existing = await keystore.find({ role: 'root' });
  if (existing.length > 0) return (await keystore.load(existing[0]!.keyId)).key;
  return createKey(keystore, 'ecdsa', 'root');
}

/** Parses a public key given as PEM (SPKI, PKCS#1 RSA, or a certificate) for use as a delegation key. */
export function publicKeyFromPem(pem: string): TufPublicKey {
  try {
    if (pem.includes('-----BEGIN CERTIFICATE-----')) {
      try {
        return publicKeyFromBytes('ecdsa-x509', Buffer.from(pem));
      } catch {
        return publicKeyFromBytes('rsa-x509', Buffer.from(pem));
      }
    }
    // headers (notary's `key generate -o` writes `role: NAME`) are dropped, as Go's pem.Decode does
    const block = decodePem(pem, ['PUBLIC KEY', 'RSA PUBLIC KEY']);
    const der = Buffer.from(block.bytes);
    const type = block.type === 'PUBLIC KEY' ? 'spki' : 'pkcs1';
    return publicKeyFromKeyObject(createPublicKey({ key: der, format: 'der', type }));
  } catch (e) {
    throw new LocalError('BAD_KEY', `not a usable PEM public key or certificate: ${(e as Error).message}`);
  }
}
