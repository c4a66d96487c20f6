/**
 * Atomic file replacement: write a temp file in the same directory, fsync it,
 * rename it over the target, fsync the directory. A crash at any point leaves
 * either the old file or the new one, never a torn mix. A crash before the
 * rename may leave a stale temp file named `.<name>.<random>.tmp`, which
 * readers ignore (it never has the target's name or extension).
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fchmodSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { LocalError } from '../errors.js';

export interface AtomicWriteOptions {
  /** Exact permission bits of the new file (applied with fchmod, so umask does not widen or narrow them). Default: 0o666 minus umask. */
  mode?: number;
  /** fsync the directory after the rename so the new name is durable. Default true. */
  fsyncDir?: boolean;
  /**
   * fsync the file before the rename (default true). Only for files whose loss or damage costs
   * nothing but work (a reader that finds them torn or missing ignores them): then a crash may leave
   * the new name with missing data, and neither the file nor the directory is synced.
   */
  sync?: boolean;
  /** Fault-injection hook for tests: runs after the temp file is synced, before the rename. */
  beforeRename?: (tempPath: string) => void | Promise<void>;
}

/** Name of the temp file used for `path` (same directory, hidden, `.tmp` suffix). */
export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
}

function ioError(what: string, path: string, e: unknown): LocalError {
  const code = (e as NodeJS.ErrnoException)?.code;
  return new LocalError('IO', `cannot ${what} ${path}${code ? ` (${code})` : ''}`, { cause: e });
}

/** Writes `data` to `path` atomically. Throws LocalError IO on failure (the old file is untouched). */
export async function writeFileAtomic(
  path: string,
  data: Uint8Array | string,
  options: AtomicWriteOptions = {},
): Promise<void> {
  const sync = options.sync ?? true;
  const tmp = await writeTemp(path, data, options.mode, sync);
  let renamed = false;
  try {
    if (options.beforeRename) await options.beforeRename(tmp);
    await rename(tmp, path);
    renamed = true;
  } catch (e) {
    if (!renamed) await unlink(tmp).catch(() => undefined);
    if (e instanceof LocalError) throw e;
    throw ioError('write', path, e);
  }
  if (sync && (options.fsyncDir ?? true)) await fsyncDirectory(dirname(path));
}

/** `data` in a new temp file beside `path`, fsynced unless `sync` is false; returns the temp path. */
async function writeTemp(
  path: string,
  data: Uint8Array | string,
  mode: number | undefined,
  sync = true,
): Promise<string> {
  const tmp = tempPathFor(path);
  try {
    const fh = await open(tmp, 'wx', mode ?? 0o666);
    try {
      if (mode !== undefined) await fh.chmod(mode);
      await fh.writeFile(data);
      if (sync) await fh.sync();
    } finally {
      await fh.close();
    }
    return tmp;
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw ioError('write', path, e);
  }
}

/**
 * Replaces several files, each atomically, in one batch: every file is written to its temp file and
 * fsynced (concurrently: the syncs overlap instead of queueing), the temp files are renamed in the
 * given order, then each directory is fsynced once. A crash leaves each file whole, old or new (its
 * data is on disk before its new name is), never torn; the directory syncs make the new names durable
 * when the call returns. On an error, files not renamed yet keep their old contents (IO error thrown).
 */
export async function writeFilesAtomic(
  files: ReadonlyArray<{ path: string; data: Uint8Array | string; mode?: number }>,
): Promise<void> {
  const written = await Promise.allSettled(files.map((f) => writeTemp(f.path, f.data, f.mode)));
  const temps = written.map((r) => (r.status === 'fulfilled' ? r.value : undefined));
  let next = 0;
  try {
    const failed = written.find((r) => r.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
    for (; next < files.length; next++) {
      const f = files[next]!;
      try {
        await rename(temps[next]!, f.path);
      } catch (e) {
        throw ioError('write', f.path, e);
      }
    }
  } finally {
    for (const tmp of temps.slice(next)) if (tmp) await unlink(tmp).catch(() => undefined);
  }
  for (const dir of new Set(files.map((f) => dirname(f.path)))) await fsyncDirectory(dir);
}

/** Synchronous variant of `writeFileAtomic` (for CLI exit paths and tests). */
export function writeFileAtomicSync(
  path: string,
  data: Uint8Array | string,
  options: Omit<AtomicWriteOptions, 'beforeRename'> & { beforeRename?: (tempPath: string) => void } = {},
): void {
  const tmp = tempPathFor(path);
  let renamed = false;
  try {
    const fd = openSync(tmp, 'wx', options.mode ?? 0o666);
    try {
      if (options.mode !== undefined) fchmodSync(fd, options.mode);
      const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
      let off = 0;
      while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    options.beforeRename?.(tmp);
    renameSync(tmp, path);
    renamed = true;
  } catch (e) {
    if (!renamed) {
      try {
        unlinkSync(tmp);
      } catch {
        // temp file may not exist
      }
    }
    if (e instanceof LocalError) throw e;
    throw ioError('write', path, e);
  }
  if (options.fsyncDir ?? true) fsyncDirectorySync(dirname(path));
}

/** fsyncs a directory so renames inside it are durable; ignored where directories cannot be synced. */
export async function fsyncDirectory(dir: string): Promise<void> {
  let fh: Awaited<ReturnType<typeof open>> | undefined;
  try {
    fh = await open(dir, 'r');
    await fh.sync();
  } catch (e) {
    if (!isUnsupportedDirSync(e)) throw ioError('sync directory', dir, e);
  } finally {
    await fh?.close().catch(() => undefined);
  }
}

export function fsyncDirectorySync(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch (e) {
    if (!isUnsupportedDirSync(e)) throw ioError('sync directory', dir, e);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function isUnsupportedDirSync(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException)?.code;
  return code === 'EISDIR' || code === 'EINVAL' || code === 'EPERM' || code === 'ENOTSUP';
}
