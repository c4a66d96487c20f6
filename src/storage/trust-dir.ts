/**
 * The docker trust dir: `$DOCKER_CONFIG/trust` or `~/.docker/trust`, with
 * `tuf/<gun>/metadata/<role>.json` (the metadata cache) and `private/` (keys).
 *
 * That layout (docker's and notary's, kept so both read what we cache and we read what they cached) nests
 * repositories inside each other: the delegation `targets/metadata/root` of `reg/app` and the root of
 * the repository `reg/app/metadata/targets` would both be `tuf/reg/app/metadata/targets/metadata/root.json`.
 * A collision needs a GUN with a path segment `metadata` followed by more segments (a role path always
 * starts with `targets`), so such GUNs are refused for the cache (BAD_REFERENCE, naming the repository
 * whose cache they would overlap): no repository's cache can overwrite another's.
 *
 * Cached files are opened non-blocking and must be regular files: a FIFO or device planted in the cache
 * is an error, never a hang.
 */

import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, sep } from 'node:path';
import { LocalError } from '../errors.js';
import { escapeControl } from '../escape.js';
import { type AtomicFile, writeFileAtomic, writeFilesAtomic } from './atomic.js';
import type { FileCache } from './file-cache.js';
import {
  encodeVerifiedIndex,
  type ParsedByBytes,
  readVerifiedIndex,
  VERIFIED_INDEX_FILE,
  type VerifiedIndex,
  writeVerifiedIndex,
} from './verified-index.js';

/** Resolves the trust dir: explicit option, else `$DOCKER_CONFIG/trust`, else `~/.docker/trust`. */
export function resolveTrustDir(explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (explicit) return explicit;
  if (env.DOCKER_CONFIG) return join(env.DOCKER_CONFIG, 'trust');
  return join(homedir(), '.docker', 'trust');
}

/**
 * A GUN path segment: letters, digits, `._:-`, and `[` `]` for an IPv6 registry host (`[::1]:5000`);
 * the first character a letter, a digit or `[`. Exactly `/^[A-Za-z0-9[][A-Za-z0-9._:[\]-]*$/` (trust-dir.test.ts
 * compares them), read by a loop: an expression is compiled in every process (issue 12).
 */
export function isGunPathSegment(segment: string): boolean {
  if (segment.length === 0) return false;
  for (let i = 0; i < segment.length; i++) {
    const c = segment.charCodeAt(i);
    const alnum = (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
    // `[` anywhere; `]` `.` `_` `:` `-` after the first character
    if (
      !alnum &&
      c !== 0x5b &&
      (i === 0 || (c !== 0x5d && c !== 0x2e && c !== 0x5f && c !== 0x3a && c !== 0x2d))
    ) {
      return false;
    }
  }
  return true;
}

/**
 * Refuses GUNs that could escape the trust dir (`..`, empty or odd segments) or whose cache directory
 * would overlap another repository's (`<gun>/metadata/...`, see the header).
 */
export function checkGunPath(gun: string): void {
  const parts = typeof gun === 'string' ? gun.split('/') : [];
  if (
    typeof gun !== 'string' ||
    gun.length > 255 ||
    parts.some((p) => !isGunPathSegment(p) || p === '.' || p === '..')
  ) {
    throw new LocalError(
      'BAD_REFERENCE',
      `invalid repository name for the trust dir: ${escapeControl(JSON.stringify(gun) ?? String(gun))}`,
    );
  }
  const m = parts.findIndex((p, i) => i > 0 && i < parts.length - 1 && p === 'metadata');
  if (m > 0) {
    const other = parts.slice(0, m).join('/');
    throw new LocalError(
      'BAD_REFERENCE',
      `repository ${gun} cannot be cached in the trust dir: its cache (tuf/${gun}/metadata/) would lie ` +
        `inside the metadata cache of ${other} (tuf/${other}/metadata/), where a delegation of ${other} ` +
        'could overwrite it or it could overwrite one',
    );
  }
}

/** Bytes of a regular file, opened non-blocking (a FIFO never blocks us); null when it does not exist. */
export function readRegularFile(path: string): Uint8Array | null {
  return readRegularFileWithStats(path)?.bytes ?? null;
}

/** `readRegularFile`, with the stats of the descriptor read (taken before reading). */
export function readRegularFileWithStats(path: string): { bytes: Uint8Array; stats: Stats } | null {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw e;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) {
      throw Object.assign(new Error(`${path} is not a regular file`), { code: 'ENOTREG' });
    }
    const buf = Buffer.allocUnsafe(st.size);
    let total = 0;
    while (total < st.size) {
      const n = readSync(fd, buf, total, st.size - total, total);
      if (n === 0) break;
      total += n;
    }
    return { bytes: new Uint8Array(buf.buffer, buf.byteOffset, total), stats: st };
  } finally {
    closeSync(fd);
  }
}

/** The top-level roles: valid file names as they are (the check below is for delegation paths). */
const TOP_LEVEL = new Set(['root', 'timestamp', 'snapshot', 'targets']);

function checkRolePath(role: string): void {
  if (!/^[a-z0-9._-]+(\/[-a-z0-9_]+)*$/.test(role) || role.split('/').includes('..')) {
    throw new LocalError('IO', `invalid metadata file name ${JSON.stringify(role)}`);
  }
}

