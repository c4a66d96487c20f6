/**
 * Notary/docker private key files: one PEM block, headers `role:` and `gun:`.
 *
 * Written like Notary's `ConvertPrivateKeyToPKCS8`: `ENCRYPTED PRIVATE KEY`
 * (or `PRIVATE KEY` without a passphrase), headers sorted (`gun` before `role`),
 * `gun` only for targets/snapshot/timestamp keys (Notary drops it for root and
 * delegation keys, trustmanager/keystore.go AddKey).
 *
 * Read: `ENCRYPTED PRIVATE KEY`, `PRIVATE KEY` (Notary's or standard PKCS#8),
 * `EC PRIVATE KEY` (SEC1), `RSA PRIVATE KEY` (PKCS#1), both optionally in the
 * legacy OpenSSL `Proc-Type: 4,ENCRYPTED` form, and `ED25519 PRIVATE KEY`
 * (Notary's legacy 96 raw bytes).
 */
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { int, octetString, oid, seq } from '../crypto/der.js';
import { OID } from '../crypto/oid.js';
import { type PrivateKeyHandle, signerFromEd25519Seed, signerFromKeyObject } from '../crypto/signers.js';
import { decodePem, encodePem, type PemBlock } from '../encoding/pem.js';
import { FormatError, LocalError } from '../errors.js';
import {
  decodePkcs8,
  decryptPrivateKey,
  type EncryptOptions,
  encodePkcs8,
  encryptPrivateKey,
} from './pkcs8.js';
import { ed25519Material, type PrivateKeyMaterial } from './types.js';

/** PEM labels accepted as private keys. */
export const PRIVATE_KEY_PEM_TYPES = [
  'ENCRYPTED PRIVATE KEY',
  'PRIVATE KEY',
  'EC PRIVATE KEY',
  'RSA PRIVATE KEY',
  'ED25519 PRIVATE KEY',
] as const;

/** Largest key file we read (Notary's own limit for keys is 256 KiB). */
export const MAX_KEY_FILE_BYTES = 256 * 1024;

/** Roles whose key files carry a `gun:` header (Notary drops it for root and delegations). */
const GUN_ROLES = new Set(['targets', 'snapshot', 'timestamp']);

export interface KeyFileInfo {
  /** `role:` header; '' when absent (legacy or foreign files). */
  readonly role: string;
  /** `gun:` header, when present and non-empty. */
  readonly gun?: string;
  /** `retired:` header (a root key rotated out of its repository; never chosen again), when present. */
  readonly retired?: string;
  /** `path:` header (written by `notary key export`), when present. */
  readonly path?: string;
  /** PEM label. */
  readonly pemType: string;
  /** Whether reading needs a passphrase. */
  readonly encrypted: boolean;
}

export interface LoadedKeyFile extends KeyFileInfo {
  /** Signer for the key; `key.publicKey.id` is the bare key id. */
  readonly key: PrivateKeyHandle;
}

/**
 * The same key file with a `retired: <when>` header added (the encrypted body is
 * untouched; Go's pem.Decode and Notary ignore unknown headers).
 */
export function markKeyFileRetired(pemText: string, when: string): string {
  const block = parseKeyPem(pemText);
  checkHeaderValue('retired', when);
  return encodePem({ type: block.type, headers: { ...block.headers, retired: when }, bytes: block.bytes });
}

function parseKeyPem(pemText: string): PemBlock {
  if (pemText.length > MAX_KEY_FILE_BYTES) throw new FormatError('BAD_KEY', 'key file is too large');
  return decodePem(pemText, PRIVATE_KEY_PEM_TYPES);
}

