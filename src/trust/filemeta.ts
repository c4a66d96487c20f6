/** Length and hash checks of a file against the meta its parent signed (mix-and-match defence). */

import { hash } from 'node:crypto';
import { sha256, sha512 } from '../crypto/backend.js';
import { VerificationError } from '../errors.js';
import type { FileMetaJson } from '../metadata/model.js';

const HASHERS: Record<string, (b: Uint8Array) => Uint8Array> = { sha256, sha512 };

/**
 * Digests remembered by exact bytes (context/context.ts DocumentCache): a warm verify checks the
 * same cached snapshot and targets against the same meta on every call, and a 2 MB targets file
 * costs milliseconds to hash but microseconds to compare.
 */
export interface DigestMemo {
  /** The digest of `bytes` named `alg` (a label that includes the encoding), computed by `compute` when unknown. */
  digest(bytes: Uint8Array, alg: string, compute: () => string): string;
}

function b64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/** Throws LENGTH_MISMATCH / HASH_MISMATCH unless `bytes` match `meta` (every known hash must match). */
export function checkFileMeta(
  bytes: Uint8Array,
  meta: FileMetaJson,
  role: string,
  parent: string,
  digests?: DigestMemo,
): void {
  if (bytes.length !== meta.length) {
    throw new VerificationError(
      'LENGTH_MISMATCH',
      `${role}: ${bytes.length} bytes, but ${parent} says ${meta.length}`,
      { role, expected: String(meta.length), actual: String(bytes.length) },
    );
  }
  let checked = 0;
  for (const [alg, expected] of Object.entries(meta.hashes)) {
    // own names only: a hostile "constructor" would find Object, which "hashes" bytes to themselves
    const hash = Object.hasOwn(HASHERS, alg) ? HASHERS[alg] : undefined;
    if (!hash) continue;
    const actual = digests
      ? digests.digest(bytes, `${alg}/base64`, () => b64(hash(bytes)))
      : b64(hash(bytes));
    if (actual !== expected) {
      throw new VerificationError(
        'HASH_MISMATCH',
        `${role}: ${alg} is ${actual}, but ${parent} says ${expected}`,
        {
          role,
          expected,
          actual,
        },
      );
    }
    checked++;
  }
  if (checked === 0) {
    throw new VerificationError('HASH_MISMATCH', `${role}: ${parent} lists no sha256/sha512 hash for it`, {
      role,
    });
  }
}

/** The hex sha256 a parent lists for a file, or null when it lists none. */
export function listedSha256Hex(meta: FileMetaJson): string | null {
  const h = meta.hashes.sha256;
  return h === undefined ? null : Buffer.from(h, 'base64').toString('hex');
}

/** Hash algorithms a TUF 1.0 meta or target entry may use (node:crypto names). */
const TUF1_HASHES: Record<string, string> = {
  sha224: 'sha224',
  sha256: 'sha256',
  sha384: 'sha384',
  sha512: 'sha512',
  'sha512-224': 'sha512-224',
  'sha512-256': 'sha512-256',
  'blake2b-512': 'blake2b512',
  blake2b: 'blake2b512',
  'blake2s-256': 'blake2s256',
  blake2s: 'blake2s256',
};

/**
 * TUF 1.0 length/hash check (hex digests; `length` and `hashes` optional in
 * meta entries). Every listed hash must be one we know and must match: an
 * unknown algorithm fails (as in python-tuf), it is never skipped.
 */
export function checkTuf1FileMeta(
  bytes: Uint8Array,
  meta: { length?: number; hashes?: Readonly<Record<string, string>> },
  role: string,
  parent: string,
  digests?: DigestMemo,
): void {
  if (meta.length !== undefined && bytes.length !== meta.length) {
    throw new VerificationError(
      'LENGTH_MISMATCH',
      `${role}: ${bytes.length} bytes, but ${parent} says ${meta.length}`,
      { role, expected: String(meta.length), actual: String(bytes.length) },
    );
  }
  for (const [alg, expected] of Object.entries(meta.hashes ?? {})) {
    const name = Object.hasOwn(TUF1_HASHES, alg) ? TUF1_HASHES[alg] : undefined;
    if (name === undefined) {
      throw new VerificationError(
        'HASH_MISMATCH',
        `${role}: ${parent} lists unsupported hash algorithm ${JSON.stringify(alg)}`,
        {
          role,
        },
      );
    }
    const compute = () => hash(name, bytes, 'hex');
    const actual = digests ? digests.digest(bytes, `${name}/hex`, compute) : compute();
    if (actual !== expected.toLowerCase()) {
      throw new VerificationError(
        'HASH_MISMATCH',
        `${role}: ${alg} is ${actual}, but ${parent} says ${expected}`,
        {
          role,
          expected,
          actual,
        },
      );
    }
  }
}
