import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../test/support/temp.js';
import { LocalError } from '../errors.js';
import { writeFileAtomic, writeFileAtomicSync, writeFilesAtomic } from './atomic.js';

const here = dirname(fileURLToPath(import.meta.url));
const fresh = (): string => tempDir('ct-atomic-');

describe('writeFileAtomic', () => {
  it('creates and replaces files with the exact mode regardless of umask', async () => {
    const dir = fresh();
    const p = join(dir, 'a.key');
    const old = process.umask(0o077);
    try {
      await writeFileAtomic(p, 'one', { mode: 0o644 });
      expect(statSync(p).mode & 0o777).toBe(0o644);
    } finally {
      process.umask(old);
    }
    await writeFileAtomic(p, new Uint8Array([1, 2, 3]), { mode: 0o600 });
    expect([...readFileSync(p)]).toEqual([1, 2, 3]);
    expect(statSync(p).mode & 0o777).toBe(0o600);
    writeFileAtomicSync(p, 'sync');
    expect(readFileSync(p, 'utf8')).toBe('sync');
    expect(readdirSync(dir)).toEqual(['a.key']);
  });

  it('leaves the old file intact and removes the temp file when the write fails before rename', async () => {
    const dir = fresh();
    const p = join(dir, 'root.json');
    writeFileSync(p, 'old');
    let seenTemp = '';
    await expect(
      writeFileAtomic(p, 'new', {
        beforeRename: (t) => {
          seenTemp = t;
          expect(readFileSync(t, 'utf8')).toBe('new');
          throw new Error('injected');
        },
      }),
    ).rejects.toBeInstanceOf(LocalError);
    expect(seenTemp.startsWith(join(dir, '.root.json.'))).toBe(true);
    expect(readFileSync(p, 'utf8')).toBe('old');
    expect(readdirSync(dir)).toEqual(['root.json']);
    expect(() =>
      writeFileAtomicSync(p, 'new', {
        beforeRename: () => {
          throw new Error('injected');
        },
      }),
    ).toThrow(LocalError);
    expect(readFileSync(p, 'utf8')).toBe('old');
  });

  it('reports a missing directory as LocalError IO', async () => {
    const err = await writeFileAtomic(join(fresh(), 'nope', 'x'), 'x').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LocalError);
    expect((err as LocalError).code).toBe('IO');
  });

  it('a process killed after writing the temp file but before rename leaves the old file', () => {
    const dir = fresh();
    const bundle = join(dir, 'atomic.mjs');
    buildSync({
      entryPoints: [join(here, 'atomic.ts')],
      bundle: true,
      format: 'esm',
      platform: 'node',
      outfile: bundle,
      logLevel: 'silent',
    });
    const target = join(dir, 'data', 'timestamp.json');
    mkdirSync(join(dir, 'data'));
    writeFileSync(target, 'OLD-CONTENT');
    const script = `
      import { writeFileAtomic } from ${JSON.stringify(bundle)};
      await writeFileAtomic(${JSON.stringify(target)}, 'x'.repeat(1 << 20), {
        beforeRename: () => { process.kill(process.pid, 'SIGKILL'); },
      });
    `;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(r.signal).toBe('SIGKILL');
    expect(readFileSync(target, 'utf8')).toBe('OLD-CONTENT');
    const names = readdirSync(join(dir, 'data')).sort();
    expect(names.length).toBe(2);
    expect(names[1]).toBe('timestamp.json');
    expect(names[0]).toMatch(/^\.timestamp\.json\.[0-9a-f]{12}\.tmp$/);
    expect(statSync(join(dir, 'data', names[0]!)).size).toBe(1 << 20);
  });
});

describe('writeFilesAtomic (one batch: all data synced, then renamed in order)', () => {
  it('replaces every file with its exact bytes and mode, and leaves no temp file', async () => {
    const dir = fresh();
    mkdirSync(join(dir, 'sub'));
    writeFileSync(join(dir, 'a.json'), 'old a');
    await writeFilesAtomic([
      { path: join(dir, 'a.json'), data: 'new a', mode: 0o644 },
      { path: join(dir, 'sub', 'b.json'), data: new Uint8Array([7, 8]), mode: 0o600 },
    ]);
    expect(readFileSync(join(dir, 'a.json'), 'utf8')).toBe('new a');
    expect([...readFileSync(join(dir, 'sub', 'b.json'))]).toEqual([7, 8]);
    expect(statSync(join(dir, 'sub', 'b.json')).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir).sort()).toEqual(['a.json', 'sub']);
    expect(readdirSync(join(dir, 'sub'))).toEqual(['b.json']);
  });

  it('a file that cannot be written: nothing is replaced, no temp file is left, IO error', async () => {
    const dir = fresh();
    writeFileSync(join(dir, 'a.json'), 'old a');
    const err = await writeFilesAtomic([
      { path: join(dir, 'a.json'), data: 'new a' },
      { path: join(dir, 'missing-dir', 'b.json'), data: 'b' },
    ]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LocalError);
    expect((err as LocalError).code).toBe('IO');
    expect(readFileSync(join(dir, 'a.json'), 'utf8')).toBe('old a');
    expect(readdirSync(dir)).toEqual(['a.json']);
  });
});
