/**
 * `node:fs/promises` as the CLI bundle sees it (tsup.config.ts aliases the module here). Node's
 * fs/promises brings perf_hooks, readline and the fs watchers with it (~2 ms of CPU at first use,
 * issue 12), so the CLI never loads it: the functions are node:fs's callback functions promisified,
 * and `open` returns a small handle over a file descriptor with the FileHandle methods the sources
 * use (chmod, writeFile, sync, stat, read, close). `cp` (the demo only) still goes to fs.promises,
 * looked up when called. A name the sources import and this file lacks fails the build; a FileHandle
 * method the sources start to use must be added to `CliFileHandle` (the CLI tests run the bundle).
 */

// named imports: a namespace import makes the bundle copy node:fs's ~100 exports at start
import {
  fchmod,
  chmod as fsChmod,
  close as fsClose,
  link as fsLink,
  lstat as fsLstat,
  mkdir as fsMkdir,
  mkdtemp as fsMkdtemp,
  open as fsOpen,
  read as fsRead,
  readdir as fsReaddir,
  readFile as fsReadFile,
  readlink as fsReadlink,
  rename as fsRename,
  rm as fsRm,
  stat as fsStat,
  symlink as fsSymlink,
  fstat,
  unlink as fsUnlink,
  write as fsWrite,
  writeFile as fsWriteFile,
  fsync,
  type Mode,
  type OpenMode,
  type PathLike,
  promises,
  type Stats,
} from 'node:fs';
import { promisify } from 'node:util';

type P = typeof promises;
function lazy<K extends keyof P>(name: K): P[K] {
  return ((...args: unknown[]) => (promises[name] as (...a: unknown[]) => unknown)(...args)) as P[K];
}

/** fs.write of `length` bytes of `buffer` from `offset`, at the current position; resolves with the count. */
function write(fd: number, buffer: Uint8Array, offset: number, length: number): Promise<number> {
  return new Promise((resolve, reject) =>
    fsWrite(fd, buffer, offset, length, null, (err, written) => (err ? reject(err) : resolve(written))),
  );
}

/** The subset of fs/promises' FileHandle the sources use, over a plain file descriptor. */
class CliFileHandle {
  constructor(readonly fd: number) {}
  chmod(mode: Mode): Promise<void> {
    return promisify(fchmod)(this.fd, mode);
  }
  sync(): Promise<void> {
    return promisify(fsync)(this.fd);
  }
  stat(): Promise<Stats> {
    return promisify(fstat)(this.fd);
  }
  close(): Promise<void> {
    return promisify(fsClose)(this.fd);
  }
  read(
    buffer: Uint8Array,
    offset: number,
    length: number,
    position: number | null,
  ): Promise<{ bytesRead: number; buffer: Uint8Array }> {
    return new Promise((resolve, reject) =>
      fsRead(this.fd, buffer, offset, length, position, (err, bytesRead) =>
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

export const open = (async (path: PathLike, flags?: OpenMode, mode?: Mode) =>
  new CliFileHandle(await promisify(fsOpen)(path, flags ?? 'r', mode))) as unknown as P['open'];

export const chmod = promisify(fsChmod) as P['chmod'];
export const cp = lazy('cp');
export const link = promisify(fsLink) as P['link'];
export const lstat = promisify(fsLstat) as P['lstat'];
export const mkdir = promisify(fsMkdir) as P['mkdir'];
export const mkdtemp = promisify(fsMkdtemp) as P['mkdtemp'];
export const readdir = promisify(fsReaddir) as P['readdir'];
export const readFile = promisify(fsReadFile) as P['readFile'];
export const readlink = promisify(fsReadlink) as P['readlink'];
export const rename = promisify(fsRename) as P['rename'];
export const rm = promisify(fsRm) as P['rm'];
export const stat = promisify(fsStat) as P['stat'];
export const symlink = promisify(fsSymlink) as P['symlink'];
export const unlink = promisify(fsUnlink) as P['unlink'];
export const writeFile = promisify(fsWriteFile) as P['writeFile'];