/** The local metadata cache of one repository (GUN). Files are the exact bytes that passed verification. */
export class MetadataCache {
  readonly dir: string;
  /** Paths of the top-level roles and of the index, built once (a warm verify reads all five). */
  private readonly paths: ReadonlyMap<string, string>;

  constructor(
    trustDir: string,
    readonly gun: string,
    /**
     * The context's file cache (storage/file-cache.ts): unchanged files are not read again by a
     * long-lived context; without it every read goes to the disk.
     */
    readonly files?: FileCache,
  ) {
    checkGunPath(gun);
    // the checked GUN's `/` separate path segments as they are (no `.`, `..` or empty one): joined as a
    // whole, as segment by segment (issue 12: one split and spread less per warm verify)
    this.dir = join(trustDir, 'tuf', gun, 'metadata');
    // a top-level role is one plain name: appended to the (already normalised) directory as
    // path.join would, without its normalisation pass (issue 12: five of these per warm verify)
    const paths = new Map<string, string>();
    for (const role of TOP_LEVEL) paths.set(role, `${this.dir}${sep}${role}.json`);
    paths.set(VERIFIED_INDEX_FILE, `${this.dir}${sep}${VERIFIED_INDEX_FILE}`);
    this.paths = paths;
  }

  pathOf(role: string): string {
    if (TOP_LEVEL.has(role)) return this.paths.get(role)!;
    checkRolePath(role);
    return join(this.dir, `${role}.json`);
  }

  /**
   * The dialect named by the `.dialect` marker a TUF 1.0 cache keeps beside its files (tuf-updater.ts,
   * the registry-hosted path and `trust migrate` write it; a Notary cache has none), or null. Read
   * only when a cached root fails to load, to say why (issue: a migrated trust dir read with a Notary
   * `--server` gave a misleading BAD_METADATA).
   */
  dialectMarker(): string | null {
    const bytes = readRegularFile(join(this.dir, '.dialect'));
    return bytes === null ? null : Buffer.from(bytes.subarray(0, 64)).toString('utf8').trim();
  }

  /** Path of the verified index file. */
  indexPath(): string {
    return this.paths.get(VERIFIED_INDEX_FILE)!;
  }

  /**
   * Cached bytes of a role, or null when absent. Read synchronously: the files
   * are local and small or read once, and four promise-based reads cost ~0.7 ms
   * of a ~2 ms warm verify against ~0.03 ms for these.
   */
  async read(role: string): Promise<Uint8Array | null> {
    return this.readSync(role);
  }

  /** `read`, synchronously (a warm update reads four of these: no promise each, issue 12). */
  readSync(role: string): Uint8Array | null {
    const path = this.pathOf(role);
    try {
      return this.files ? this.files.read(path) : readRegularFile(path);
    } catch (e) {
      throw new LocalError(
        'IO',
        `cannot read the cached ${role} of ${this.gun} (${path}): ${(e as Error).message}`,
        {
          cause: e,
        },
      );
    }
  }

  /** Writes one role atomically (temp file + rename). */
  async write(role: string, bytes: Uint8Array): Promise<void> {
    const path = this.pathOf(role);
    const i = role.lastIndexOf('/');
    await mkdir(i < 0 ? this.dir : join(this.dir, role.slice(0, i)), { recursive: true, mode: 0o700 });
    this.files?.forget(path);
    await writeFileAtomic(path, bytes, { mode: 0o644 });
  }

  /**
   * The verified index of this cache (storage/verified-index.ts), or null when absent or unusable.
   * With `parsed` (the context's document cache), bytes already parsed once are not parsed again.
   */
  readIndex(dialect: string, parsed?: ParsedByBytes): VerifiedIndex | null {
    return readVerifiedIndex(this.indexPath(), dialect, parsed, this.files);
  }

  /** Writes the verified index atomically; call only after the files it lists are written. */
  async writeIndex(index: VerifiedIndex): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const path = this.indexPath();
    this.files?.forget(path);
    await writeVerifiedIndex(path, index);
  }

  /**
   * Writes several roles; each file is atomic. Order matters for crash safety:
   * root first, timestamp last, so a torn update never makes the cache claim
   * a timestamp whose snapshot it lacks. With `index`, the verified index of
   * these files goes last in the same batch (its failure only costs the fast
   * path, as with writeIndex).
   */
  async writeAll(files: ReadonlyMap<string, Uint8Array>, index?: VerifiedIndex): Promise<void> {
    const rank = (r: string) => (r === 'root' ? 0 : r === 'timestamp' ? 3 : r === 'snapshot' ? 2 : 1);
    const roles = [...files.keys()].sort((a, b) => rank(a) - rank(b));
    const dirs = new Set(
      roles.map((r) => (r.includes('/') ? join(this.dir, r.slice(0, r.lastIndexOf('/'))) : this.dir)),
    );
    for (const dir of dirs) await mkdir(dir, { recursive: true, mode: 0o700 });
    // each file atomic, renamed in this order, one directory sync for all (storage/atomic.ts)
    const batch: AtomicFile[] = roles.map((role) => ({
      path: this.pathOf(role),
      data: files.get(role)!,
      mode: 0o644,
    }));
    if (index) {
      const data = encodeVerifiedIndex(index);
      batch.push({ path: this.indexPath(), data, mode: 0o644, optional: true });
    }
    for (const f of batch) this.files?.forget(f.path);
    await writeFilesAtomic(batch);
  }
}
