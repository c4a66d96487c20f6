import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { metaOf, newKey, TestRepo, targetEntry } from '../../test/support/tuf1-repo.js';
import { tuf1MetadataFileName } from '../metadata/tuf1.js';
import { TufUpdater } from './tuf-updater.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'tuf1-updater-'));
  dirs.push(d);
  return d;
}

function put(base: string, name: string, bytes: Uint8Array | string): void {
  const p = join(base, name);
  mkdirSync(dirname(p), { recursive: true });
  writeFileSync(p, bytes);
}

/**
 * A consistent-snapshot repository on disk: targets delegates `?odd/role` (paths `pkg/*`) which
 * lists `pkg/app.tgz`; served through the real file:// fetcher.
 */
function repository() {
  const base = tmp();
  const repo = new TestRepo();
  const dk = newKey();
  const content = Buffer.from('the artifact');
  const role = '?odd/role';
  const deleg = repo.targets(1, { 'pkg/app.tgz': targetEntry(content) }, undefined, [dk]);
  const top = repo.targets(
    1,
    {},
    {
      keys: { [dk.id]: dk.json },
      roles: [{ name: role, keyids: [dk.id], threshold: 1, terminating: true, paths: ['pkg/*'] }],
    },
  );
  const snap = repo.snapshot(1, { 'targets.json': metaOf(top, 1), [`${role}.json`]: metaOf(deleg, 1) });
  const root = repo.root({ consistent: true });
  put(base, 'metadata/1.root.json', root);
  put(base, 'metadata/timestamp.json', repo.timestamp(1, metaOf(snap, 1)));
  put(base, 'metadata/1.snapshot.json', snap);
  put(base, 'metadata/1.targets.json', top);
  put(base, `metadata/${tuf1MetadataFileName(role, 1)}`, deleg);
  put(base, `targets/pkg/${targetEntry(content).hashes.sha256}.app.tgz`, content);
  return { base, repo, root, content, role };
}

describe('TufUpdater over a file:// repository', () => {
  it('refreshes, finds a target through a delegation with an odd role name, downloads and caches it', async () => {
    const { base, root, content, role } = repository();
    const metadataDir = join(tmp(), 'md');
    const targetDir = tmp();
    TufUpdater.init(metadataDir, root);
    const u = new TufUpdater({
      metadataDir,
      metadataBaseUrl: pathToFileURL(join(base, 'metadata')).href,
      targetBaseUrl: pathToFileURL(join(base, 'targets')).href,
      targetDir,
    });
    await u.refresh();
    const info = await u.getTargetInfo('pkg/app.tgz');
    expect(info?.length).toBe(content.length);
    expect(await u.getTargetInfo('other/x')).toBeUndefined();
    const path = await u.downloadTarget(info!);
    expect(readFileSync(path)).toEqual(content);
    expect(await u.findCachedTarget(info!)).toBe(path);
    // metadata stored byte for byte, unversioned, role name percent-encoded (no path escape)
    expect(readdirSync(metadataDir).sort()).toEqual(
      [
        '.dialect',
        '%3Fodd%2Frole.json',
        'root.json',
        'snapshot.json',
        'targets.json',
        'timestamp.json',
      ].sort(),
    );
    expect(readFileSync(join(metadataDir, 'root.json'))).toEqual(Buffer.from(root));
    expect(role).toBe('?odd/role');
  });

  it('a tampered artifact is refused and not written', async () => {
    const { base, root, content } = repository();
    put(base, `targets/pkg/${targetEntry(content).hashes.sha256}.app.tgz`, 'the artifacT');
    const metadataDir = join(tmp(), 'md');
    const targetDir = tmp();
    TufUpdater.init(metadataDir, root);
    const u = new TufUpdater({
      metadataDir,
      metadataBaseUrl: pathToFileURL(join(base, 'metadata')).href,
      targetBaseUrl: pathToFileURL(join(base, 'targets')).href,
      targetDir,
    });
    const info = await u.getTargetInfo('pkg/app.tgz');
    await expect(u.downloadTarget(info!)).rejects.toMatchObject({ code: 'HASH_MISMATCH' });
    expect(readdirSync(targetDir)).toEqual([]);
  });

  it('never reads a cache of another dialect', async () => {
    const { base, root } = repository();
    const metadataDir = tmp();
    writeFileSync(join(metadataDir, '.dialect'), 'notary-0.7\n');
    expect(() => TufUpdater.init(metadataDir, root)).toThrow(/refusing to switch dialect/);
    const u = new TufUpdater({ metadataDir, metadataBaseUrl: pathToFileURL(join(base, 'metadata')).href });
    await expect(u.refresh()).rejects.toMatchObject({ code: 'CONFIG' });
  });

  it('bounds what the repository can make it do: size caps, root walk length, limits validated', async () => {
    const { base, repo, root } = repository();
    // ten newer roots, each signed by the same root key
    for (let v = 2; v <= 11; v++)
      put(base, `metadata/${v}.root.json`, repo.root({ version: v, consistent: true }));
    const metadataDir = join(tmp(), 'md');
    TufUpdater.init(metadataDir, root);
    const metadataBaseUrl = pathToFileURL(join(base, 'metadata')).href;
    const small = new TufUpdater({ metadataDir, metadataBaseUrl, limits: { maxTimestampBytes: 100 } });
    await expect(small.refresh()).rejects.toMatchObject({ code: 'TOO_LARGE' });
    expect(small.trustedVersions().root).toBe(11); // roots walked (and kept) before the timestamp
    const fresh = join(tmp(), 'md2');
    TufUpdater.init(fresh, root);
    const few = new TufUpdater({ metadataDir: fresh, metadataBaseUrl, limits: { maxRootRotations: 3 } });
    await few.refresh().catch(() => undefined); // the old snapshot no longer matches: irrelevant here
    expect(few.trustedVersions().root).toBe(4);
    expect(() => new TufUpdater({ metadataDir, metadataBaseUrl, limits: { maxFoo: 1 } as never })).toThrow(
      /unknown limit/,
    );
  });
});
