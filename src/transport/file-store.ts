/**
 * `MetadataStore` on a local directory laid out like notary-server's URL space, for local-only
 * repositories and offline demos:
 *
 *   <dir>/<gun>/_trust/tuf/<role>.json              current version
 *   <dir>/<gun>/_trust/tuf/<role>.<sha256hex>.json  by checksum (consistent fetches)
 *   <dir>/<gun>/_trust/tuf/<version>.<role>.json    by version (root rotation)
 *
 * so a static web server rooted at `<dir>` and mounted at `/v2/` serves it as a read-only Notary server.
 *
 * Crash safety: `_trust/tuf` is a symlink to one complete state directory `_trust/.tuf-states/s-<n>`.
 * A publish builds the next state in `_trust/.tuf-states/.building-<random>` (hard links to every file
 * of the current state, then the new files, each written atomically), renames it to `s-<n+1>`, and
 * switches the `tuf` symlink with one rename: a reader (or a kill) sees the whole old state or the
 * whole new one, never root and targets of one publish with the timestamp of another. The next
 * publish recovers from a kill: it removes unfinished `.building-*` directories and temp files, points
 * a missing `tuf` at the newest complete state, and keeps only the current and previous states. A
 * repository written by 0.1.0 (`tuf` a plain directory) is moved into this layout on its next publish.
 *
 * Publishers are serialised by `_trust/.publish.lock` holding the owner's host, pid and process start
 * time: a lock whose owner on this host is no longer running (or is another process that reused the
 * pid) is broken at once; a lock from another host (a shared file system) only after STALE_LOCK_MS.
 * Like the server, a publish whose version is not above the stored one is refused (PublishError
 * CONFLICT). There are no server-managed keys: getServerKey() returns null.
 */

import { createHash, randomBytes } from 'node:crypto';
import { constants, readFileSync } from 'node:fs';
import {
  link,
  lstat,
  mkdir,
  open,
  readdir,
  readFile,
  readlink,
  rename,
  rm,
  stat,
  symlink,
  unlink,
} from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { FormatError, LocalError, NetworkError, PublishError, VerificationError } from '../errors.js';
import { fsyncDirectory, writeFileAtomic } from '../storage/atomic.js';
import { isGunPathSegment } from '../storage/trust-dir.js';
import { isValidMetaName, isValidRoleName, type MetadataStore } from './store.js';

