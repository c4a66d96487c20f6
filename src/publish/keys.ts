/**
 * Key files for the publishing workflows: finding, creating and unlocking the
 * private keys a workflow signs with, choosing a new repository's root key,
 * and the `trust key generate|load` jobs (signer key files in and out of the
 * trust dir).
 */

import { createPublicKey } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
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
import { inspectKeyFile, readKeyFile } from '../keys/keyfile.js';
import { KeyStore } from '../keys/keystore.js';
import { defaultPassphraseProvider, shortKeyId } from '../keys/passphrase.js';
import { writeFileAtomic } from '../storage/atomic.js';
import { pathOccupied } from '../storage/exists.js';
import { resolveTrustDir } from '../storage/trust-dir.js';
import type { PublishOptions } from './repository.js';

/** The key store of the trust dir (`<trustDir>/private`), or the one the caller gave. */
export function keystoreFor(ctx: { trustDir: string }, opts: PublishOptions): KeyStore {
  if (opts.keystore) return opts.keystore;
  const o: ConstructorParameters<typeof KeyStore>[1] = {};
  if (opts.passphrase) o.passphrase = opts.passphrase;
  else if (opts.env) o.passphrase = defaultPassphraseProvider({ env: opts.env });
  if (opts.keyIterations !== undefined) o.iterations = opts.keyIterations;
  return new KeyStore(ctx.trustDir, o);
}

