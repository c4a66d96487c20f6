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
  const tmp = tempPathFor(path);
  let renamed = false;
  try {
    const fh = await open(tmp, 'wx', options.mode ?? 0o666);
    try {
      if (options.mode !== undefined) await fh.chmod(options.mode);
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    if (options.beforeRename) await options.beforeRename(tmp);
    await rename(tmp, path);
    renamed = true;
  } catch (e) {
    if (!renamed) await unlink(tmp).catch(() => undefined);
    if (e instanceof LocalError) throw e;
    throw ioError('write', path, e);
  }
  if (options.fsyncDir ?? true) await fsyncDirectory(dirname(path));
}

/** One file of {@link writeFilesAtomic}. */
export interface AtomicFile {
  readonly path: string;
  readonly data: Uint8Array | string;
  /** Exact permission bits (as AtomicWriteOptions.mode). */
  readonly mode?: number;
  /** A file whose write or rename may fail without failing the others (it is then left as it was). */
  readonly optional?: boolean;
}

/** Writes `data` to a fresh temp file next to `path` and fsyncs it; returns the temp path. */
async function stageFile(f: AtomicFile): Promise<string> {
  const tmp = tempPathFor(f.path);
  try {
    const fh = await open(tmp, 'wx', f.mode ?? 0o666);
    try {
      if (f.mode !== undefined) await fh.chmod(f.mode);
      await fh.writeFile(f.data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    return tmp;
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw ioError('write', f.path, e);
  }
}

/**
 * Replaces several files, each atomically, committed in the order given: every temp file is
 * written and fsynced first (concurrently), then each is renamed over its target in order, then
 * each directory involved is fsynced once. Data is on disk before any name changes, so no file is
 * ever torn; the renames are issued in order (a journaling file system makes directory changes
 * durable in the order they were made) and are all durable when this returns. One directory sync
 * for the lot instead of one per file: a cold verify writes four files and the index, and each
 * sync is a journal commit (issue 12). A failure before the renames changes nothing; a failure
 * during them leaves the files before it replaced and the rest untouched. No temp file is left.
 * An `optional` file that fails is left out; the others are written.
 */
export async function writeFilesAtomic(files: readonly AtomicFile[]): Promise<void> {
  const staged = await Promise.allSettled(files.map(stageFile));
  const temps = staged.map((r) => (r.status === 'fulfilled' ? r.value : undefined));
  const failed = staged.find((r, i) => r.status === 'rejected' && !files[i]!.optional);
  const cleanup = (from: number) =>
    Promise.all(temps.slice(from).map((t) => (t ? unlink(t).catch(() => undefined) : undefined)));
  if (failed) {
    await cleanup(0);
    throw (failed as PromiseRejectedResult).reason;
  }
  const dirs = new Set<string>();
  for (let i = 0; i < files.length; i++) {
    const tmp = temps[i];
    if (tmp === undefined) continue; // an optional file that could not be written
    try {
      await rename(tmp, files[i]!.path);
      dirs.add(dirname(files[i]!.path));
    } catch (e) {
      if (files[i]!.optional) {
        await unlink(tmp).catch(() => undefined);
        continue;
      }
      await cleanup(i);
      throw ioError('write', files[i]!.path, e);
    }
  }
  for (const dir of dirs) await fsyncDirectory(dir);
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
