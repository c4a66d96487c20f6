/**
 * A local copy of what registry-hosted trust fetched, so the warm path is one conditional request:
 * the last metadata manifest per location (its digest goes into If-None-Match) and the blobs it
 * references, content-addressed. Nothing here is trusted: manifests are re-parsed, blobs are
 * re-hashed on every read and a mismatch reads as "not cached". Trust decisions stay with the
 * TUF client, which verifies every file it gets from the store.
 */

import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomicSync } from '../../storage/atomic.js';
import { sha256Digest } from './layout.js';

/** A cached manifest: its digest and exact bytes. */
export interface CachedManifest {
  digest: string;
  bytes: Uint8Array;
}

/** A local copy of metadata manifests (by location) and blobs (by digest); never trusted by itself. */
export interface OciCache {
  getManifest(key: string): CachedManifest | null;
  putManifest(key: string, manifest: CachedManifest): void;
  getBlob(digest: string): Uint8Array | null;
  putBlob(digest: string, bytes: Uint8Array): void;
  /** Drops every blob not in `keep`. */
  prune?(keep: ReadonlySet<string>): void;
}

const DIGEST = /^sha256:([a-f0-9]{64})$/;

/** In-memory cache (one process, e.g. a deploy tool verifying many images). */
export class MemoryOciCache implements OciCache {
  readonly #manifests = new Map<string, CachedManifest>();
  readonly #blobs = new Map<string, Uint8Array>();

  getManifest(key: string): CachedManifest | null {
    return this.#manifests.get(key) ?? null;
  }
  putManifest(key: string, manifest: CachedManifest): void {
    this.#manifests.set(key, manifest);
  }
  getBlob(digest: string): Uint8Array | null {
    return this.#blobs.get(digest) ?? null;
  }
  putBlob(digest: string, bytes: Uint8Array): void {
    this.#blobs.set(digest, bytes);
  }
  prune(keep: ReadonlySet<string>): void {
    for (const d of [...this.#blobs.keys()]) if (!keep.has(d)) this.#blobs.delete(d);
  }
}

/** On-disk cache: `<dir>/manifests/<sha256(key)>`, `<dir>/blobs/sha256/<hex>`, written atomically. */
export class DirOciCache implements OciCache {
  constructor(readonly dir: string) {}

  #manifestPath(key: string): string {
    return join(this.dir, 'manifests', createHash('sha256').update(key).digest('hex'));
  }

  #blobPath(digest: string): string | null {
    const m = DIGEST.exec(digest);
    return m ? join(this.dir, 'blobs', 'sha256', m[1]!) : null;
  }

  #read(path: string): Uint8Array | null {
    try {
      return readFileSync(path);
    } catch {
      return null;
    }
  }

  #write(path: string, bytes: Uint8Array): void {
    try {
      mkdirSync(join(path, '..'), { recursive: true, mode: 0o700 });
      writeFileAtomicSync(path, bytes, { mode: 0o600, fsyncDir: false });
    } catch {
      // A cache that cannot be written only costs requests next time.
    }
  }

  getManifest(key: string): CachedManifest | null {
    const bytes = this.#read(this.#manifestPath(key));
    return bytes === null ? null : { digest: sha256Digest(bytes), bytes };
  }

  putManifest(key: string, manifest: CachedManifest): void {
    this.#write(this.#manifestPath(key), manifest.bytes);
  }

  getBlob(digest: string): Uint8Array | null {
    const path = this.#blobPath(digest);
    const bytes = path === null ? null : this.#read(path);
    return bytes !== null && sha256Digest(bytes) === digest ? bytes : null;
  }

  putBlob(digest: string, bytes: Uint8Array): void {
    const path = this.#blobPath(digest);
    if (path !== null && sha256Digest(bytes) === digest) this.#write(path, bytes);
  }

  prune(keep: ReadonlySet<string>): void {
    const dir = join(this.dir, 'blobs', 'sha256');
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const n of names) {
      if (keep.has(`sha256:${n}`)) continue;
      try {
        unlinkSync(join(dir, n));
      } catch {
        // ignore
      }
    }
  }
}
