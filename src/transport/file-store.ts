/**
 * `MetadataStore` on a local directory laid out like notary-server's URL space, for local-only
 * repositories and offline demos:
 *
 *   <dir>/<gun>/_trust/tuf/<role>.json              current version
 *   <dir>/<gun>/_trust/tuf/<role>.<sha256hex>.json  by checksum (consistent fetches)
 *   <dir>/<gun>/_trust/tuf/<version>.<role>.json    by version (root rotation)
 *
 * so a static web server rooted at `<dir>` and mounted at `/v2/` serves it as a read-only Notary server.
 * Every file is written atomically (temp + fsync + rename). A publish writes all checksum and version
 * files first and then moves the `<role>.json` pointers, root first and timestamp last, so a reader that
 * starts from timestamp.json never sees a half-published repository. Like the server, a publish whose
 * version is not above the stored one is refused (PublishError CONFLICT), and concurrent publishers
 * are serialised by a lock file. There are no server-managed keys: getServerKey() returns null.
 */

import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { mkdir, open, rm, stat, unlink } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { FormatError, LocalError, NetworkError, PublishError, VerificationError } from '../errors.js';
import { writeFileAtomic } from '../storage/atomic.js';
import { GUN_PATH_SEGMENT } from '../storage/trust-dir.js';
import { isValidMetaName, isValidRoleName, type MetadataStore } from './store.js';

/** A lock older than this is considered left behind by a crashed publisher. */
const STALE_LOCK_MS = 10 * 60_000;

function publishOrder(role: string): number {
  if (role === 'root') return 0;
  if (role === 'timestamp') return 3;
  if (role === 'snapshot') return 2;
  return 1;
}

/** `signed.version` of a metadata file (only that is parsed; trust is decided elsewhere). */
function versionOf(role: string, bytes: Uint8Array): number {
  let version: unknown;
  try {
    const parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) as {
      signed?: { version?: unknown };
    };
    version = parsed?.signed?.version;
  } catch {
    throw new FormatError('BAD_METADATA', `${role}: not JSON`, { role });
  }
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 0) {
    throw new FormatError('BAD_METADATA', `${role}: signed.version is not a non-negative integer`, { role });
  }
  return version;
}

/** Options of a `FileStore` (a `file://` repository). */
export interface FileStoreOptions {
  /** Overall deadline of one read, ms (a hung file system is a TIMEOUT, not a hang). Default: none. */
  deadlineMs?: number;
}

/** A trust repository in a local directory (`file:///dir`), laid out as notary-server's URL space. */
export class FileStore implements MetadataStore {
  readonly description: string;
  /** `<dir>/<gun>/_trust/tuf` */
  readonly metaDir: string;
  private readonly repoDir: string;

  private readonly deadlineMs: number | undefined;

  constructor(
    dir: string,
    readonly gun: string,
    options: FileStoreOptions = {},
  ) {
    this.deadlineMs = options.deadlineMs;
    const segs = gun.split('/');
    if (
      gun.length === 0 ||
      gun.length > 255 ||
      segs.some((s) => !GUN_PATH_SEGMENT.test(s) || s === '..' || s === '.')
    ) {
      throw new LocalError('BAD_REFERENCE', `invalid GUN for a file store: ${JSON.stringify(gun)}`);
    }
    this.repoDir = join(resolve(dir), ...segs);
    this.metaDir = join(this.repoDir, '_trust', 'tuf');
    this.description = `file://${this.metaDir}`;
  }

  private pathOf(name: string): string {
    return join(this.metaDir, ...`${name}.json`.split('/'));
  }

