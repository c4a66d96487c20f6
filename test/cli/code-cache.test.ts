/**
 * The built CLI (dist/cli.cjs, a launcher running dist/cli-main.cjs or dist/cli-verify.cjs) with its V8 code cache on, as a
 * user runs it: the cache is written once, then used; a corrupt cache or an unsafe directory changes
 * nothing the user sees. (Every other CLI test runs with CONTENT_TRUST_CODE_CACHE=0.)
 */

import {
  chmodSync,
  closeSync,
  copyFileSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  statSync,
  utimesSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, run, trust } from '../support/cli.js';
import { tempDir } from '../support/temp.js';

const withCache = (home: string) => ({
  CONTENT_TRUST_CODE_CACHE: undefined,
  XDG_CACHE_HOME: home,
  CONTENT_TRUST_DEBUG: '1',
});

describe('CLI V8 code cache', () => {
  it('is written by the first run of a command, then used, with the same output and exit code', () => {
    const home = tempDir();
    const plain = trust(['verify', '--help']);
    const first = trust(['verify', '--help'], withCache(home));
    expect(first.stderr).toBe('debug: code cache written\n');
    const dir = join(home, 'content-trust');
    const [file, ...more] = readdirSync(dir);
    expect(more).toEqual([]);
    expect(file).toMatch(/^v8-verify-[0-9a-f]{16}\.bin$/);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, file!)).mode & 0o777).toBe(0o600);
    const second = trust(['verify', '--help'], withCache(home));
    expect(second.stderr).toBe('debug: code cache used\n');
    for (const r of [first, second]) {
      expect(r.status).toBe(0);
      expect(r.stdout).toBe(plain.stdout);
    }
    const bad = trust(['verify'], withCache(home));
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/^error USAGE: verify takes exactly one IMAGE\[:TAG\]\n/);
    expect(bad.stderr).toMatch(/debug: code cache used\n$/);
  });

  it('ignores a corrupt cache file (and replaces it)', () => {
    const home = tempDir();
    trust(['verify', '--help'], withCache(home));
    const dir = join(home, 'content-trust');
    const file = join(dir, readdirSync(dir)[0]!);
    const bytes = readFileSync(file);
    bytes[bytes.length - 100]! ^= 0xff;
    writeFileSync(file, bytes);
    const r = trust(['verify', '--help'], withCache(home));
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^Usage: trust verify IMAGE/);
    expect(r.stderr).toBe('debug: code cache written\n');
    expect(trust(['verify', '--help'], withCache(home)).stderr).toBe('debug: code cache used\n');
  });

  it('never reads or writes a cache directory that others can write', () => {
    const home = tempDir();
    trust(['verify', '--help'], withCache(home));
    const dir = join(home, 'content-trust');
    chmodSync(dir, 0o777);
    const r = trust(['verify', '--help'], withCache(home));
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('debug: code cache none\n');
    expect(trust(['inspect', '--help'], withCache(home)).stderr).toBe('debug: code cache none\n');
    expect(readdirSync(dir)).toEqual([expect.stringMatching(/^v8-verify-[0-9a-f]{16}\.bin$/)]);
    // a cache home that cannot be a directory: the CLI runs as ever
    const notADir = join(tempDir(), 'file');
    writeFileSync(notADir, '');
    const r2 = trust(['verify', '--help'], withCache(notADir));
    expect([r2.status, r2.stderr]).toEqual([0, 'debug: code cache none\n']);
    expect(r2.stdout).toBe(r.stdout);
  });

  it('runs a bundle edited after its cache was written as edited, and writes no cache for it', () => {
    // a copy of the launcher and the verify bundle; the edit keeps size, inode, header and mtime
    const bin = tempDir();
    for (const f of ['cli.cjs', 'cli-verify.cjs']) copyFileSync(join(dirname(CLI), f), join(bin, f));
    const bundle = join(bin, 'cli-verify.cjs');
    utimesSync(bundle, 1_700_000_000, 1_700_000_000);
    const home = tempDir();
    const copy = (args: string[]) => run(process.execPath, [join(bin, 'cli.cjs'), ...args], withCache(home));
    expect(copy(['verify', '--help']).stderr).toBe('debug: code cache written\n');
    const used = copy(['verify', '--help']);
    expect([used.stderr, used.stdout]).toEqual([
      'debug: code cache used\n',
      trust(['verify', '--help']).stdout,
    ]);
    const text = readFileSync(bundle, 'latin1');
    const at = text.indexOf('Usage: trust verify IMAGE');
    expect(at).toBeGreaterThan(0);
    const fd = openSync(bundle, 'r+');
    writeSync(fd, 'USAGE', at);
    closeSync(fd);
    utimesSync(bundle, 1_700_000_000, 1_700_000_000);
    for (let i = 0; i < 2; i++) {
      const r = copy(['verify', '--help']);
      expect([r.status, r.stderr]).toEqual([0, 'debug: code cache none\n']);
      expect(r.stdout).toMatch(/^USAGE: trust verify IMAGE/);
    }
    expect(readdirSync(join(home, 'content-trust'))).toHaveLength(1);
  });

  it('keeps one file per bundle; a file of another bundle goes when a week old', () => {
    const home = tempDir();
    const dir = join(home, 'content-trust');
    mkdirSync(dir, { mode: 0o700 });
    const old = join(dir, 'v8-verify-0000000000000000.bin');
    const recent = join(dir, 'v8-verify-1111111111111111.bin');
    const otherCommand = join(dir, 'v8-sign-0000000000000000.bin');
    for (const f of [old, recent, otherCommand]) writeFileSync(f, 'another bundle');
    const eightDaysAgo = new Date(Date.now() - 8 * 86_400_000);
    utimesSync(old, eightDaysAgo, eightDaysAgo);
    utimesSync(otherCommand, eightDaysAgo, eightDaysAgo);
    expect(trust(['verify', '--help'], withCache(home)).stderr).toBe('debug: code cache written\n');
    const left = readdirSync(dir).sort();
    expect(left).toHaveLength(3);
    expect(left).toEqual(
      expect.arrayContaining(['v8-sign-0000000000000000.bin', 'v8-verify-1111111111111111.bin']),
    );
    expect(trust(['verify', '--help'], withCache(home)).stderr).toBe('debug: code cache used\n');
  });
});

describe('CLI bundle', () => {
  it('loads node:fs/promises only when a command calls it (src/cli/fs-promises-lazy.ts)', () => {
    const bundle = readFileSync(join(import.meta.dirname, '..', '..', 'dist', 'cli-main.cjs'), 'utf8');
    expect(bundle).toContain('src/cli/fs-promises-lazy.ts');
    expect(bundle).not.toMatch(/require\("node:fs\/promises"\)/);
    // a command that writes through it still does (key generate: mkdir, writeFile, rename)
    const dir = tempDir();
    const r = trust(['key', 'generate', 'alice', '--dir', dir, '--trust-dir', dir], {
      DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE: 'throwaway-passphrase-1',
      NOTARY_DELEGATION_PASSPHRASE: 'throwaway-passphrase-1',
    });
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(join(dir, 'alice.pub'), 'utf8')).toContain('BEGIN PUBLIC KEY');
  });
});