function infoOf(block: PemBlock): KeyFileInfo {
  const h = block.headers;
  const encrypted = block.type === 'ENCRYPTED PRIVATE KEY' || h['Proc-Type']?.includes('ENCRYPTED') === true;
  const info: { -readonly [K in keyof KeyFileInfo]: KeyFileInfo[K] } = {
    role: h.role ?? '',
    pemType: block.type,
    encrypted,
  };
  if (h.gun) info.gun = h.gun;
  if (h.path) info.path = h.path;
  if (h.retired) info.retired = h.retired;
  return info;
}

/** Reads the headers of a key file without decrypting it. */
export function inspectKeyFile(pemText: string): KeyFileInfo {
  return infoOf(parseKeyPem(pemText));
}

export interface ReadKeyFileOptions {
  /** Names the key in a wrong-passphrase message, e.g. `abc1234 (targets)`. */
  label?: string;
}

/**
 * Parses (and decrypts, when encrypted) a private key file. An encrypted file
 * without a passphrase, or with a wrong one, is LocalError PASSPHRASE; a
 * malformed file is FormatError BAD_KEY.
 */
export async function readKeyFile(
  pemText: string,
  passphrase: string | undefined,
  options: ReadKeyFileOptions = {},
): Promise<LoadedKeyFile> {
  const block = parseKeyPem(pemText);
  const info = infoOf(block);
  const label = options.label ?? (info.role ? `(${info.role})` : undefined);
  if (info.encrypted && (passphrase === undefined || passphrase === '')) {
    throw new LocalError('PASSPHRASE', `a passphrase is needed for key${label ? ` ${label}` : ''}`);
  }
  let key: PrivateKeyMaterial;
  switch (block.type) {
    case 'ENCRYPTED PRIVATE KEY':
      key = await decryptPrivateKey(block.bytes, passphrase as string, label ? { label } : {});
      break;
    case 'PRIVATE KEY':
      key = decodePkcs8(block.bytes);
      break;
    case 'EC PRIVATE KEY':
    case 'RSA PRIVATE KEY':
      key = legacyKey(block, info.encrypted ? (passphrase as string) : undefined, label);
      break;
    case 'ED25519 PRIVATE KEY':
      if (info.encrypted)
        throw new FormatError('BAD_KEY', 'encrypted ED25519 PRIVATE KEY blocks are not supported');
      key = decodePkcs8(seqWrapNotaryEd25519(block.bytes));
      break;
    default:
      throw new FormatError('BAD_KEY', `unsupported key type ${block.type}`);
  }
  return { ...info, key: handleOf(key) };
}

/** Wraps Notary's legacy 96 raw ed25519 bytes into its PKCS#8 form so one parser checks them. */
function seqWrapNotaryEd25519(raw: Uint8Array): Uint8Array {
  if (raw.length !== 96)
    throw new FormatError('BAD_KEY', 'malformed ed25519 private key (expected 96 bytes)');
  return seq(int(0), seq(oid(OID.ed25519Notary)), octetString(raw));
}

function legacyKey(
  block: PemBlock,
  passphrase: string | undefined,
  label: string | undefined,
): PrivateKeyMaterial {
  // Re-emit only the headers OpenSSL understands (Notary's role/gun would confuse it).
  const headers: Record<string, string> = {};
  for (const k of ['Proc-Type', 'DEK-Info']) {
    const v = block.headers[k];
    if (v !== undefined) headers[k] = v;
  }
  const pem = encodePem({ type: block.type, headers, bytes: block.bytes });
  let ko: KeyObject;
  try {
    ko = createPrivateKey(
      passphrase === undefined ? { key: pem, format: 'pem' } : { key: pem, format: 'pem', passphrase },
    );
  } catch (e) {
    if (passphrase !== undefined) {
      throw new LocalError('PASSPHRASE', `wrong passphrase for key${label ? ` ${label}` : ''}`);
    }
    throw new FormatError('BAD_KEY', `invalid ${block.type}`, { cause: e });
  }
  if (block.type === 'EC PRIVATE KEY') {
    if (ko.asymmetricKeyType !== 'ec') throw new FormatError('BAD_KEY', 'EC PRIVATE KEY is not an EC key');
    const curve = ko.asymmetricKeyDetails?.namedCurve;
    if (curve !== 'prime256v1' && curve !== 'secp384r1' && curve !== 'secp521r1') {
      throw new FormatError('BAD_KEY', `unsupported ECDSA curve ${curve ?? 'unknown'}`);
    }
    return { algorithm: 'ecdsa', keyObject: ko };
  }
  if (ko.asymmetricKeyType !== 'rsa') throw new FormatError('BAD_KEY', 'RSA PRIVATE KEY is not an RSA key');
  return { algorithm: 'rsa', keyObject: ko };
}

