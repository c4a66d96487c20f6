/**
 * Runs a CLI bundle (dist/cli-main.cjs; dist/cli-verify.cjs for `trust verify`, dist/cli-sign.cjs
 * for `trust sign`) with a V8 code cache, so a pre-pull hook's `trust verify` does not parse and
 * compile half a megabyte of JavaScript on every run.
 *
 * - The bundle file is the script V8 compiles, as written by the build (`wrapBundle`): a header line
 *   `// content-trust bundle sha256:<hex>` (the hash of the rest of the file, computed at build
 *   time) and the CommonJS wrapper expression `(function (exports, require, module, __filename,
 *   __dirname) { ... })`. Read as Latin-1 (the bundles are pure ASCII), it becomes V8's source
 *   string without a decode pass or a wrapped copy.
 * - The cache file is `<dir>/v8-<command>-<key prefix>.bin` = MAGIC, key, sha256(payload), payload.
 *   The key binds the bundle (the hash its header declares, and the file's identity: device, inode,
 *   size, mtime and ctime in nanoseconds, from fstat of the descriptor that is read, before and
 *   after the read), Node's and V8's versions, the architecture and Node's command-line flags. V8
 *   itself checks only the source *length* and does not checksum the payload in release builds, so
 *   a cache of another bundle or a corrupt file would otherwise be executed: any mismatch means "no
 *   cache".
 * - The bundle is hashed only when a cache file is written: its content must match the hash in its
 *   header, so a cache is only ever made for a bundle as built, and a bundle edited afterwards
 *   changes its ctime (which no one can set), hence the key. A cache is only written for a bundle
 *   whose last change is older than the racy window of storage/file-cache.ts (50 ms; 3 s for
 *   whole-second file times), so an in-place write of the same size cannot land in the same tick
 *   of the file clock as the one the key holds. A run that uses the cache hashes no bundle (issue
 *   12: that was ~1 ms of every warm `trust verify`).
 * - The payload is made after the command ran (so it holds the functions the command compiled),
 *   written atomically (temporary file + rename), once per bundle, command and Node version.
 * - The directory is $XDG_CACHE_HOME/content-trust or ~/.cache/content-trust,
 *   created 0700. One not owned by this user, or writable by group or others,
 *   is never read (cached code is code). CONTENT_TRUST_CODE_CACHE=0 turns the
 *   cache off. Every failure of the cache machinery falls back to a plain
 *   compile: the cache can make the CLI faster, never wrong or broken.
 * - The same on every Node version (Node >= 22.1's `module.enableCompileCache` applies to modules
 *   the loader reads, not to this script).
 */

import { createHash, hash } from 'node:crypto';
import {
  type BigIntStats,
  closeSync,
  constants as fsConstants,
  fstatSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  type Stats,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { Script } from 'node:vm';
import { settled } from '../storage/file-cache.js';

const MAGIC = Buffer.from('content-trust v8 code cache 2\n');
const HASH = 32;
/** The first line of a bundle file, then 64 hex digits and a newline. */
const HEADER = '// content-trust bundle sha256:';
const HEADER_LINE = HEADER.length + 2 * HASH + 1;
/** Node's CommonJS wrapper, as its loader applies it. */
const WRAPPER = '(function (exports, require, module, __filename, __dirname) { ';

/** What happened to the cache in one run (for tests and CONTENT_TRUST_DEBUG=1). */
export type CacheOutcome = 'off' | 'error' | 'used' | 'written' | 'rejected' | 'none';

/**
 * A bundle file as the build writes it (tsup.config.ts): the header with the hash of the rest, then
 * the CommonJS code of `code` (pure ASCII) inside Node's module wrapper, as one expression.
 */
export function wrapBundle(code: string): string {
  const body = `${WRAPPER}${code}\n})`;
  return `${HEADER}${createHash('sha256').update(body).digest('hex')}\n${body}`;
}

/** The hash a bundle's header declares (undefined for a file without the header). */
export function declaredHash(bundle: Buffer): Buffer | undefined {
  if (bundle.length < HEADER_LINE || bundle.toString('latin1', 0, HEADER.length) !== HEADER) return undefined;
  const hex = bundle.toString('latin1', HEADER.length, HEADER_LINE - 1);
  // (loops, not regular expressions: each is compiled in every process, issue 12)
  for (let i = 0; i < hex.length; i++) {
    const c = hex.charCodeAt(i);
    if (!((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66))) return undefined;
  }
  if (bundle[HEADER_LINE - 1] !== 0x0a) return undefined;
  return Buffer.from(hex, 'hex');
}

/** Whether the bundle's content is what its header declares (checked before a cache is written). */
export function bundleIntact(bundle: Buffer): boolean {
  const declared = declaredHash(bundle);
  return (
    declared !== undefined &&
    createHash('sha256').update(bundle.subarray(HEADER_LINE)).digest().equals(declared)
  );
}

/** The cache directory for this environment, or undefined when the cache is off. */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.CONTENT_TRUST_CODE_CACHE === '0') return undefined;
  const base = env.XDG_CACHE_HOME?.startsWith('/') ? env.XDG_CACHE_HOME : join(homedir(), '.cache');
  return join(base, 'content-trust');
}

