import {
  chmodSync,
  closeSync,
  fstatSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../test/support/temp.js';
import {
  bundleIntact,
  bundleSettled,
  cacheDir,
  cacheKey,
  cacheName,
  cacheWord,
  declaredHash,
  readBundle,
  readCacheFile,
  wrapBundle,
  writeCacheFile,
} from './code-cache.js';

/** A bundle file as the build writes it, and its key. */
function bundleAt(dir: string, code = 'module.exports = 1;'): { file: string; key: Buffer } {
  const file = join(dir, 'cli-verify.cjs');
  writeFileSync(file, wrapBundle(code));
  return { file, key: keyOf(file) };
}
function keyOf(file: string, env: NodeJS.ProcessEnv = {}): Buffer {
  const { bytes, stat } = readBundle(file);
  return cacheKey(declaredHash(bytes)!, stat!, env);
}
/** Blocks long enough for the file system's clock (a kernel tick at most) to move on. */
const tick = () => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 25);

describe('CLI bundle files', () => {
  it('are the module wrapper behind a header declaring the hash of the rest', () => {
    const text = wrapBundle('module.exports = 42;');
    expect(text).toMatch(
      /^\/\/ content-trust bundle sha256:[0-9a-f]{64}\n\(function \(exports, require, module, __filename, __dirname\) \{ module\.exports = 42;\n\}\)$/,
    );
    const bytes = Buffer.from(text);
    expect(declaredHash(bytes)?.toString('hex')).toBe(text.slice(31, 95));
    expect(bundleIntact(bytes)).toBe(true);
  });

  it('are intact only when the content is what the header declares', () => {
    const bytes = Buffer.from(wrapBundle('module.exports = 42;'));
    const edited = Buffer.from(bytes);
    edited[edited.length - 5] = 0x33; // 42 -> 43, same length
    expect(bundleIntact(edited)).toBe(false);
    const badHeader = Buffer.from(bytes);
    badHeader[40] = badHeader[40] === 0x61 ? 0x62 : 0x61;
    expect(bundleIntact(badHeader)).toBe(false);
    // a header whose hash is not 64 lower-case hex digits (checked by a loop, issue 12)
    for (const c of ['A', 'g', '/', ':', '`', 'G', '\u00e9']) {
      const bad = Buffer.from(bytes);
      bad.write(c, 31 + 10, 'latin1');
      expect(declaredHash(bad), c).toBeUndefined();
    }
    for (const other of [Buffer.from('module.exports = 42;'), bytes.subarray(0, 94), Buffer.alloc(0)]) {
      expect(declaredHash(other)).toBeUndefined();
      expect(bundleIntact(other)).toBe(false);
    }
  });
});