  async getMeta(name: string, maxBytes: number): Promise<Uint8Array | null> {
    if (!isValidMetaName(name))
      throw new LocalError('USAGE', `invalid metadata name ${JSON.stringify(name)}`);
    const read = this.readMeta(name, maxBytes);
    if (this.deadlineMs === undefined) return read;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new NetworkError(
              'TIMEOUT',
              `reading ${name}.json from ${this.description} did not complete within ${this.deadlineMs} ms`,
            ),
          ),
        this.deadlineMs,
      );
    });
    try {
      return await Promise.race([read, deadline]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Opens non-blocking (a FIFO planted in the repository never blocks the open) and reads only a
   * regular file: anything else is refused before a byte is read.
   */
  private async readMeta(name: string, maxBytes: number): Promise<Uint8Array | null> {
    const path = this.pathOf(name);
    let fh: Awaited<ReturnType<typeof open>>;
    try {
      fh = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return null;
      throw new LocalError('IO', `cannot read ${path}${code ? ` (${code})` : ''}`, { cause: err });
    }
    try {
      const st = await fh.stat();
      if (!st.isFile()) {
        throw new LocalError('IO', `${path} in ${this.description} is not a regular file`);
      }
      if (st.size > maxBytes) throw this.tooLarge(name, maxBytes, st.size);
      const buf = Buffer.alloc(Math.min(st.size, maxBytes) + 1);
      let total = 0;
      for (;;) {
        const { bytesRead } = await fh.read(buf, total, buf.length - total, total);
        if (bytesRead === 0) break;
        total += bytesRead;
        if (total > maxBytes) throw this.tooLarge(name, maxBytes);
        if (total === buf.length) break;
      }
      return new Uint8Array(buf.buffer, buf.byteOffset, total);
    } finally {
      await fh.close();
    }
  }

  private tooLarge(name: string, maxBytes: number, size?: number): VerificationError {
    return new VerificationError(
      'TOO_LARGE',
      `${name}.json in ${this.description} exceeds the limit of ${maxBytes} bytes`,
      {
        role: name.replace(/^[0-9]+\./, '').replace(/\.[a-f0-9]{64,128}$/, ''),
        expected: `<= ${maxBytes} bytes`,
        ...(size !== undefined ? { actual: `${size} bytes` } : {}),
      },
    );
  }

  async publish(files: ReadonlyArray<{ role: string; bytes: Uint8Array }>): Promise<void> {
    if (files.length === 0) throw new LocalError('USAGE', 'nothing to publish');
    const seen = new Set<string>();
    const items = files.map((f) => {
      if (!isValidRoleName(f.role))
        throw new LocalError('USAGE', `invalid role name ${JSON.stringify(f.role)}`);
      if (seen.has(f.role)) throw new LocalError('USAGE', `role ${f.role} given twice`);
      seen.add(f.role);
      const hex = createHash('sha256').update(f.bytes).digest('hex');
      return { role: f.role, bytes: f.bytes, version: versionOf(f.role, f.bytes), hex };
    });
    await mkdir(this.metaDir, { recursive: true });
    const release = await this.lock();
    try {
      for (const it of items) {
        const current = await this.getMeta(it.role, 100 << 20);
        if (current !== null) {
          const have = versionOf(it.role, current);
          if (have >= it.version) {
            throw new PublishError(
              'CONFLICT',
              `${this.description}: ${it.role} version ${it.version} is not newer than the stored version ${have}`,
              { role: it.role, version: it.version, actual: String(have) },
            );
          }
        }
      }
      for (const it of items) {
        await this.write(`${it.role}.${it.hex}`, it.bytes);
        await this.write(`${it.version}.${it.role}`, it.bytes);
      }
      const ordered = [...items].sort((a, b) => publishOrder(a.role) - publishOrder(b.role));
      for (const it of ordered) await this.write(it.role, it.bytes);
    } finally {
      await release();
    }
  }

  private async write(name: string, bytes: Uint8Array): Promise<void> {
    const path = this.pathOf(name);
    await mkdir(dirname(path), { recursive: true });
    await writeFileAtomic(path, bytes);
  }

  /** Exclusive lock file; a stale one (crashed publisher) is broken after STALE_LOCK_MS. */
  private async lock(): Promise<() => Promise<void>> {
    const path = join(this.metaDir, '.publish.lock');
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fh = await open(path, 'wx');
        await fh.writeFile(`${process.pid}\n`);
        await fh.close();
        return async () => {
          await unlink(path).catch(() => undefined);
        };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
          throw new LocalError('IO', `cannot create ${path}`, { cause: err });
        }
        const st = await stat(path).catch(() => undefined);
        if (st && Date.now() - st.mtimeMs > STALE_LOCK_MS) {
          await unlink(path).catch(() => undefined);
          continue;
        }
        throw new PublishError('CONFLICT', `${this.description}: another publish is in progress (${path})`);
      }
    }
    throw new PublishError('CONFLICT', `${this.description}: another publish is in progress (${path})`);
  }

  async getServerKey(_role: 'timestamp' | 'snapshot'): Promise<unknown | null> {
    return null;
  }

  async rotateServerKey(role: 'timestamp' | 'snapshot'): Promise<unknown> {
    throw new LocalError(
      'USAGE',
      `${this.description} has no server-managed keys; cannot rotate the ${role} key`,
    );
  }

  /** Deletes this repository's `_trust` tree only: repositories nested below `<gun>/` are other GUNs. */
  async deleteRepository(): Promise<void> {
    await rm(join(this.repoDir, '_trust'), { recursive: true, force: true });
  }
}
