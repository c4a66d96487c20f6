import { chmodSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../test/support/temp.js';
import { cacheDir, cacheKey, cacheName, readCacheFile, writeCacheFile } from './code-cache.js';

describe('V8 code cache files', () => {
  const key = cacheKey(Buffer.from('bundle one'), {});
  const payload = Buffer.from('not really V8 code, but bytes that must come back intact');

  it('round-trips a payload made for the same bundle and runtime', () => {
    const file = join(tempDir(), 'v8-verify.bin');
    expect(writeCacheFile(file, key, payload)).toBe(true);
    expect(readCacheFile(file, key)).toEqual(payload);
  });

  it('ignores a cache made for another bundle (V8 itself compares only the source length)', () => {
    const file = join(tempDir(), 'v8-verify.bin');
    writeCacheFile(file, key, payload);
    expect(readCacheFile(file, cacheKey(Buffer.from('bundle two')))).toBeUndefined();
    // same length, other bytes: still another bundle
    expect(readCacheFile(file, cacheKey(Buffer.from('bundle 0ne')))).toBeUndefined();
  });

  it('ignores a corrupt, truncated, empty or foreign file', () => {
    const dir = tempDir();
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
    const victim = join(dir, 'victim');
    writeFileSync(victim, 'unchanged');
    const file = join(dir, 'v8-verify.bin');
    symlinkSync(victim, `${file}.${process.pid}.tmp`);
    expect(writeCacheFile(file, key, payload)).toBe(false);
    expect(readFileSync(victim, 'utf8')).toBe('unchanged');
    expect(readCacheFile(file, key)).toBeUndefined();
  });

  it('is keyed on the flags Node runs with too (V8 refuses a cache made under other flags)', () => {
    const source = Buffer.from('bundle one');
    expect(cacheKey(source, {})).toEqual(key);
    expect(cacheKey(source, { NODE_OPTIONS: '--max-semi-space-size=16' })).not.toEqual(key);
  });

  it('is one file per command word and bundle', () => {
    const other = cacheKey(Buffer.from('bundle two'));
    expect(cacheName('verify', key)).toMatch(/^v8-verify-[0-9a-f]{16}\.bin$/);
    expect(cacheName('verify', other)).not.toBe(cacheName('verify', key));
    expect(cacheName('../../x', key)).toMatch(/^v8-other-[0-9a-f]{16}\.bin$/);
    expect(cacheName(undefined, key)).toBe(cacheName('--version', key));
  });

  it('lives in $XDG_CACHE_HOME/content-trust or ~/.cache/content-trust, and CONTENT_TRUST_CODE_CACHE=0 turns it off', () => {
    expect(cacheDir({ XDG_CACHE_HOME: '/x/cache' })).toBe('/x/cache/content-trust');
    expect(cacheDir({ XDG_CACHE_HOME: 'relative' })).toMatch(/\/\.cache\/content-trust$/);
    expect(cacheDir({ XDG_CACHE_HOME: '/x/cache', CONTENT_TRUST_CODE_CACHE: '0' })).toBeUndefined();
  });
});