/** A lock older than this is considered left behind by a crashed publisher. */
const STALE_LOCK_MS = 10 * 60_000;

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
  /** `<dir>/<gun>/_trust` */
  private readonly trustDir: string;
  /** `<dir>/<gun>/_trust/.tuf-states` */
  private readonly statesDir: string;

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
      segs.some((s) => !isGunPathSegment(s) || s === '..' || s === '.')
    ) {
      throw new LocalError('BAD_REFERENCE', `invalid GUN for a file store: ${JSON.stringify(gun)}`);
    }
    this.repoDir = join(resolve(dir), ...segs);
    this.trustDir = join(this.repoDir, '_trust');
    this.metaDir = join(this.trustDir, 'tuf');
    this.statesDir = join(this.trustDir, '.tuf-states');
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
    await mkdir(this.statesDir, { recursive: true });
    const release = await this.lock();
    try {
      const current = await this.recover();
      for (const it of items) {
        const existing = await this.getMeta(it.role, 100 << 20);
        if (existing !== null) {
          const have = versionOf(it.role, existing);
          if (have >= it.version) {
            throw new PublishError(
              'CONFLICT',
              `${this.description}: ${it.role} version ${it.version} is not newer than the stored version ${have}`,
              { role: it.role, version: it.version, actual: String(have) },
            );
          }
        }
      }
      // the next state: every file of the current one (hard links), then the new files
      const building = join(this.statesDir, `.building-${randomBytes(6).toString('hex')}`);
      await mkdir(building);
      if (current) await linkTree(join(this.statesDir, current.name), building);
      const put = async (name: string, bytes: Uint8Array) => {
        const path = join(building, ...`${name}.json`.split('/'));
        await mkdir(dirname(path), { recursive: true });
        await unlink(path).catch(() => undefined); // a link shared with the previous state
        await writeFileAtomic(path, bytes, { fsyncDir: false });
      };
      for (const it of items) {
        await put(`${it.role}.${it.hex}`, it.bytes);
        await put(`${it.version}.${it.role}`, it.bytes);
        await put(it.role, it.bytes);
      }
      await fsyncTree(building);
      const next = `s-${(current?.n ?? 0) + 1}`;
      await rename(building, join(this.statesDir, next));
      await fsyncDirectory(this.statesDir);
      await this.switchTo(next);
      await this.prune((current?.n ?? 0) + 1);
    } finally {
      await release();
    }
  }

  /** Points `tuf` at `.tuf-states/<state>` with one rename of a new symlink over it. */
  private async switchTo(state: string): Promise<void> {
    const tmp = join(this.trustDir, `.tuf-link-${randomBytes(6).toString('hex')}`);
    await symlink(relative(this.trustDir, join(this.statesDir, state)), tmp);
    await rename(tmp, this.metaDir);
    await fsyncDirectory(this.trustDir);
  }

  /**
   * Brings the directory to a clean state after a kill (lock held): migrates a 0.1.0 `tuf` directory,
   * repairs a missing `tuf` link, removes unfinished states and temp files, and keeps only the current
   * and previous complete states. Returns the current state.
   */
  private async recover(): Promise<{ name: string; n: number } | null> {
    const st = await lstat(this.metaDir).catch(() => undefined);
    if (st?.isDirectory()) {
      // 0.1.0's layout: the directory becomes the first state (one rename), then the link is made
      const first = await this.newestState();
      const name = `s-${(first?.n ?? 0) + 1}`;
      await rename(this.metaDir, join(this.statesDir, name));
      await this.switchTo(name);
    }
    let current: { name: string; n: number } | null = null;
    const target = await readlink(this.metaDir).catch(() => null);
    const m = target === null ? null : /^\.tuf-states\/(s-([0-9]+))$/.exec(target);
    if (m) current = { name: m[1]!, n: Number(m[2]) };
    if (!current || !(await stat(this.metaDir).catch(() => undefined))) {
      // killed between making a state and switching to it (or the link is gone): the newest complete
      // state is the one to serve; an unfinished one was never announced
      current = await this.newestState();
      if (current) await this.switchTo(current.name);
    }
    await this.prune(current?.n ?? 0);
    for (const name of await readdir(this.trustDir).catch(() => [] as string[])) {
      if (name.startsWith('.tuf-link-')) await unlink(join(this.trustDir, name)).catch(() => undefined);
    }
    if (current) await removeTempFiles(join(this.statesDir, current.name));
    return current;
  }

  /**
   * Keeps the current state `n` and the one before it (a reader that resolved the link just before a
   * switch still finds its files); removes older and unfinished ones.
   */
  private async prune(n: number): Promise<void> {
    for (const name of await readdir(this.statesDir).catch(() => [] as string[])) {
      const m = /^s-([0-9]+)$/.exec(name);
      const keep = m !== null && Number(m[1]) >= n - 1 && Number(m[1]) <= n;
      if (!keep) await rm(join(this.statesDir, name), { recursive: true, force: true });
    }
  }

  private async newestState(): Promise<{ name: string; n: number } | null> {
    let best: { name: string; n: number } | null = null;
    for (const name of await readdir(this.statesDir).catch(() => [] as string[])) {
      const m = /^s-([0-9]+)$/.exec(name);
      if (m && (!best || Number(m[1]) > best.n)) best = { name, n: Number(m[1]) };
    }
    return best;
  }

  /**
   * The publish lock: created exclusively, holding host, pid and the process's start time. A lock
   * whose owner (on this host) is gone is broken at once; see the header.
   */
  private async lock(): Promise<() => Promise<void>> {
    const path = join(this.trustDir, '.publish.lock');
    const mine = JSON.stringify(lockOwner());
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const fh = await open(path, 'wx', 0o644);
        try {
          await fh.writeFile(`${mine}\n`);
          await fh.sync();
        } finally {
          await fh.close();
        }
        return async () => {
          await unlink(path).catch(() => undefined);
        };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
          throw new LocalError('IO', `cannot create ${path}`, { cause: err });
        }
        const text = await readFile(path, 'utf8').catch(() => null);
        if (text === null) continue; // released meanwhile
        const st = await stat(path).catch(() => undefined);
        if (!lockIsStale(text, st?.mtimeMs ?? Date.now())) {
          throw new PublishError(
            'CONFLICT',
            `${this.description}: another publish is in progress (${path}: ${describeOwner(text)})`,
          );
        }
        // break it: move it aside, and only delete what we judged stale (another publisher may have
        // broken it and taken the lock in between)
        const aside = `${path}.stale-${randomBytes(6).toString('hex')}`;
        if (
          await rename(path, aside).then(
            () => true,
            () => false,
          )
        ) {
          const moved = await readFile(aside, 'utf8').catch(() => null);
          if (moved !== text) await link(aside, path).catch(() => undefined);
          await unlink(aside).catch(() => undefined);
        }
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

