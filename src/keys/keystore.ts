/**
 * The private key store of a docker/notary trust dir: `<trustDir>/private/<keyid>.key`
 * (dir 0700, files 0600, atomic writes), the layout Notary >= 0.4 uses.
 *
 * Listing reads only PEM headers (no passphrase). Files in sub-directories
 * are listed too, like Notary's recursive walk, which also covers the
 * pre-0.4 layout (`root_keys/<id>_root.key`, `tuf_keys/<gun>/<id>_<role>.key`):
 * for those, role and gun come from the name and path when headers lack them.
 * We read that layout but never migrate or write it.
 */
import {
  closeSync,
  type Dirent,
  constants as fsConstants,
  fstatSync,
  openSync,
  readdirSync,
  readFileSync,
  statSync,
} from 'node:fs';
import { chmod, lstat, mkdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import type { PrivateKeyHandle } from '../crypto/signers.js';
import { FormatError, LocalError, TrustError } from '../errors.js';
import { writeFileAtomic } from '../storage/atomic.js';
import { pathOccupied } from '../storage/exists.js';
import {
  inspectKeyFile,
  MAX_KEY_FILE_BYTES,
  markKeyFileRetired,
  readKeyFile,
  writeKeyFile,
} from './keyfile.js';
import {
  answersSilently,
  defaultPassphraseProvider,
  type PassphraseProvider,
  shortKeyId,
  wrongPassphraseError,
} from './passphrase.js';

/** A key file found in a `KeyStore` (read from its headers; not decrypted). */
export interface StoredKeyInfo {
  /** Key id of the bare public key (the file's base name). */
  readonly keyId: string;
  /** `role:` header ('' when unknown). */
  readonly role: string;
  /** `gun:` header (targets/snapshot/timestamp keys), when present. */
  readonly gun?: string;
  /** Absolute path of the key file. */
  readonly path: string;
  /** Found in the pre-0.4 layout (sub-directory / `<id>_<role>` name). */
  readonly legacy: boolean;
  readonly encrypted: boolean;
  /** When the key was retired (a root key rotated out): such keys are never chosen for signing. */
  readonly retired?: string;
}

/** Selects keys in a `KeyStore` by key id, role and/or GUN (all given fields must match). */
export interface KeyFilter {
  keyId?: string;
  role?: string;
  gun?: string;
}

/** Options of a `KeyStore`: passphrases, PBKDF2 iterations for new files, decryption attempts. */
export interface KeyStoreOptions {
  /** Where passphrases come from. Default: environment, then terminal prompt. */
  passphrase?: PassphraseProvider;
  /** PBKDF2 iterations for keys we write (default: pkcs8 DEFAULT_PBKDF2_ITERATIONS). */
  iterations?: number;
  /** Total decryption attempts per key before giving up. Default 4 (Notary: first try + 3 retries). */
  maxAttempts?: number;
}

/** Options of `KeyStore.add`: the role (and GUN) recorded in the key file's headers. */
export interface AddKeyOptions {
  role: string;
  /** Recorded for targets/snapshot/timestamp keys only (as Notary does). */
  gun?: string;
  /** Replace an existing file with the same key id. Default false. */
  overwrite?: boolean;
  /**
   * Write the key under a name the store does not list (`.<id>.key.pending`) until
   * `commitPending(id)`: a key whose companion file (e.g. NAME.pub) was never written
   * because the process died is cleaned up by the next run instead of lingering.
   */
  pending?: boolean;
}

const KEY_ID = /^[0-9a-f]{64}$/;
/** Left-overs of a killed writer: atomic-write temp files and uncommitted keys. */
const LEFTOVER = /^\..+\.(?:[0-9a-f]{12}\.tmp|key\.pending)$/;
/** Left-overs younger than this may belong to a writer that is still running. */
const LEFTOVER_AGE_MS = 60_000;
const KEY_FILE = /^[A-Za-z0-9][A-Za-z0-9_.-]*\.key$/;
const MAX_DEPTH = 8;

/** Private keys in docker's trust dir (`<trustDir>/private/<key id>.key`), encrypted like Notary's. */
export class KeyStore {
  readonly privateDir: string;
  readonly #passphrase: PassphraseProvider;
  readonly #iterations: number | undefined;
  readonly #maxAttempts: number;
  readonly #cache = new Map<string, PrivateKeyHandle>();
  /** Loads under way, by key id (see `load`). */
  readonly #loading = new Map<string, Promise<{ info: StoredKeyInfo; key: PrivateKeyHandle }>>();
  /**
   * Headers of key files this store has parsed, by path, with the exact text they came from: every
   * listing still reads each file, and parses again only a file whose text changed (issue 12: a sign
   * lists the directory four times; parsing the PEM headers was most of each listing).
   */
  readonly #headers = new Map<string, { text: string; header: ReturnType<typeof inspectKeyFile> }>();
  #cleaned = false;
  /** Keys this store wrote with `pending: true` and has not committed yet (visible to this store only). */
  readonly #pending = new Map<string, StoredKeyInfo>();

  constructor(trustDir: string, options: KeyStoreOptions = {}) {
    this.privateDir = join(trustDir, 'private');
    this.#passphrase = options.passphrase ?? defaultPassphraseProvider();
    this.#iterations = options.iterations;
    this.#maxAttempts = options.maxAttempts ?? 4;
  }

  /** All key files, sorted by role then key id. Never decrypts. */
  async list(): Promise<StoredKeyInfo[]> {
    const out: StoredKeyInfo[] = [];
    this.#walk(this.privateDir, 0, out);
    // Prefer the current layout when the same id appears twice.
    const byId = new Map<string, StoredKeyInfo>();
    for (const k of out) {
      const prev = byId.get(k.keyId);
      if (!prev || (prev.legacy && !k.legacy)) byId.set(k.keyId, k);
    }
    return [...byId.values()].sort((a, b) =>
      a.role === b.role ? (a.keyId < b.keyId ? -1 : a.keyId > b.keyId ? 1 : 0) : a.role < b.role ? -1 : 1,
    );
  }

  /** Keys matching every given field of the filter. */
  async find(filter: KeyFilter = {}): Promise<StoredKeyInfo[]> {
    const all = await this.list();
    for (const p of this.#pending.values()) if (!all.some((k) => k.keyId === p.keyId)) all.push(p);
    return all.filter(
      (k) =>
        (filter.keyId === undefined || k.keyId === filter.keyId) &&
        (filter.role === undefined || k.role === filter.role) &&
        (filter.gun === undefined || k.gun === filter.gun),
    );
  }

  /** Info of one key, or undefined. */
  async get(keyId: string): Promise<StoredKeyInfo | undefined> {
    return (await this.find({ keyId }))[0];
  }

  /** Resolves a full key id from a unique prefix (>= 7 hex chars, as displayed short ids). */
  async resolveKeyId(prefix: string): Promise<string> {
    if (KEY_ID.test(prefix)) return prefix;
    if (!/^[0-9a-f]{7,63}$/.test(prefix))
      throw new LocalError('USAGE', `invalid key id ${JSON.stringify(prefix)}`);
    const hits = (await this.list()).filter((k) => k.keyId.startsWith(prefix));
    if (hits.length === 0)
      throw new LocalError('KEY_NOT_FOUND', `no private key with id ${prefix} in ${this.privateDir}`);
    if (hits.length > 1) throw new LocalError('USAGE', `key id prefix ${prefix} is ambiguous`);
    return (hits[0] as StoredKeyInfo).keyId;
  }

  /**
   * Encrypts and stores a key as `private/<bare key id>.key` (0600, atomic).
   * The passphrase comes from the provider with `creating: true`.
   */
  async add(key: PrivateKeyHandle, options: AddKeyOptions): Promise<StoredKeyInfo> {
    const keyId = key.publicKey.id;
    if (!options.role) throw new LocalError('USAGE', 'a key needs a role');
    const path = this.#pathOf(keyId);
    await this.#checkDir();
    if (!options.overwrite && (await pathOccupied(path))) {
      throw new LocalError(
        'USAGE',
        `a key with id ${shortKeyId(keyId)} already exists in ${this.privateDir}`,
      );
    }
    const req = {
      role: options.role,
      keyId,
      attempt: 0,
      creating: true,
      ...(options.gun ? { gun: options.gun } : {}),
    };
    const passphrase = await this.#passphrase(req);
    const pem = await writeKeyFile(key, {
      role: options.role,
      passphrase,
      ...(options.gun ? { gun: options.gun } : {}),
      ...(this.#iterations === undefined ? {} : { iterations: this.#iterations }),
    });
    await this.#ensureDir();
    await this.cleanup();
    const written = options.pending ? this.#pendingPathOf(keyId) : path;
    await writeFileAtomic(written, pem, { mode: 0o600 });
    this.#cache.set(keyId, key);
    const info = inspectKeyFile(pem);
    const stored: StoredKeyInfo = {
      keyId,
      role: info.role,
      path: written,
      legacy: false,
      encrypted: true,
      ...(info.gun ? { gun: info.gun } : {}),
    };
    if (options.pending) this.#pending.set(keyId, stored);
    return stored;
  }

  /** Makes a key written with `pending: true` part of the store (one rename). */
  async commitPending(keyId: string): Promise<void> {
    try {
      await rename(this.#pendingPathOf(keyId), this.#pathOf(keyId));
      this.#pending.delete(keyId);
    } catch (e) {
      throw new LocalError('IO', `cannot store key ${shortKeyId(keyId)} in ${this.privateDir}`, { cause: e });
    }
  }

  /** Drops a key written with `pending: true` (the operation it belonged to failed). */
  async discardPending(keyId: string): Promise<void> {
    this.#cache.delete(keyId);
    this.#pending.delete(keyId);
    await unlink(this.#pendingPathOf(keyId)).catch(() => undefined);
  }

  /**
   * Removes what a killed writer left in the key directory: atomic-write temp files
   * (`.<name>.<random>.tmp`) and keys never committed (`.<id>.key.pending`), once they
   * are older than a minute (younger ones may belong to a writer still running).
   * Runs once per store, before its first write.
   */
  async cleanup(): Promise<string[]> {
    if (this.#cleaned) return [];
    this.#cleaned = true;
    let names: string[];
    try {
      names = readdirSync(this.privateDir); // synchronous, as the listing (see #walk)
    } catch {
      return [];
    }
    const removed: string[] = [];
    for (const name of names) {
      if (!LEFTOVER.test(name)) continue;
      const path = join(this.privateDir, name);
      const st = await lstat(path).catch(() => undefined);
      if (!st?.isFile() || Date.now() - st.mtimeMs < LEFTOVER_AGE_MS) continue;
      await unlink(path).then(
        () => removed.push(name),
        () => undefined,
      );
    }
    return removed;
  }

  /**
   * Marks a key retired (a `retired:` header; the encrypted body is unchanged): a root
   * key rotated out of its repository is never picked again.
   */
  async markRetired(keyId: string, when = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z')): Promise<void> {
    const info = await this.get(keyId);
    if (!info || info.retired) return;
    const text = await readKeyText(info.path);
    await writeFileAtomic(info.path, markKeyFileRetired(text, when), { mode: 0o600 });
  }

  /**
   * Decrypts a key (asking the provider, retrying wrong passphrases up to
   * `maxAttempts`), checks it matches its file name, and caches it for the
   * life of this store. Not found → LocalError KEY_NOT_FOUND. A load of a key
   * whose load is under way shares it (one passphrase request, one KDF).
   */
  load(keyId: string): Promise<{ info: StoredKeyInfo; key: PrivateKeyHandle }> {
    return this.#shared(keyId);
  }

  /** The load of `keyId` under way, else a new one (`listed`: its listing, when the caller has it). */
  #shared(keyId: string, listed?: StoredKeyInfo): Promise<{ info: StoredKeyInfo; key: PrivateKeyHandle }> {
    const pending = this.#loading.get(keyId);
    if (pending) return pending;
    const loading = this.#load(keyId, listed).finally(() => this.#loading.delete(keyId));
    this.#loading.set(keyId, loading);
    return loading;
  }

  /**
   * Starts loading a key when its passphrase comes without asking anyone (the built-in environment
   * and fixed-value providers, and the default one when the environment holds the passphrase), so
   * that its PBKDF2 runs on the thread pool while the caller does other work, e.g. fetches the state
   * it will sign (issue 12). A later `load` shares the load under way; a failure is left for that
   * `load` to meet (and report). A key behind a prompt is not touched: nobody is asked for a key
   * that may not be needed.
   */
  async preload(keyId: string): Promise<void> {
    if (this.#cache.has(keyId) || this.#loading.has(keyId)) return;
    const info = await this.get(keyId);
    if (!info?.encrypted) return;
    const req = {
      role: info.role,
      keyId,
      attempt: 0,
      creating: false,
      ...(info.gun ? { gun: info.gun } : {}),
    };
    if (answersSilently(this.#passphrase, req)) this.#shared(keyId, info).catch(() => {});
  }

  async #load(
    keyId: string,
    listed?: StoredKeyInfo,
  ): Promise<{ info: StoredKeyInfo; key: PrivateKeyHandle }> {
    const info = listed ?? (await this.get(keyId));
    if (!info) throw new LocalError('KEY_NOT_FOUND', `no private key with id ${keyId} in ${this.privateDir}`);
    const cached = this.#cache.get(keyId);
    if (cached) return { info, key: cached };
    const text = readKeyTextSync(info.path); // synchronous, as the listing (see #walk)
    const label = `${shortKeyId(keyId)} (${info.role || 'unknown role'})`;
    let key: PrivateKeyHandle | undefined;
    if (!info.encrypted) {
      // a planted unencrypted key must not be used silently: keys written here are always encrypted
      throw new LocalError(
        'BAD_KEY',
        `key file ${info.path} is not encrypted, and the trust dir uses only keys it encrypted itself: ` +
          `if you put it there, import it with 'trust key load ${info.path} --name ROLE' (which encrypts it); ` +
          'otherwise delete it',
        { role: info.role },
      );
    }
    for (let attempt = 0; key === undefined; attempt++) {
      if (attempt >= this.#maxAttempts) throw wrongPassphraseError({ role: info.role, keyId });
      const passphrase = await this.#passphrase({
        role: info.role,
        keyId,
        attempt,
        creating: false,
        ...(info.gun ? { gun: info.gun } : {}),
      });
      try {
        key = (await readKeyFile(text, passphrase, { label })).key;
      } catch (e) {
        if (!(e instanceof LocalError && e.code === 'PASSPHRASE')) throw withPath(e, info.path);
      }
    }
    if (KEY_ID.test(keyId) && key.publicKey.id !== keyId) {
      throw new FormatError(
        'BAD_KEY',
        `key file ${info.path} holds key ${shortKeyId(key.publicKey.id)}, not ${shortKeyId(keyId)}`,
      );
    }
    this.#cache.set(keyId, key);
    return { info, key };
  }

  /** The key file's text as stored (still encrypted), e.g. for export. */
  async readFile(keyId: string): Promise<string> {
    const info = await this.get(keyId);
    if (!info) throw new LocalError('KEY_NOT_FOUND', `no private key with id ${keyId} in ${this.privateDir}`);
    return readKeyText(info.path);
  }

  /** Deletes a key file (and forgets the cached key). Missing → KEY_NOT_FOUND. */
  async remove(keyId: string): Promise<void> {
    const info = await this.get(keyId);
    if (!info) throw new LocalError('KEY_NOT_FOUND', `no private key with id ${keyId} in ${this.privateDir}`);
    this.#cache.delete(keyId);
    try {
      await unlink(info.path);
    } catch (e) {
      throw new LocalError('IO', `cannot remove ${info.path}`, { cause: e });
    }
  }

  #pathOf(keyId: string): string {
    if (!KEY_ID.test(keyId)) throw new LocalError('USAGE', `invalid key id ${JSON.stringify(keyId)}`);
    return join(this.privateDir, `${keyId}.key`);
  }

  #pendingPathOf(keyId: string): string {
    if (!KEY_ID.test(keyId)) throw new LocalError('USAGE', `invalid key id ${JSON.stringify(keyId)}`);
    return join(this.privateDir, `.${keyId}.key.pending`);
  }

  /** Refuses a key directory other users can write to (as ssh refuses loose key files). */
  async #checkDir(dir = this.privateDir): Promise<void> {
    const st = await stat(dir).catch(() => undefined);
    if (st) checkKeyDirMode(dir, st.mode);
  }

  async #ensureDir(): Promise<void> {
    try {
      const made = await mkdir(this.privateDir, { recursive: true, mode: 0o700 });
      if (made !== undefined) await chmod(this.privateDir, 0o700);
    } catch (e) {
      throw new LocalError('IO', `cannot create ${this.privateDir}`, { cause: e });
    }
  }

  /**
   * The listing reads the key directory synchronously (issue 12): it is local, small and its files
   * are size-capped, and a sign lists it several times (which roles it can sign, which keys to
   * unlock, whether it holds the snapshot key); promise-based reads cost a thread-pool round trip per
   * stat, open, read and close.
   */
  #walk(dir: string, depth: number, out: StoredKeyInfo[]): void {
    const st = (() => {
      try {
        return statSync(dir);
      } catch {
        return undefined;
      }
    })();
    if (st) checkKeyDirMode(dir, st.mode);
    let entries: Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return;
      throw new LocalError('IO', `cannot read ${dir}`, { cause: e });
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const ent of entries) {
      const full = join(dir, ent.name);
      if (ent.isDirectory()) {
        if (depth < MAX_DEPTH && !ent.name.startsWith('.')) this.#walk(full, depth + 1, out);
        continue;
      }
      // Notary skips symlinks; so do we (and anything that is not a regular file).
      if (!ent.isFile() || !KEY_FILE.test(ent.name)) continue;
      const info = this.#describe(full);
      if (info) out.push(info);
    }
  }

  #describe(path: string): StoredKeyInfo | undefined {
    let text: string;
    try {
      text = readKeyTextSync(path);
    } catch {
      return undefined; // unreadable or oversized: not listed (Notary logs and skips)
    }
    let header: ReturnType<typeof inspectKeyFile>;
    const seen = this.#headers.get(path);
    if (seen !== undefined && seen.text === text) header = seen.header;
    else {
      try {
        header = inspectKeyFile(text);
      } catch {
        return undefined; // not a key PEM: skipped like Notary's ListKeys
      }
      this.#headers.set(path, { text, header });
    }
    const rel = relative(this.privateDir, path).split(sep);
    const base = (rel[rel.length - 1] as string).slice(0, -'.key'.length);
    const subdirs = rel.slice(0, -1);
    let keyId = base;
    let role = header.role;
    let gun = header.gun;
    let legacy = subdirs.length > 0;
    const us = base.indexOf('_');
    if (us > 0) {
      legacy = true;
      keyId = base.slice(0, us);
      if (!role) role = base.slice(us + 1);
    }
    if (!gun && subdirs[0] === 'tuf_keys' && subdirs.length > 1) gun = subdirs.slice(1).join('/');
    return {
      keyId,
      role,
      path,
      legacy,
      encrypted: header.encrypted,
      ...(gun ? { gun } : {}),
      ...(header.retired ? { retired: header.retired } : {}),
    };
  }
}