/** The directory, created if missing, if it is safe to hold code: ours, a directory, not group/other-writable. */
function safeDir(dir: string): boolean {
  try {
    let st: Stats;
    try {
      st = lstatSync(dir);
    } catch {
      // created only when missing: a recursive mkdir on every run cost ~0.2 ms (issue 12)
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      st = lstatSync(dir);
    }
    const uid = process.getuid?.();
    return st.isDirectory() && (uid === undefined || st.uid === uid) && (st.mode & 0o022) === 0;
  } catch {
    return false;
  }
}

/** The bundle file's identity: any write to it changes its ctime (and usually mtime and size). */
function identity(st: BigIntStats): string {
  return `${st.dev}\0${st.ino}\0${st.size}\0${st.mtimeNs}\0${st.ctimeNs}`;
}

/**
 * Whether the bundle last changed long enough ago for its times to tell any later write apart
 * (storage/file-cache.ts's racy rule): a cache is only written for such a bundle, so a write to it
 * in the same tick of a coarse file clock cannot keep the identity the cache was made for.
 */
export function bundleSettled(st: BigIntStats, now = Date.now()): boolean {
  return settled({ mtimeMs: Number(st.mtimeNs) / 1e6, ctimeMs: Number(st.ctimeNs) / 1e6 }, now);
}

/**
 * sha256 over the bundle (the hash its header declares and the file's identity) and the runtime
 * that compiled it. Node's flags are in it too: V8 refuses a cache made under other V8 flags, and
 * runs with and without (say) NODE_OPTIONS would otherwise replace each other's file on every run.
 */
export function cacheKey(declared: Buffer, file: BigIntStats, env: NodeJS.ProcessEnv = process.env): Buffer {
  // one-shot crypto.hash over the same bytes (its first use costs about half of createHash's: this
  // is the first hash of every run; issue 12)
  const text =
    `\0${identity(file)}\0${process.version}\0${process.versions.v8}\0${process.arch}` +
    `\0${process.execArgv.join('\0')}\0${env.NODE_OPTIONS ?? ''}`;
  return hash('sha256', Buffer.concat([declared, Buffer.from(text)]), 'buffer');
}

/**
 * A bundle file's bytes and, when it did not change while being read, its stat (fstat of the same
 * descriptor before and after the read).
 */
export function readBundle(file: string): { bytes: Buffer; stat?: BigIntStats } {
  const fd = openSync(file, 'r');
  try {
    const before = fstatSync(fd, { bigint: true });
    const bytes = readFileSync(fd);
    const after = fstatSync(fd, { bigint: true });
    return identity(before) === identity(after) ? { bytes, stat: before } : { bytes };
  } finally {
    closeSync(fd);
  }
}

/** The payload of a cache file, if the file is ours, complete, and made for `key`. */
export function readCacheFile(file: string, key: Buffer): Buffer | undefined {
  let bytes: Buffer;
  let fd: number | undefined;
  try {
    // the opened file itself must be ours and private: no symlink, a regular file, not group/other
    // writable (the directory check alone races with a swap of the directory under a writable parent)
    fd = openSync(file, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW);
    const st = fstatSync(fd);
    const uid = process.getuid?.();
    if (!st.isFile() || (uid !== undefined && st.uid !== uid) || (st.mode & 0o022) !== 0) return undefined;
    bytes = readFileSync(fd);
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  const head = MAGIC.length;
  if (bytes.length <= head + 2 * HASH || !bytes.subarray(0, head).equals(MAGIC)) return undefined;
  if (!bytes.subarray(head, head + HASH).equals(key)) return undefined;
  const payload = bytes.subarray(head + 2 * HASH);
  const sum = hash('sha256', payload, 'buffer');
  return sum.equals(bytes.subarray(head + HASH, head + 2 * HASH)) ? payload : undefined;
}

/** Writes a cache file atomically; failures are ignored (a read-only home is not an error). */
export function writeCacheFile(file: string, key: Buffer, payload: Buffer): boolean {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    const sum = hash('sha256', payload, 'buffer');
    writeFileSync(tmp, Buffer.concat([MAGIC, key, sum, payload]), { mode: 0o600, flag: 'wx' });
    renameSync(tmp, file);
    return true;
  } catch {
    try {
      unlinkSync(tmp);
    } catch {}
    return false;
  }
}

