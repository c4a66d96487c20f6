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

describe('writeFilesAtomic', () => {
  it('replaces every file with its exact bytes and mode, in two directories, leaving no temp file', async () => {
    const dir = fresh();
    mkdirSync(join(dir, 'targets'));
    writeFileSync(join(dir, 'root.json'), 'old root');
    const old = process.umask(0o077);
    try {
      await writeFilesAtomic([
        { path: join(dir, 'root.json'), data: 'new root', mode: 0o644 },
        { path: join(dir, 'targets', 'releases.json'), data: new Uint8Array([1, 2]), mode: 0o644 },
        { path: join(dir, 'timestamp.json'), data: 'ts', mode: 0o600 },
      ]);
    } finally {
      process.umask(old);
    }
    expect(readFileSync(join(dir, 'root.json'), 'utf8')).toBe('new root');
    expect([...readFileSync(join(dir, 'targets', 'releases.json'))]).toEqual([1, 2]);
    expect(statSync(join(dir, 'targets', 'releases.json')).mode & 0o777).toBe(0o644);
    expect(statSync(join(dir, 'timestamp.json')).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir).sort()).toEqual(['root.json', 'targets', 'timestamp.json']);
    expect(readdirSync(join(dir, 'targets'))).toEqual(['releases.json']);
  });

  it('changes nothing when one file cannot be written, and removes the temp files of the others', async () => {
    const dir = fresh();
    writeFileSync(join(dir, 'root.json'), 'old root');
    const err = await writeFilesAtomic([
      { path: join(dir, 'root.json'), data: 'new root' },
      { path: join(dir, 'missing', 'targets.json'), data: 'x' },
      { path: join(dir, 'timestamp.json'), data: 'ts' },
    ]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LocalError);
    expect((err as LocalError).code).toBe('IO');
    expect(readFileSync(join(dir, 'root.json'), 'utf8')).toBe('old root');
    expect(readdirSync(dir)).toEqual(['root.json']);
  });

  it('renames in order: a failed rename leaves the files before it replaced and the rest untouched', async () => {
    const dir = fresh();
    for (const f of ['root.json', 'snapshot.json']) writeFileSync(join(dir, f), `old ${f}`);
    // a non-empty directory where `targets.json` goes: its temp file is written, its rename fails
    mkdirSync(join(dir, 'targets.json'));
    writeFileSync(join(dir, 'targets.json', 'x'), 'x');
    const err = await writeFilesAtomic([
      { path: join(dir, 'root.json'), data: 'new root' },
      { path: join(dir, 'targets.json'), data: 'new targets' },
      { path: join(dir, 'snapshot.json'), data: 'new snapshot' },
    ]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LocalError);
    expect(readFileSync(join(dir, 'root.json'), 'utf8')).toBe('new root');
    expect(readFileSync(join(dir, 'snapshot.json'), 'utf8')).toBe('old snapshot.json');
    expect(readdirSync(dir).sort()).toEqual(['root.json', 'snapshot.json', 'targets.json']);
  });

  it('leaves out an optional file that cannot be written and writes the others', async () => {
    const dir = fresh();
    writeFileSync(join(dir, 'root.json'), 'old root');
    mkdirSync(join(dir, '.verified-index')); // its rename fails (a directory where it goes)
    writeFileSync(join(dir, '.verified-index', 'x'), 'x');
    await writeFilesAtomic([
      { path: join(dir, 'root.json'), data: 'new root' },
      { path: join(dir, 'missing', 'x.json'), data: 'x', optional: true }, // its temp file cannot be made
      { path: join(dir, '.verified-index'), data: 'index', optional: true },
    ]);
    expect(readFileSync(join(dir, 'root.json'), 'utf8')).toBe('new root');
    expect(readdirSync(dir).sort()).toEqual(['.verified-index', 'root.json']);
    expect(readdirSync(join(dir, '.verified-index'))).toEqual(['x']);
  });
});
