/** Length and hash checks of a file against the meta its parent signed (mix-and-match defence). */

import { sha256, sha512 } from '../crypto/backend.js';
import { VerificationError } from '../errors.js';
import type { FileMetaJson } from '../metadata/model.js';

const HASHERS: Record<string, (b: Uint8Array) => Uint8Array> = { sha256, sha512 };

function b64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/** Throws LENGTH_MISMATCH / HASH_MISMATCH unless `bytes` match `meta` (every known hash must match). */
export function checkFileMeta(bytes: Uint8Array, meta: FileMetaJson, role: string, parent: string): void {
  if (bytes.length !== meta.length) {
    throw new VerificationError(
      'LENGTH_MISMATCH',
      `${role}: ${bytes.length} bytes, but ${parent} says ${meta.length}`,
      { role, expected: String(meta.length), actual: String(bytes.length) },
    );
  }
  let checked = 0;
  for (const [alg, expected] of Object.entries(meta.hashes)) {
    const hash = HASHERS[alg];
    if (!hash) continue;
    const actual = b64(hash(bytes));
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