/** Whether `s` is made of a-z only. */
function lowerLetters(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x61 || c > 0x7a) return false;
  }
  return true;
}

/**
 * The cache file for a command word (anything else shares one) and a bundle: two installed versions
 * used in turn keep one file each instead of replacing each other's on every run.
 */
export function cacheName(command: string | undefined, key: Buffer): string {
  const word = command && command.length <= 16 && lowerLetters(command) ? command : 'other';
  return `v8-${word}-${key.subarray(0, 8).toString('hex')}.bin`;
}

/**
 * The cache word for a command line: the command, except that a `verify` or `sign` of
 * registry-hosted trust (`--server registry`, `--server oci://...`, `--bundle`) has a cache of its
 * own (`verifyoci`, `signoci`). A cache holds the functions compiled by the run that wrote it, and
 * it is written once: with one word for both kinds, the kind that ran second compiled the code it
 * needs beyond the first's on every run.
 */
export function cacheWord(argv: readonly string[]): string | undefined {
  const command = argv[0];
  if (command !== 'verify' && command !== 'sign') return command;
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--') break;
    const server = a === '--server' ? argv[i + 1] : a.startsWith('--server=') ? a.slice(9) : undefined;
    if (
      server === 'registry' ||
      server?.startsWith('oci://') ||
      a === '--bundle' ||
      a.startsWith('--bundle=')
    ) {
      return `${command}oci`;
    }
  }
  return command;
}

/** Removes the command's cache files of other bundles not written for a week (an upgraded install). */
function removeStale(dir: string, keep: string): void {
  const prefix = keep.slice(0, keep.lastIndexOf('-') + 1);
  try {
    for (const name of readdirSync(dir)) {
      if (name === keep || !name.startsWith(prefix) || !name.endsWith('.bin')) continue;
      const path = join(dir, name);
      if (Date.now() - lstatSync(path).mtimeMs > 7 * 86_400_000) unlinkSync(path);
    }
  } catch {}
}

/**
 * Loads and runs the bundle `file` (its top level starts the CLI), with a code cache for `command`;
 * `require` is the bundle's (the launcher's own: the bundles sit beside it). Returns what happened
 * to the cache. Whatever goes wrong in the cache machinery (no home directory, ...), the bundle still
 * runs, once, compiled without a cache.
 */
export function runBundle(
  file: string,
  command: string | undefined,
  require: NodeJS.Require,
  env: NodeJS.ProcessEnv = process.env,
): CacheOutcome {
  let ready: { script: Script; outcome: CacheOutcome };
  try {
    ready = prepare(file, command, env);
  } catch {
    ready = {
      script: new Script(readFileSync(file).toString('latin1'), { filename: file }),
      outcome: 'error',
    };
  }
  const module = { exports: {} };
  const fn = ready.script.runInThisContext() as (...args: unknown[]) => void;
  fn.call(module.exports, module.exports, require, module, file, dirname(file));
  return ready.outcome;
}

function prepare(
  file: string,
  command: string | undefined,
  env: NodeJS.ProcessEnv,
): { script: Script; outcome: CacheOutcome } {
  const dir = cacheDir(env);
  const { bytes, stat } = readBundle(file);
  // one-byte string straight from the bytes: the bundles are ASCII (tsup.config.ts)
  const source = bytes.toString('latin1');
  const declared = declaredHash(bytes);
  if (dir === undefined || declared === undefined || stat === undefined) {
    return { script: new Script(source, { filename: file }), outcome: dir === undefined ? 'off' : 'none' };
  }
  const useDir = safeDir(dir);
  const key = cacheKey(declared, stat, env);
  const cacheFile = join(dir, cacheName(command, key));
  const cachedData = useDir ? readCacheFile(cacheFile, key) : undefined;
  const script = new Script(source, { filename: file, ...(cachedData ? { cachedData } : {}) });
  let outcome: CacheOutcome = cachedData ? (script.cachedDataRejected ? 'rejected' : 'used') : 'none';
  const first = outcome;
  process.once('exit', () => {
    // after the command ran, so the cache holds what it compiled on the way; only for a bundle as built
    if (
      useDir &&
      outcome !== 'used' &&
      bundleSettled(stat) &&
      bundleIntact(bytes) &&
      writeCacheFile(cacheFile, key, script.createCachedData())
    ) {
      outcome = 'written';
      removeStale(dir, basename(cacheFile));
    }
    // terminal-safe: one of the CacheOutcome words
    if (env.CONTENT_TRUST_DEBUG === '1') process.stderr.write(`debug: code cache ${outcome}\n`);
  });
  return { script, outcome: first };
}
