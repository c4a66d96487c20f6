/**
 * The trust cache's files as a long-lived context last read them (issue 12). A deploy tool that
 * verifies images through one `TrustContext` reads the same five small files (root, timestamp,
 * snapshot, targets, the verified index) on every call; opening and reading them is most of what a
 * warm verify does besides its one request. Kept bytes are revalidated by `stat` on every read:
 *
 * - a file is taken from memory only when its device, inode, size, mtime and ctime are exactly those
 *   of the read that produced the bytes; anything else (replaced by rename, as docker, notary and this
 *   library write the cache; rewritten in place; truncated; removed) reads the file again;
 * - a file changed too recently to be told apart by its timestamps (file times advance in ticks of
 *   the kernel's coarse clock, up to 10 ms; whole seconds on filesystems that keep no fraction) is
 *   not kept: a write in the same tick as our read could leave size and times unchanged, so such a
 *   file is read again until it is older than RACY_MS (or RACY_COARSE_MS) — git's "racy clean" rule.
 *
 * The bytes are only a faster read: every verify still checks them (signatures, hashes against the
 * freshly fetched timestamp and snapshot, expiry, rollback). The limit of the rule: a filesystem whose
 * clock runs behind this host's by more than RACY_MS (a network mount) could let an in-place rewrite
 * of the same size, in the same tick as the last read, go unseen until the file changes again; even
 * then what is used is bytes this context verified before, never unverified ones.
 */

import { type Stats, statSync } from 'node:fs';
import { readRegularFileWithStats } from './trust-dir.js';

/** statSync's options: a missing file is `undefined`, not an exception. */
const NO_THROW = { throwIfNoEntry: false } as const;

/** A file modified less than this long before it was read is read again (fine-grained timestamps). */
export const RACY_MS = 50;
/** The same for timestamps without a sub-millisecond part (coarse filesystems: 1-2 s ticks). */
export const RACY_COARSE_MS = 3000;

interface Entry {
  readonly bytes: Uint8Array;
  readonly dev: number;
  readonly ino: number;
  readonly size: number;
  readonly mtimeMs: number;
  readonly ctimeMs: number;
}

function sameFile(e: Entry, st: Stats): boolean {
  return (
    st.isFile() &&
    st.ino === e.ino &&
    st.dev === e.dev &&
    st.size === e.size &&
    st.mtimeMs === e.mtimeMs &&
    st.ctimeMs === e.ctimeMs
  );
}

/** Whether a file whose last change is `st` and that was read at `readAt` (ms) may be kept. */
export function settled(st: Pick<Stats, 'mtimeMs' | 'ctimeMs'>, readAt: number): boolean {
  const last = Math.max(st.mtimeMs, st.ctimeMs);
  const coarse = Number.isInteger(st.mtimeMs) && Number.isInteger(st.ctimeMs);
  return last <= readAt - (coarse ? RACY_COARSE_MS : RACY_MS);
}

/** Bytes of files by path, revalidated by `stat` on every read (see the header); bounded. */
export class FileCache {
  readonly #entries = new Map<string, Entry>();
  #bytes = 0;

  constructor(
    /** Most bytes kept in all (default 64 MiB); beyond, everything is forgotten. */
    readonly maxBytes = 64 << 20,
    /** Clock (ms since the epoch) the racy rule compares file times with. */
    readonly now: () => number = Date.now,
  ) {}

  /**
   * The bytes of the regular file at `path` (null when it does not exist), as `readRegularFile`
   * reads them (a FIFO or device is an error, never a hang); from memory when unchanged on disk.
   */
  read(path: string): Uint8Array | null {
    const e = this.#entries.get(path);
    if (e) {
      let st: Stats | undefined;
      try {
        st = statSync(path, NO_THROW);
      } catch {
        st = undefined; // ENOTDIR and the like: the read below decides
      }
      if (st && sameFile(e, st)) return e.bytes;
      this.forget(path);
    }
    const readAt = this.now();
    const got = readRegularFileWithStats(path);
    if (!got) return null;
    const { bytes, stats } = got;
    if (settled(stats, readAt) && bytes.length === stats.size && bytes.length <= this.maxBytes) {
      if (this.#bytes + bytes.length > this.maxBytes) this.clear();
      this.#entries.set(path, {
        bytes,
        dev: stats.dev,
        ino: stats.ino,
        size: stats.size,
        mtimeMs: stats.mtimeMs,
        ctimeMs: stats.ctimeMs,
      });
      this.#bytes += bytes.length;
    }
    return bytes;
  }

  /** Forgets `path` (after writing it). */
  forget(path: string): void {
    const e = this.#entries.get(path);
    if (!e) return;
    this.#entries.delete(path);
    this.#bytes -= e.bytes.length;
  }

  /** Forgets everything. */
  clear(): void {
    this.#entries.clear();
    this.#bytes = 0;
  }

  /** Number of files kept (for tests and diagnostics). */
  get size(): number {
    return this.#entries.size;
  }
}