/**
 * A key directory writable by group or others lets another user plant or swap keys:
 * refused with the fix (ssh refuses loose key files the same way).
 */
export function checkKeyDirMode(dir: string, mode: number): void {
  if ((mode & 0o022) === 0) return;
  throw new LocalError(
    'CONFIG',
    `key directory ${dir} is writable by ${mode & 0o020 ? (mode & 0o002 ? 'group and others' : 'group') : 'others'} ` +
      `(mode ${(mode & 0o777).toString(8).padStart(4, '0')}): anyone who can write there can plant keys. ` +
      `Fix it with: chmod go-w ${dir}  (content-trust creates it as 0700)`,
  );
}

/**
 * A key file's text, read synchronously for the listing: opened non-blocking and without following a
 * symlink, and only a regular file within the size cap is read (a FIFO or device swapped in after the
 * directory was read never blocks, a huge file is never loaded).
 */
function readKeyTextSync(path: string): string {
  let fd: number;
  try {
    fd = openSync(path, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK | fsConstants.O_NOFOLLOW);
  } catch (e) {
    throw new LocalError('IO', `cannot read ${path}`, { cause: e });
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new LocalError('IO', `${path} is not a regular file`);
    if (st.size > MAX_KEY_FILE_BYTES) throw new FormatError('BAD_KEY', `key file ${path} is too large`);
    return readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
}

async function readKeyText(path: string): Promise<string> {
  let buf: Buffer;
  try {
    const st = await lstat(path);
    if (!st.isFile()) throw new LocalError('IO', `${path} is not a regular file`);
    if (st.size > MAX_KEY_FILE_BYTES) throw new FormatError('BAD_KEY', `key file ${path} is too large`);
    buf = await readFile(path);
  } catch (e) {
    if (e instanceof TrustError) throw e;
    throw new LocalError('IO', `cannot read ${path}`, { cause: e });
  }
  return buf.toString('utf8');
}

function withPath(e: unknown, path: string): unknown {
  if (e instanceof FormatError) return new FormatError(e.code, `${e.message} (${path})`, { cause: e });
  return e;
}
