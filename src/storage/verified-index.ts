/**
 * The verified index of a metadata cache (issue 12): beside the cached files, `.verified-index`
 * records the sha256 and length of every file of the last update that succeeded as a whole, and the
 * key ids whose signatures verified on each targets role. It is written atomically after the cached
 * files (a crash in between leaves entries that no longer match: the full path runs).
 *
 * It is an optimisation only, keyed by the exact bytes' hash (the trusted set decides:
 * trust/trusted-set.ts `useVerifiedIndex`):
 * - a targets role whose bytes the accepted snapshot lists AND the index lists, under the same root
 *   (and, for a delegation, the same parent bytes), is taken without re-checking its signatures and
 *   with its `targets` map parsed lazily;
 * - the cached root, when the index records its exact bytes with the key ids that signed them, and
 *   under that root the cached timestamp and snapshot the index records byte for byte, take the
 *   recorded signers instead of verifying signatures again: each must still be listed for the role,
 *   carry a signature and be a usable key now (root keys: the certificate rules, validity windows
 *   included; a certificate the root entry records as accepted for the same GUN has only its window
 *   checked, `RootKeyFilter.accepted`); a new timestamp from the server, a rotated root, or any
 *   other bytes are verified.
 * Expiry, versions, rollback floors and every other rule still run on the bytes at every verify.
 *
 * What an attacker who can write the trust dir gains: nothing they did not have. Bytes the index
 * vouches for must still match the snapshot accepted in this update, so they are the repository's
 * current bytes; only someone who can also sign snapshots (the Notary server) could get unsigned
 * targets listed, and they can already replace the cached root today. A damaged or forged index
 * (bad JSON, wrong shape, hashes that match nothing) reads as no index.
 */

import { isSha256Hex } from '../crypto/util.js';
import { writeFileAtomic } from './atomic.js';
import { readRegularFile } from './trust-dir.js';

/** One verified file: its digest, length and the key ids whose signatures on it verified. */
export interface VerifiedEntry {
  readonly sha256: string;
  readonly length: number;
  /** Key ids whose signatures verified (root: its own root keys); absent in older indexes. */
  readonly signers?: readonly string[];
  /** Targets roles: the role whose delegation the signatures were checked against (`root` for targets). */
  readonly delegator?: string;
  /**
   * Root (Notary dialect): per signer key id, the GUN its certificate was accepted for and the leaf's
   * validity window (ms since the epoch), recorded only for a certificate without intermediates:
   * every other certificate rule is a function of the root bytes and the GUN, so a later verify of
   * the same root bytes for the same GUN has only the window left to check.
   */
  readonly certificates?: Readonly<Record<string, RootCertificateWindow>>;
}

/** A root certificate accepted for `gun`, valid from `notBefore` to `notAfter` (ms since the epoch). */
export interface RootCertificateWindow {
  readonly gun: string;
  readonly notBefore: number;
  readonly notAfter: number;
}

/** The index of one metadata cache: its dialect and the files of the last verified state, by role. */
export interface VerifiedIndex {
  readonly dialect: string;
  readonly files: ReadonlyMap<string, VerifiedEntry>;
}

export const VERIFIED_INDEX_FILE = '.verified-index';
const FORMAT = 1;
/** A larger index is not ours (a few hundred bytes per role). */
const MAX_BYTES = 4 << 20;

