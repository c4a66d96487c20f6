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

/**
 * A callback function of node:fs as a promise function, promisified at its first call: the fifteen
 * exports promisified at start-up cost ~0.2-0.4 ms of every `trust verify` (issue 12).
 */
// biome-ignore lint/suspicious/noExplicitAny: any callback-style function of node:fs
function promised(f: (...args: any[]) => void): (...args: unknown[]) => Promise<unknown> {
  let p: ((...args: unknown[]) => Promise<unknown>) | undefined;
  return (...args) => {
    p ??= promisify(f) as (...args: unknown[]) => Promise<unknown>;
    return p(...args);
  };
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

export const chmod = promised(fsChmod) as P['chmod'];
export const cp = lazy('cp');
export const link = promised(fsLink) as P['link'];
export const lstat = promised(fsLstat) as P['lstat'];
export const mkdir = promised(fsMkdir) as P['mkdir'];
export const mkdtemp = promised(fsMkdtemp) as P['mkdtemp'];
export const readdir = promised(fsReaddir) as P['readdir'];
export const readFile = promised(fsReadFile) as P['readFile'];
export const readlink = promised(fsReadlink) as P['readlink'];
export const rename = promised(fsRename) as P['rename'];
export const rm = promised(fsRm) as P['rm'];
export const stat = promised(fsStat) as P['stat'];
export const symlink = promised(fsSymlink) as P['symlink'];
export const unlink = promised(fsUnlink) as P['unlink'];
export const writeFile = promised(fsWriteFile) as P['writeFile'];
