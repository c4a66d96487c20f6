// The trust dir path mapping: docker's layout tuf/<gun>/metadata/<role>.json, IPv6 registry hosts, no
// repository's cache inside another's (issue 8 item 10), and cached files that are not regular files.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalError } from '../errors.js';
import { parseReference } from '../reference.js';
import { checkGunPath, isGunPathSegment, MetadataCache } from './trust-dir.js';

const dirs: string[] = [];
const temp = () => {
  const d = mkdtempSync(join(tmpdir(), 'ct-trustdir-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const codeOf = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return (e as LocalError).code;
  }
  return 'none';
};

describe('MetadataCache path mapping', () => {
  it("is docker's layout: tuf/<gun>/metadata/<role>.json", async () => {
    const dir = temp();
    const c = new MetadataCache(dir, 'reg.example/team/app');
    await c.write('targets/releases', new TextEncoder().encode('{}'));
    expect(
      readFileSync(
        join(dir, 'tuf', 'reg.example', 'team', 'app', 'metadata', 'targets', 'releases.json'),
        'utf8',
      ),
    ).toBe('{}');
  });

  it('maps an IPv6 registry host as docker and notary do ([::1]:5000 is one directory)', async () => {
    const dir = temp();
    const ref = parseReference('[::1]:5000/app:v1');
    const c = new MetadataCache(dir, ref.gun);
    await c.write('root', new TextEncoder().encode('{"r":1}'));
    expect(existsSync(join(dir, 'tuf', '[::1]:5000', 'app', 'metadata', 'root.json'))).toBe(true);
    expect(await c.read('root')).toEqual(new TextEncoder().encode('{"r":1}'));
  });

  it("refuses a GUN whose cache would lie inside another repository's metadata cache", async () => {
    const dir = temp();
    // targets/metadata/root of reg/app and root of reg/app/metadata/targets were the same file in 0.1.0
    const a = new MetadataCache(dir, 'reg.example/app');
    await a.write('targets/metadata/root', new TextEncoder().encode('{"delegation":true}'));
    let err: unknown;
    try {
      new MetadataCache(dir, 'reg.example/app/metadata/targets');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(LocalError);
    expect((err as LocalError).code).toBe('BAD_REFERENCE');
    expect((err as LocalError).message).toMatch(/inside the metadata cache of reg\.example\/app/);
    expect(await a.read('targets/metadata/root')).toEqual(new TextEncoder().encode('{"delegation":true}'));
    // a last segment named metadata, and metadata as the registry, cannot collide and stay allowed
    expect(codeOf(() => new MetadataCache(dir, 'reg.example/team/metadata'))).toBe('none');
    expect(codeOf(() => checkGunPath('reg.example/metadata/x'))).toBe('BAD_REFERENCE');
  });

  it('no two valid GUN/role pairs map to the same file (exhaustive over a small alphabet)', () => {
    const segs = ['metadata', 'targets', 'app', 'x'];
    const guns: string[] = [];
    const grow = (prefix: string[], depth: number) => {
      if (prefix.length > 0) guns.push(['reg.example', ...prefix].join('/'));
      if (depth === 0) return;
      for (const s of segs) grow([...prefix, s], depth - 1);
    };
    grow([], 4);
    const roles = ['root', 'targets', 'snapshot', 'timestamp'];
    for (const a of segs) {
      roles.push(`targets/${a}`);
      for (const b of segs) {
        roles.push(`targets/${a}/${b}`);
        for (const c of segs) roles.push(`targets/${a}/${b}/${c}`);
      }
    }
    const seen = new Map<string, string>();
    const dir = '/trust';
    for (const gun of guns) {
      let cache: MetadataCache;
      try {
        cache = new MetadataCache(dir, gun);
      } catch {
        continue;
      }
      for (const role of roles) {
        const path = cache.pathOf(role);
        const who = `${gun} ${role}`;
        expect(seen.get(path) ?? who).toBe(who);
        seen.set(path, who);
        // no file is a directory prefix of another repository's cache
      }
    }
    const files = [...seen.keys()];
    for (const gun of guns) {
      let d: string;
      try {
        d = new MetadataCache(dir, gun).dir;
      } catch {
        continue;
      }
      expect(files.some((f) => d.startsWith(`${f}/`))).toBe(false);
    }
  });

  it('a FIFO or directory in the cache is an IO error at once, not a hang (issue 8 item 12)', async () => {
    const dir = temp();
    const c = new MetadataCache(dir, 'reg.example/app');
    mkdirSync(c.dir, { recursive: true });
    execFileSync('mkfifo', [c.pathOf('root')]);
    mkdirSync(c.pathOf('timestamp'));
    await expect(c.read('root')).rejects.toMatchObject({
      code: 'IO',
      message: expect.stringMatching(/not a regular file/),
    });
    await expect(c.read('timestamp')).rejects.toMatchObject({ code: 'IO' });
    expect(await c.read('snapshot')).toBeNull();
  }, 10_000);
});

describe('MetadataCache.pathOf', () => {
  it('top-level roles and delegations map to the same paths path.join gives', () => {
    for (const trustDir of ['/tmp/x', '/tmp/x/', 'rel/dir', '/']) {
      const c = new MetadataCache(trustDir, 'reg.example/team/app');
      for (const role of ['root', 'timestamp', 'snapshot', 'targets', 'targets/releases', 'targets/a/b']) {
        expect(c.pathOf(role)).toBe(join(c.dir, `${role}.json`));
      }
      expect(() => c.pathOf('../root')).toThrowError(/invalid metadata file name/);
    }
  });
});

describe('isGunPathSegment', () => {
  it('accepts exactly what the GUN segment expression it replaced accepts', () => {
    const SEGMENT = /^[A-Za-z0-9[][A-Za-z0-9._:[\]-]*$/;
    const char = fc.constantFrom(
      ...'aZ09._:[]-_/@% \n',
      '\u0000',
      '\u212a',
      '\u0660',
      '\uff41',
      '\ud800',
      '`',
      '{',
      '@',
      '^',
    );
    fc.assert(
      fc.property(
        fc.array(char, { maxLength: 12 }).map((c) => c.join('')),
        (seg) => {
          expect(isGunPathSegment(seg)).toBe(SEGMENT.test(seg));
        },
      ),
      { numRuns: 20_000 },
    );
    for (const seg of ['', '.', '..', '_a', '-a', ':a', ']a', '[::1]:5000', 'a_b', 'A-z.0:9', '[', 'a]']) {
      expect(isGunPathSegment(seg), seg).toBe(SEGMENT.test(seg));
    }
  });
});