describe('V8 code cache files', () => {
  const payload = Buffer.from('not really V8 code, but bytes that must come back intact');

  it('round-trips a payload made for the same bundle and runtime', () => {
    const { key } = bundleAt(tempDir());
    const file = join(tempDir(), 'v8-verify.bin');
    expect(writeCacheFile(file, key, payload)).toBe(true);
    expect(readCacheFile(file, key)).toEqual(payload);
  });

  it('ignores a cache made for another bundle (V8 itself compares only the source length)', () => {
    const dir = tempDir();
    const { file: bundle, key } = bundleAt(dir);
    const file = join(dir, 'v8-verify.bin');
    writeCacheFile(file, key, payload);
    expect(keyOf(bundle)).toEqual(key);
    expect(readCacheFile(file, key)).toEqual(payload);
    // another build installed over it, same length: another header, another file
    tick();
    writeFileSync(`${bundle}.new`, wrapBundle('module.exports = 2;'));
    renameSync(`${bundle}.new`, bundle);
    expect(readCacheFile(file, keyOf(bundle))).toBeUndefined();
  });

  it('ignores a cache after any write to the bundle, even one keeping its size, header and mtime', () => {
    const dir = tempDir();
    const { file: bundle } = bundleAt(dir, 'module.exports = 42;');
    // whole seconds, so that the edit can put the very same mtime back
    utimesSync(bundle, 1_700_000_000, 1_700_000_000);
    const key = keyOf(bundle);
    const file = join(dir, 'v8-verify.bin');
    writeCacheFile(file, key, payload);
    const before = statSync(bundle, { bigint: true });
    tick();
    const fd = openSync(bundle, 'r+');
    const inode = fstatSync(fd, { bigint: true }).ino;
    writeSync(fd, '3', readFileSync(bundle).length - 5);
    closeSync(fd);
    utimesSync(bundle, 1_700_000_000, 1_700_000_000);
    const after = statSync(bundle, { bigint: true });
    expect([after.ino, after.size, after.mtimeNs]).toEqual([inode, before.size, before.mtimeNs]);
    expect(readFileSync(bundle, 'utf8')).toContain('module.exports = 43;');
    expect(readCacheFile(file, keyOf(bundle))).toBeUndefined();
  });

  it('is only written for a bundle whose last change its file times can tell from a later one', () => {
    const { file } = bundleAt(tempDir());
    const st = readBundle(file).stat!;
    const changed = Number(st.ctimeNs / 1_000_000n);
    expect(bundleSettled(st, changed + 10)).toBe(false);
    expect(bundleSettled(st, changed + 1000)).toBe(true);
    // whole-second file times (a coarse file system): three seconds
    const coarse = { ...st, mtimeNs: 1_700_000_000_000_000_000n, ctimeNs: 1_700_000_000_000_000_000n };
    expect(bundleSettled(coarse, 1_700_000_001_000)).toBe(false);
    expect(bundleSettled(coarse, 1_700_000_003_000)).toBe(true);
  });

  it('ignores a corrupt, truncated, empty or foreign file', () => {
    const dir = tempDir();
    const { key } = bundleAt(dir);
    const file = join(dir, 'v8-verify.bin');
    writeCacheFile(file, key, payload);
    const good = readFileSync(file);
    const flipped = Buffer.from(good);
    flipped[flipped.length - 3]! ^= 0x01;
    for (const bytes of [flipped, good.subarray(0, good.length - 1), Buffer.alloc(0), Buffer.from('hello')]) {
      writeFileSync(file, bytes);
      expect(readCacheFile(file, key)).toBeUndefined();
    }
    expect(readCacheFile(join(dir, 'missing.bin'), key)).toBeUndefined();
  });

  it('ignores a valid cache file reached through a symlink or writable by group or others', () => {
    const dir = tempDir();
    const { key } = bundleAt(dir);
    const real = join(dir, 'real.bin');
    writeCacheFile(real, key, payload);
    expect(readCacheFile(real, key)).toEqual(payload);
    const link = join(dir, 'v8-verify.bin');
    symlinkSync(real, link);
    expect(readCacheFile(link, key)).toBeUndefined();
    for (const mode of [0o620, 0o602, 0o666]) {
      chmodSync(real, mode);
      expect(readCacheFile(real, key)).toBeUndefined();
    }
    chmodSync(real, 0o600);
    expect(readCacheFile(real, key)).toEqual(payload);
  });

  it('never writes through a planted temporary file (O_EXCL), and says the write failed', () => {
    const dir = tempDir();
    const { key } = bundleAt(dir);
    const victim = join(dir, 'victim');
    writeFileSync(victim, 'unchanged');
    const file = join(dir, 'v8-verify.bin');
    symlinkSync(victim, `${file}.${process.pid}.tmp`);
    expect(writeCacheFile(file, key, payload)).toBe(false);
    expect(readFileSync(victim, 'utf8')).toBe('unchanged');
    expect(readCacheFile(file, key)).toBeUndefined();
  });

  it('is keyed on the flags Node runs with too (V8 refuses a cache made under other flags)', () => {
    const { file, key } = bundleAt(tempDir());
    expect(keyOf(file, {})).toEqual(key);
    expect(keyOf(file, { NODE_OPTIONS: '--max-semi-space-size=16' })).not.toEqual(key);
  });

  it('is one file per command word and bundle', () => {
    const { key } = bundleAt(tempDir());
    const { key: other } = bundleAt(tempDir(), 'module.exports = 2;');
    expect(cacheName('verify', key)).toMatch(/^v8-verify-[0-9a-f]{16}\.bin$/);
    expect(cacheName('verify', other)).not.toBe(cacheName('verify', key));
    expect(cacheName('../../x', key)).toMatch(/^v8-other-[0-9a-f]{16}\.bin$/);
    expect(cacheName(undefined, key)).toBe(cacheName('--version', key));
    // the word check is a loop, not /^[a-z]{1,16}$/ (issue 12): the same answers
    for (const w of [
      '',
      'a',
      'verify',
      'abcdefghijklmnop',
      'abcdefghijklmnopq',
      'Verify',
      'ver-ify',
      'v1',
      'verify\n',
      '\u212averify',
      '{',
    ]) {
      const expected = /^[a-z]{1,16}$/.test(w) ? w : 'other';
      expect(cacheName(w, key), JSON.stringify(w)).toBe(
        `v8-${expected}-${key.subarray(0, 8).toString('hex')}.bin`,
      );
    }
  });

  it('gives a verify or sign of registry-hosted trust a cache word of its own', () => {
    const { key } = bundleAt(tempDir());
    const word = (...argv: string[]) => cacheWord(argv);
    expect(word('verify', 'example.com/app:1')).toBe('verify');
    expect(word('verify', '--server', 'https://notary.example.com', 'example.com/app:1')).toBe('verify');
    expect(word('verify', '--server', 'registry', 'example.com/app:1')).toBe('verifyoci');
    expect(word('verify', '--server=registry', 'example.com/app:1')).toBe('verifyoci');
    expect(word('verify', '--server', 'oci://localhost:5000/trust', 'x')).toBe('verifyoci');
    expect(word('verify', '--server=oci://localhost:5000/trust', 'x')).toBe('verifyoci');
    expect(word('verify', '--bundle', 'b.tar', 'x')).toBe('verifyoci');
    expect(word('verify', '--', '--server', 'registry')).toBe('verify'); // operands, not flags
    expect(word('sign', '--server', 'registry')).toBe('signoci');
    expect(word('sign', 'example.com/app:1')).toBe('sign');
    expect(word('inspect', '--server', 'registry')).toBe('inspect');
    expect(word()).toBeUndefined();
    expect(cacheName('verifyoci', key)).not.toBe(cacheName('verify', key));
    expect(cacheName('verifyoci', key)).toMatch(/^v8-verifyoci-[0-9a-f]{16}\.bin$/);
  });

  it('lives in $XDG_CACHE_HOME/content-trust or ~/.cache/content-trust, and CONTENT_TRUST_CODE_CACHE=0 turns it off', () => {
    expect(cacheDir({ XDG_CACHE_HOME: '/x/cache' })).toBe('/x/cache/content-trust');
    expect(cacheDir({ XDG_CACHE_HOME: 'relative' })).toMatch(/\/\.cache\/content-trust$/);
    expect(cacheDir({ XDG_CACHE_HOME: '/x/cache', CONTENT_TRUST_CODE_CACHE: '0' })).toBeUndefined();
  });
});
