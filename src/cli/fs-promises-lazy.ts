/**
 * `node:fs/promises` as the CLI bundle sees it (tsup.config.ts aliases the module here). Node's
 * fs/promises brings perf_hooks, readline and the fs watchers with it (~2 ms of CPU at first use,
 * issue 12), so the CLI never loads it: the functions are node:fs's callback functions promisified,
 * and `open` returns a small handle over a file descriptor with the FileHandle methods the sources
 * use (chmod, writeFile, sync, stat, read, close). `cp` (the demo only) still goes to fs.promises,
 * looked up when called. A name the sources import and this file lacks fails the build; a FileHandle
 * method the sources start to use must be added to `CliFileHandle` (the CLI tests run the bundle).
 */

import * as fs from 'node:fs';
import { promisify } from 'node:util';

type P = typeof fs.promises;
function lazy<K extends keyof P>(name: K): P[K] {
  return ((...args: unknown[]) => (fs.promises[name] as (...a: unknown[]) => unknown)(...args)) as P[K];
}

/** fs.write of `length` bytes of `buffer` from `offset`, at the current position; resolves with the count. */
function write(fd: number, buffer: Uint8Array, offset: number, length: number): Promise<number> {
  return new Promise((resolve, reject) =>
    fs.write(fd, buffer, offset, length, null, (err, written) => (err ? reject(err) : resolve(written))),
  );
}

/** The subset of fs/promises' FileHandle the sources use, over a plain file descriptor. */
class CliFileHandle {
  constructor(readonly fd: number) {}
  chmod(mode: fs.Mode): Promise<void> {
    return promisify(fs.fchmod)(this.fd, mode);
  }
  sync(): Promise<void> {
    return promisify(fs.fsync)(this.fd);
  }
  stat(): Promise<fs.Stats> {
    return promisify(fs.fstat)(this.fd);
  }
  close(): Promise<void> {
    return promisify(fs.close)(this.fd);
  }
  read(
    buffer: Uint8Array,
    offset: number,
    length: number,
    position: number | null,
  ): Promise<{ bytesRead: number; buffer: Uint8Array }> {
    return new Promise((resolve, reject) =>
      fs.read(this.fd, buffer, offset, length, position, (err, bytesRead) =>
        err ? reject(err) : resolve({ bytesRead, buffer }),
      ),
    );
  }
  /** Writes all of `data` from the current position (a new file: its start), as FileHandle.writeFile. */
  async writeFile(data: string | Uint8Array): Promise<void> {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    for (let off = 0; off < bytes.length; ) off += await write(this.fd, bytes, off, bytes.length - off);
  }
}

export const open = (async (path: fs.PathLike, flags?: fs.OpenMode, mode?: fs.Mode) =>
  new CliFileHandle(await promisify(fs.open)(path, flags ?? 'r', mode))) as unknown as P['open'];

export const chmod = promisify(fs.chmod) as P['chmod'];
export const cp = lazy('cp');
export const link = promisify(fs.link) as P['link'];
export const lstat = promisify(fs.lstat) as P['lstat'];
export const mkdir = promisify(fs.mkdir) as P['mkdir'];
export const mkdtemp = promisify(fs.mkdtemp) as P['mkdtemp'];
export const readdir = promisify(fs.readdir) as P['readdir'];
export const readFile = promisify(fs.readFile) as P['readFile'];
export const readlink = promisify(fs.readlink) as P['readlink'];
export const rename = promisify(fs.rename) as P['rename'];
export const rm = promisify(fs.rm) as P['rm'];
export const stat = promisify(fs.stat) as P['stat'];
export const symlink = promisify(fs.symlink) as P['symlink'];
export const unlink = promisify(fs.unlink) as P['unlink'];
export const writeFile = promisify(fs.writeFile) as P['writeFile'];
