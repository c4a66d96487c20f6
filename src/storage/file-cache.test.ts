// The file cache of a long-lived context (issue 12): unchanged files come from memory, any change on
// disk (in place, same size; replaced; removed) is read again, and files changed too recently to be
// told apart by their timestamps are never kept.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FileCache, RACY_COARSE_MS, RACY_MS, settled } from './file-cache.js';
import { MetadataCache } from './trust-dir.js';

const dirs: string[] = [];
const temp = () => {
  const d = mkdtempSync(join(tmpdir(), 'ct-filecache-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A cache whose clock runs `ahead` ms in front of the files' times (so they look settled). */
const aged = (ahead = 10_000) => new FileCache(64 << 20, () => Date.now() + ahead);
const text = (b: Uint8Array | null) => (b ? Buffer.from(b).toString('utf8') : null);

describe('FileCache', () => {
  it('an unchanged settled file comes from memory; rewritten in place with the same size, it is read again', () => {
    const path = join(temp(), 'timestamp.json');
    writeFileSync(path, 'version-1');
    const files = aged();
    const first = files.read(path);
    expect(text(first)).toBe('version-1');
    expect(files.read(path)).toBe(first); // the very bytes kept, no read
    const before = statSync(path);
    // same length, other bytes, same inode: only mtime/ctime tell (past one tick of the kernel's
    // coarse file clock, as a rewrite after a settled read is; the racy test below covers the rest)
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 30);
    writeFileSync(path, 'version-2');
    expect(statSync(path).ino).toBe(before.ino);
    expect(statSync(path).size).toBe(before.size);
    expect(text(files.read(path))).toBe('version-2');
  });

  it('a file replaced by rename, removed, or turned into a FIFO is noticed', () => {
    const dir = temp();
    const path = join(dir, 'snapshot.json');
    writeFileSync(path, 'aaaa');
    const files = aged();
    expect(text(files.read(path))).toBe('aaaa');
    writeFileSync(join(dir, 'tmp'), 'bbbb');
    renameSync(join(dir, 'tmp'), path);
    expect(text(files.read(path))).toBe('bbbb');
    rmSync(path);
    expect(files.read(path)).toBeNull();
    expect(files.size).toBe(0);
    writeFileSync(path, 'cccc');
    expect(text(files.read(path))).toBe('cccc');
    rmSync(path);
    execFileSync('mkfifo', [path]);
    expect(() => files.read(path)).toThrowError(/not a regular file/);
  });

  it('keeps nothing changed within the racy window: a write in the same clock tick could go unseen', () => {
    const path = join(temp(), 'targets.json');
    writeFileSync(path, 'fresh');
    const files = new FileCache(); // the real clock: the file was written just now
    const a = files.read(path);
    expect(files.read(path)).not.toBe(a); // read again
    expect(files.size).toBe(0);
    // the rule itself: fine-grained times need RACY_MS, whole-millisecond times RACY_COARSE_MS
    const t = 1_700_000_000_123.456;
    expect(settled({ mtimeMs: t, ctimeMs: t }, t + RACY_MS - 1)).toBe(false);
    expect(settled({ mtimeMs: t, ctimeMs: t }, t + RACY_MS)).toBe(true);
    const coarse = 1_700_000_000_000;
    expect(settled({ mtimeMs: coarse, ctimeMs: coarse }, coarse + RACY_COARSE_MS - 1)).toBe(false);
    expect(settled({ mtimeMs: coarse, ctimeMs: coarse }, coarse + RACY_COARSE_MS)).toBe(true);
    // the later of mtime and ctime counts (a chmod or rename moves ctime only)
    expect(settled({ mtimeMs: t, ctimeMs: t + 1000 }, t + 1000 + RACY_MS - 1)).toBe(false);
  });

  it('is bounded in bytes', () => {
    const dir = temp();
    const files = new FileCache(10, () => Date.now() + 10_000);
    writeFileSync(join(dir, 'a'), '123456');
    writeFileSync(join(dir, 'b'), '123456');
    writeFileSync(join(dir, 'big'), '12345678901');
    files.read(join(dir, 'a'));
    expect(files.size).toBe(1);
    files.read(join(dir, 'b')); // 12 bytes would exceed 10: starts over
    expect(files.size).toBe(1);
    files.read(join(dir, 'big')); // larger than the bound: never kept
    expect(files.size).toBe(1);
  });

  it('MetadataCache reads through it and forgets what it writes', async () => {
    const files = aged();
    const c = new MetadataCache(temp(), 'reg.example/app', files);
    await c.write('root', new TextEncoder().encode('root-1'));
    const first = await c.read('root');
    expect(await c.read('root')).toBe(first);
    await c.write('root', new TextEncoder().encode('root-2'));
    expect(text(await c.read('root'))).toBe('root-2');
    expect(await c.read('timestamp')).toBeNull();
  });
});