/** Signers for the listed key ids that the key store holds (x509 keys are presented as their certificate). */
export async function heldSigners(
  keystore: KeyStore,
  keyids: readonly string[],
  keys: ReadonlyMap<string, TufPublicKey>,
): Promise<Signer[]> {
  const out: Signer[] = [];
  const seen = new Set<string>();
  for (const id of keyids) {
    const key = keys.get(id);
    if (!key) continue;
    const bare = bareKeyOf(key);
    if (seen.has(bare.id)) continue;
    // load() lists the store itself: a key it does not hold is KEY_NOT_FOUND (one listing, not two)
    const loaded = await keystore.load(bare.id).catch((e: unknown) => {
      if (e instanceof LocalError && e.code === 'KEY_NOT_FOUND') return undefined;
      throw e;
    });
    if (!loaded) continue;
    seen.add(bare.id);
    const handle = loaded.key;
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

/**
 * A new key, stored encrypted in the trust dir. `pending`: written under a name
 * the store does not list until `keystore.commitPending(id)` (see KeyStore.add).
 */
export async function createKey(
  keystore: KeyStore,
  algorithm: PrivateKeyAlgorithm,
  role: string,
  gun?: string,
  options: { pending?: boolean } = {},
): Promise<PrivateKeyHandle> {
  const handle = generateSigner(algorithm);
  await keystore.add(handle, {
    role,
    ...(gun === undefined ? {} : { gun }),
    ...(options.pending ? { pending: true } : {}),
  });
  return handle;
}

/** A root signer presenting a fresh self-signed certificate for the GUN (Notary's layout). */
export function certifiedRootSigner(handle: PrivateKeyHandle, gun: string): Signer {
  const pem = createRootCertificate(handle, gun);
  return withCertificate(handle, pem);
}

/**
 * The root key of a new repository: the one `rootKeyId` names (a key id or a
 * unique prefix of one, in this trust dir, not retired), else a new one. A root
 * key that merely sits in the trust dir is never adopted: it may be retired
 * (rotated out of another repository) or planted.
 */
export async function rootKeyFor(
  keystore: KeyStore,
  rootKeyId?: string,
): Promise<{ handle: PrivateKeyHandle; created: boolean }> {
  if (rootKeyId === undefined) return { handle: await createKey(keystore, 'ecdsa', 'root'), created: true };
  const id = await keystore.resolveKeyId(rootKeyId.toLowerCase());
  const info = await keystore.get(id);
  if (!info)
    throw new LocalError('KEY_NOT_FOUND', `no private key with id ${rootKeyId} in ${keystore.privateDir}`);
  if (info.retired) {
    throw new LocalError(
      'USAGE',
      `root key ${shortKeyId(id)} was retired on ${info.retired} (rotated out of a repository); ` +
        'a new repository gets a new root key: omit --root-key',
    );
  }
  if (info.role !== 'root') {
    throw new LocalError(
      'USAGE',
      `key ${shortKeyId(id)} is a ${info.role || 'role-less'} key, not a root key`,
    );
  }
  return { handle: (await keystore.load(id)).key, created: false };
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

// ---------------------------------------------------------------- signer key files

/** Names a signer key may not take: the top-level roles (a `root` key made here could be adopted as one). */
const RESERVED = new Set(['releases', 'root', 'targets', 'snapshot', 'timestamp']);

export function isSignerName(name: string): boolean {
  return /^[a-z0-9][-a-z0-9_]*$/.test(name) && name !== 'releases' && name.length <= 200;
}

export function checkSignerName(name: string): void {
  if (!isSignerName(name)) {
    throw new LocalError(
      'USAGE',
      `invalid signer name ${JSON.stringify(name)} (lower-case letters, digits, - and _; not "releases")`,
    );
  }
}

/** What `generateKey` wrote: the signer name, key id, and both key files. */
export interface GeneratedKey {
  name: string;
  /** Id of the key; the private key file is `<trust dir>/private/<keyId>.key`. */
  keyId: string;
  publicKeyPath: string;
  /** Path of the encrypted private key file in the trust dir. */
  privateKeyPath: string;
}

function trustDirOf(opts: PublishOptions): string {
  return resolveTrustDir(opts.trustDir, opts.env ?? process.env);
}

function publicPem(handle: PrivateKeyHandle): string {
  return createPublicKey(handle.keyObject).export({ type: 'spki', format: 'pem' }).toString();
}

/**
 * `trust key generate NAME`: NAME.pub (PEM) in `dir`, encrypted private key in
 * the trust dir. An existing NAME.pub is never overwritten (as docker). The
 * private key is written first under a pending name, then NAME.pub, then the key
 * is committed with one rename: a kill in between leaves no key without its
 * `.pub` (the next run cleans the pending file).
 */
export async function generateKey(
  name: string,
  opts: PublishOptions & { dir?: string; algorithm?: PrivateKeyAlgorithm } = {},
): Promise<GeneratedKey> {
  checkSignerName(name);
  if (RESERVED.has(name)) {
    throw new LocalError(
      'USAGE',
      `${JSON.stringify(name)} names a repository role; a signer key needs its own name (e.g. your user name)`,
    );
  }
  const dir = opts.dir ?? process.cwd();
  const path = join(dir, `${name}.pub`);
  if (await pathOccupied(path)) throw new LocalError('USAGE', `public key file already exists: ${path}`);
  const keystore = keystoreFor({ trustDir: trustDirOf(opts) }, opts);
  const handle = await createKey(keystore, opts.algorithm ?? 'ecdsa', name, undefined, { pending: true });
  try {
    try {
      await mkdir(dir, { recursive: true });
    } catch (e) {
      throw new LocalError('IO', `cannot create ${dir}: ${(e as Error).message}`);
    }
    await writeFileAtomic(path, publicPem(handle), { mode: 0o644 });
  } catch (e) {
    await keystore.discardPending(handle.publicKey.id);
    throw e;
  }
  await keystore.commitPending(handle.publicKey.id);
  return {
    name,
    keyId: handle.publicKey.id,
    publicKeyPath: path,
    privateKeyPath: join(keystore.privateDir, `${handle.publicKey.id}.key`),
  };
}

/** What `loadKey` stored: the role (signer name), key id and key file. */
export interface LoadedKey {
  /** Role the key has in the trust dir (the signer name). */
  name: string;
  keyId: string;
  privateKeyPath: string;
  /** True when the trust dir already held this key (its role kept unless `name` was given). */
  alreadyLoaded: boolean;
}

/**
 * `trust key load FILE`: imports a signer's private key (PEM, encrypted or
 * not) into the trust dir as role NAME (default: the role the trust dir already
 * gives this key, else the file's `role:` header, else `signer`). An encrypted
 * file is decrypted with `filePassphrase`, else with the passphrase provider
 * (asked for role NAME, as docker does). This is the explicit import: the key is
 * stored encrypted.
 */
export async function loadKey(
  file: string,
  opts: PublishOptions & { name?: string; filePassphrase?: string } = {},
): Promise<LoadedKey> {
  const pem = await readFile(file, 'utf8').catch((e: Error) => {
    throw new LocalError('IO', `cannot read ${file}: ${e.message}`);
  });
  if (
    /-----BEGIN (?:[A-Z]+ )?PUBLIC KEY-----|-----BEGIN CERTIFICATE-----/.test(pem) &&
    !/PRIVATE KEY-----/.test(pem)
  ) {
    throw new LocalError(
      'BAD_KEY',
      `${file} is a public key (or certificate), and key load imports private keys: give the public key ` +
        "to the repository's administrator for 'trust signer add --key FILE NAME IMAGE', and load the " +
        'matching private key here',
    );
  }
  const info = inspectKeyFile(pem);
  const keystore = keystoreFor({ trustDir: trustDirOf(opts) }, opts);
  if (info.role === 'root' && opts.name === undefined) {
    throw new LocalError('USAGE', `${file} is a root key; signer keys only (give --name to load it anyway)`);
  }
  const fromHeader = info.role.replace(/^targets\//, '');
  let name = opts.name ?? (isSignerName(fromHeader) ? fromHeader : 'signer');
  checkSignerName(name);
  let passphrase = opts.filePassphrase;
  if (info.encrypted && passphrase === undefined) {
    const ask = opts.passphrase ?? defaultPassphraseProvider(opts.env ? { env: opts.env } : {});
    const keyId = info.path && /^[0-9a-f]{64}$/.test(info.path) ? info.path : '';
    passphrase = await ask({ role: name, keyId, attempt: 0, creating: false });
  }
  const loaded = await readKeyFile(pem, passphrase, { label: file });
  const keyId = loaded.key.publicKey.id;
  const present = await keystore.get(keyId);
  if (present && opts.name === undefined && present.role) {
    // loading the same key again must not silently give it another role
    name = present.role;
  }
  await keystore.add(loaded.key, { role: name, overwrite: true });
  return { name, keyId, privateKeyPath: join(keystore.privateDir, `${keyId}.key`), alreadyLoaded: !!present };
}