/** Parses an index file; null when it is absent, damaged or of another dialect. */
export function parseVerifiedIndex(bytes: Uint8Array | null, dialect: string): VerifiedIndex | null {
  if (!bytes || bytes.length > MAX_BYTES) return null;
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('utf8'));
  } catch {
    return null;
  }
  if (typeof doc !== 'object' || doc === null) return null;
  const d = doc as { format?: unknown; dialect?: unknown; files?: unknown };
  if (d.format !== FORMAT || d.dialect !== dialect) return null;
  if (typeof d.files !== 'object' || d.files === null || Array.isArray(d.files)) return null;
  const files = new Map<string, VerifiedEntry>();
  for (const [role, e] of Object.entries(d.files as Record<string, unknown>)) {
    if (typeof e !== 'object' || e === null) return null;
    const { sha256, length, signers, delegator, certificates } = e as Record<string, unknown>;
    if (typeof sha256 !== 'string' || !isSha256Hex(sha256)) return null;
    if (typeof length !== 'number' || !Number.isSafeInteger(length) || length < 0) return null;
    if (signers !== undefined && (!Array.isArray(signers) || !signers.every((s) => typeof s === 'string'))) {
      return null;
    }
    if (delegator !== undefined && typeof delegator !== 'string') return null;
    const certs = certificates === undefined ? undefined : parseCertificates(certificates);
    if (certs === null) return null;
    files.set(role, {
      sha256,
      length,
      ...(signers !== undefined ? { signers } : {}),
      ...(delegator !== undefined ? { delegator } : {}),
      ...(certs !== undefined ? { certificates: certs } : {}),
    });
  }
  return { dialect, files };
}

function parseCertificates(v: unknown): Record<string, RootCertificateWindow> | null {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return null;
  const out: Record<string, RootCertificateWindow> = {};
  for (const [id, w] of Object.entries(v as Record<string, unknown>)) {
    if (!isSha256Hex(id) || typeof w !== 'object' || w === null) return null;
    const { gun, notBefore, notAfter } = w as Record<string, unknown>;
    if (typeof gun !== 'string' || !Number.isSafeInteger(notBefore) || !Number.isSafeInteger(notAfter)) {
      return null;
    }
    out[id] = { gun, notBefore: notBefore as number, notAfter: notAfter as number };
  }
  return out;
}

/** The index file's bytes (stable order, so an unchanged index is not rewritten). */
export function encodeVerifiedIndex(index: VerifiedIndex): string {
  const files: Record<string, VerifiedEntry> = {};
  for (const role of [...index.files.keys()].sort()) {
    const e = index.files.get(role)!;
    files[role] = {
      sha256: e.sha256,
      length: e.length,
      ...(e.signers ? { signers: [...e.signers] } : {}),
      ...(e.delegator !== undefined ? { delegator: e.delegator } : {}),
      ...(e.certificates !== undefined ? { certificates: sortedCertificates(e.certificates) } : {}),
    };
  }
  return `${JSON.stringify({ format: FORMAT, dialect: index.dialect, files })}\n`;
}

function sortedCertificates(
  c: Readonly<Record<string, RootCertificateWindow>>,
): Record<string, RootCertificateWindow> {
  const out: Record<string, RootCertificateWindow> = {};
  for (const id of Object.keys(c).sort()) {
    const w = c[id]!;
    out[id] = { gun: w.gun, notBefore: w.notBefore, notAfter: w.notAfter };
  }
  return out;
}

/** A memo of parses by exact bytes (context/context.ts DocumentCache). */
export interface ParsedByBytes {
  get<D>(role: string, bytes: Uint8Array, parse: () => D): D;
}

/**
 * Reads the index at `path` (null when absent or unusable; never throws for a bad file). With
 * `parsed`, bytes identical to ones parsed before reuse that parse (the result is immutable).
 */
export function readVerifiedIndex(
  path: string,
  dialect: string,
  parsed?: ParsedByBytes,
  files?: { read(path: string): Uint8Array | null },
): VerifiedIndex | null {
  try {
    const bytes = files ? files.read(path) : readRegularFile(path);
    if (!bytes || !parsed) return parseVerifiedIndex(bytes, dialect);
    return parsed.get(`${VERIFIED_INDEX_FILE}/${dialect}`, bytes, () => parseVerifiedIndex(bytes, dialect));
  } catch {
    return null;
  }
}

/** Writes the index atomically (a failure only costs the fast path next time). */
export async function writeVerifiedIndex(path: string, index: VerifiedIndex): Promise<void> {
  try {
    // no directory sync: the files it lists are already durable, and an index lost in a crash (or
    // left at its previous version, whose digests then match no file) only means the next verify
    // takes the full path; one journal commit less per cold verify (issue 12)
    await writeFileAtomic(path, encodeVerifiedIndex(index), { mode: 0o644, fsyncDir: false });
  } catch {
    // the index is an optimisation: without it the next verify takes the full path
  }
}