export interface WriteKeyFileOptions extends EncryptOptions {
  /** `role:` header (`root`, `targets`, `snapshot`, `timestamp`, or a delegation/signer name). */
  role: string;
  /** `gun:` header; written only for targets/snapshot/timestamp keys, like Notary. */
  gun?: string;
  /** Encrypt with this passphrase; `null` writes an unencrypted `PRIVATE KEY` (exports only). */
  passphrase: string | null;
  /** Optional `path:` header (what `notary key import` needs on encrypted PEMs). */
  path?: string;
}

/** Serialises a private key to a Notary-compatible PEM key file. */
export async function writeKeyFile(handle: PrivateKeyHandle, options: WriteKeyFileOptions): Promise<string> {
  const key = materialOf(handle);
  const headers: Record<string, string> = {};
  checkHeaderValue('role', options.role);
  if (options.role) headers.role = options.role;
  if (options.gun && GUN_ROLES.has(options.role)) {
    checkHeaderValue('gun', options.gun);
    headers.gun = options.gun;
  }
  if (options.path) {
    checkHeaderValue('path', options.path);
    headers.path = options.path;
  }
  if (options.passphrase === null) {
    const der = encodePkcs8(key);
    try {
      return encodePem({ type: 'PRIVATE KEY', headers, bytes: der });
    } finally {
      der.fill(0);
    }
  }
  const opts: EncryptOptions = options.iterations === undefined ? {} : { iterations: options.iterations };
  const der = await encryptPrivateKey(key, options.passphrase, opts);
  return encodePem({ type: 'ENCRYPTED PRIVATE KEY', headers, bytes: der });
}

function checkHeaderValue(name: string, v: string): void {
  if (/[\r\n]/.test(v) || v.trim() !== v) throw new LocalError('USAGE', `invalid ${name} for a key file`);
}

// ---------------------------------------------------------------------------
// Conversions between signer handles (src/crypto/signers.ts) and raw material

/** Signer handle of decoded key material. */
export function handleOf(material: PrivateKeyMaterial): PrivateKeyHandle {
  if (material.algorithm === 'ed25519') {
    const h = signerFromEd25519Seed(material.seed, material.keyObject);
    if (h.publicKey.publicB64 !== Buffer.from(material.publicKey).toString('base64')) {
      throw new FormatError('BAD_KEY', 'ed25519 public key does not match the private key');
    }
    return h;
  }
  const h = signerFromKeyObject(material.keyObject);
  if (h.algorithm !== material.algorithm) throw new FormatError('BAD_KEY', 'key algorithm mismatch');
  return h;
}

/** Raw material of a signer handle (for serialisation). */
export function materialOf(handle: PrivateKeyHandle): PrivateKeyMaterial {
  if (handle.algorithm === 'ed25519') {
    return ed25519Material(
      handle.ed25519Seed(),
      new Uint8Array(Buffer.from(handle.publicKey.publicB64, 'base64')),
    );
  }
  return { algorithm: handle.algorithm, keyObject: handle.keyObject };
}

/** Key id of the bare public key: the key file's name in `private/` (Notary's `privKey.ID()`). */
export function keyIdOf(handle: PrivateKeyHandle): string {
  return handle.publicKey.id;
}