interface LockOwner {
  host: string;
  pid: number;
  /** Start time of the process (Linux: clock ticks since boot, /proc/<pid>/stat field 22), when known. */
  start?: string;
}

function processStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the command name (field 2) may hold spaces and parentheses: fields restart after the last ')'
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function lockOwner(): LockOwner {
  const start = processStart(process.pid);
  return { host: hostname(), pid: process.pid, ...(start ? { start } : {}) };
}

function parseOwner(text: string): LockOwner | null {
  try {
    const o = JSON.parse(text) as Partial<LockOwner>;
    if (typeof o.host === 'string' && typeof o.pid === 'number' && Number.isSafeInteger(o.pid) && o.pid > 0) {
      return { host: o.host, pid: o.pid, ...(typeof o.start === 'string' ? { start: o.start } : {}) };
    }
  } catch {
    // 0.1.0 wrote "<pid>\n"
  }
  const pid = /^([0-9]+)\n?$/.exec(text);
  return pid ? { host: '', pid: Number(pid[1]) } : null;
}

function describeOwner(text: string): string {
  const o = parseOwner(text);
  return o ? `held by pid ${o.pid}${o.host ? ` on ${o.host}` : ''}` : 'unreadable';
}

/**
 * Whether the lock's owner is gone: on this host, a pid that no longer runs, or runs a process that
 * started at another time (the pid was reused); elsewhere (or unreadable), only after STALE_LOCK_MS.
 */
function lockIsStale(text: string, mtimeMs: number): boolean {
  const o = parseOwner(text);
  if (o && o.host === hostname()) {
    try {
      process.kill(o.pid, 0);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ESRCH') return true;
    }
    const start = processStart(o.pid);
    return o.start !== undefined && start !== undefined && start !== o.start;
  }
  return Date.now() - mtimeMs > STALE_LOCK_MS;
}

/** Hard-links every regular file under `from` into `to` (same tree), copying where links fail. */
async function linkTree(from: string, to: string): Promise<void> {
  for (const ent of await readdir(from, { withFileTypes: true })) {
    const src = join(from, ent.name);
    const dst = join(to, ent.name);
    if (ent.isDirectory()) {
      await mkdir(dst);
      await linkTree(src, dst);
    } else if (ent.isFile() && !ent.name.endsWith('.tmp')) {
      await link(src, dst).catch(async () => writeFileAtomic(dst, await readFile(src), { fsyncDir: false }));
    }
  }
}

/** fsyncs every directory of a tree (the files were synced when written). */
async function fsyncTree(dir: string): Promise<void> {
  for (const ent of await readdir(dir, { withFileTypes: true })) {
    if (ent.isDirectory()) await fsyncTree(join(dir, ent.name));
  }
  await fsyncDirectory(dir);
}

/** Removes atomic-write temp files (`.<name>.<random>.tmp`) a kill left in a state. */
async function removeTempFiles(dir: string): Promise<void> {
  for (const ent of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const p = join(dir, ent.name);
    if (ent.isDirectory()) await removeTempFiles(p);
    else if (/^\..+\.[0-9a-f]{12}\.tmp$/.test(ent.name)) await unlink(p).catch(() => undefined);
  }
}
