/**
 * Runs the CLI bundle (one CommonJS file, dist/cli-main.cjs) with a V8 code
 * cache, so a pre-pull hook's `trust verify` does not parse and compile half a
 * megabyte of JavaScript on every run.
 *
 * - Node >= 22.1: `module.enableCompileCache(dir)`, Node's own cache.
 * - Node 20: `vm.Script` with `cachedData`. The cache file is
 *   `<dir>/v8-<command>-<key prefix>.bin` = MAGIC, key, sha256(payload), payload,
 *   where the key binds the bundle's bytes, Node's and V8's versions, the
 *   architecture and Node's command-line flags. V8 itself checks only the
 *   source *length* and does not checksum the payload in release builds, so a
 *   cache of another bundle or a corrupt file would otherwise be executed: any
 *   mismatch means "no cache".
 *   The payload is made after the command ran (so it holds the functions the
 *   command compiled), written atomically (temporary file + rename), once per
 *   bundle, command and Node version.
 * - The directory is $XDG_CACHE_HOME/content-trust or ~/.cache/content-trust,
 *   created 0700. One not owned by this user, or writable by group or others,
 *   is never read (cached code is code). CONTENT_TRUST_CODE_CACHE=0 turns the
 *   cache off. Every failure of the cache machinery falls back to a plain
 *   compile: the cache can make the CLI faster, never wrong or broken.
 */

import { createHash } from 'node:crypto';
import {
  closeSync,
  constants as fsConstants,
  fstatSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import * as nodeModule from 'node:module';
import { homedir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { Script } from 'node:vm';

const MAGIC = Buffer.from('content-trust v8 code cache 1\n');
const HASH = 32;

/** What happened to the cache in one run (for tests and CONTENT_TRUST_DEBUG=1). */
export type CacheOutcome = 'off' | 'error' | 'node-compile-cache' | 'used' | 'written' | 'rejected' | 'none';

/** The cache directory for this environment, or undefined when the cache is off. */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.CONTENT_TRUST_CODE_CACHE === '0') return undefined;
  const base = env.XDG_CACHE_HOME?.startsWith('/') ? env.XDG_CACHE_HOME : join(homedir(), '.cache');
  return join(base, 'content-trust');
}

/** The directory, created if missing, if it is safe to hold code: ours, a directory, not group/other-writable. */
function safeDir(dir: string): boolean {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const st = lstatSync(dir);
    const uid = process.getuid?.();
    return st.isDirectory() && (uid === undefined || st.uid === uid) && (st.mode & 0o022) === 0;
  } catch {
    return false;
  }
}

/**
 * sha256 over the bundle and the runtime that compiled it. Node's flags are in it too: V8 refuses a
 * cache made under other V8 flags, and runs with and without (say) NODE_OPTIONS would otherwise
 * replace each other's file on every run.
 */
export function cacheKey(source: Buffer, env: NodeJS.ProcessEnv = process.env): Buffer {
  return createHash('sha256')
    .update(source)
    .update(`\0${process.version}\0${process.versions.v8}\0${process.arch}`)
    .update(`\0${process.execArgv.join('\0')}\0${env.NODE_OPTIONS ?? ''}`)
    .digest();
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
  const sum = createHash('sha256').update(payload).digest();
  return sum.equals(bytes.subarray(head + HASH, head + 2 * HASH)) ? payload : undefined;
}

/** Writes a cache file atomically; failures are ignored (a read-only home is not an error). */
export function writeCacheFile(file: string, key: Buffer, payload: Buffer): boolean {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    const sum = createHash('sha256').update(payload).digest();
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

/**
 * The cache file for a command word (anything else shares one) and a bundle: two installed versions
 * used in turn keep one file each instead of replacing each other's on every run.
 */
export function cacheName(command: string | undefined, key: Buffer): string {
  const word = command && /^[a-z]{1,16}$/.test(command) ? command : 'other';
  return `v8-${word}-${key.subarray(0, 8).toString('hex')}.bin`;
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
 * Loads and runs the CommonJS bundle `file` (its top level starts the CLI), with
 * a code cache for `command`. Returns what happened to the cache. Whatever goes
 * wrong in the cache machinery (no home directory, an unreadable bundle, ...),
 * the bundle still runs, once, through Node's own loader.
 */
export function runBundle(
  file: string,
  command: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): CacheOutcome {
  const mod = nodeModule.createRequire(file);
  let ready: { run: () => void; outcome: CacheOutcome };
  try {
    ready = prepare(file, command, env, mod);
  } catch {
    ready = { run: () => mod(file), outcome: 'error' };
  }
  ready.run();
  return ready.outcome;
}

function prepare(
  file: string,
  command: string | undefined,
  env: NodeJS.ProcessEnv,
  mod: NodeJS.Require,
): { run: () => void; outcome: CacheOutcome } {
  const dir = cacheDir(env);
  if (dir === undefined) return { run: () => mod(file), outcome: 'off' };
  const { enableCompileCache } = nodeModule as { enableCompileCache?: (dir: string) => unknown };
  if (typeof enableCompileCache === 'function') {
    if (safeDir(dir)) enableCompileCache(join(dir, 'node'));
    return { run: () => mod(file), outcome: 'node-compile-cache' };
  }
  const source = readFileSync(file);
  const useDir = safeDir(dir);
  const key = cacheKey(source, env);
  const cacheFile = join(dir, cacheName(command, key));
  const cachedData = useDir ? readCacheFile(cacheFile, key) : undefined;
  // the CommonJS wrapper, as Node's loader applies it; the bundle has no shebang line
  const wrapped = `(function (exports, require, module, __filename, __dirname) { ${source.toString('utf8')}\n});`;
  const script = new Script(wrapped, { filename: file, ...(cachedData ? { cachedData } : {}) });
  let outcome: CacheOutcome = cachedData ? (script.cachedDataRejected ? 'rejected' : 'used') : 'none';
  const first = outcome;
  process.once('exit', () => {
    // after the command ran, so the cache holds what it compiled on the way
    if (useDir && outcome !== 'used' && writeCacheFile(cacheFile, key, script.createCachedData())) {
      outcome = 'written';
      removeStale(dir, basename(cacheFile));
    }
    // terminal-safe: one of the CacheOutcome words
    if (env.CONTENT_TRUST_DEBUG === '1') process.stderr.write(`debug: code cache ${outcome}\n`);
  });
  const run = () => {
    const module = { exports: {} };
    const fn = script.runInThisContext() as (...args: unknown[]) => void;
    fn.call(module.exports, module.exports, mod, module, file, dirname(file));
  };
  return { run, outcome: first };
}
