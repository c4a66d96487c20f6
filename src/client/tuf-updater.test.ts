import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { metaOf, newKey, TestRepo, targetEntry } from '../../test/support/tuf1-repo.js';
import { TrustContext } from '../context/context.js';
import { exitCodeFor } from '../errors.js';
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
        '.verified-index',
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

  it('a warm refresh takes cached targets and delegations through the verified index; a damaged index does not count', async () => {
    const { base, root } = repository();
    const metadataDir = join(tmp(), 'md');
    TufUpdater.init(metadataDir, root);
    const run = async () => {
      const context = new TrustContext();
      const u = new TufUpdater({
        metadataDir,
        metadataBaseUrl: pathToFileURL(join(base, 'metadata')).href,
        context,
      });
      const info = await u.getTargetInfo('pkg/app.tgz');
      return { length: info?.length, verdicts: context.verdicts.size };
    };
    const cold = await run();
    const warm = await run();
    expect(warm.length).toBe(cold.length);
    // nothing verified again: root, timestamp, snapshot, targets and the delegation through the index
    expect(cold.verdicts).toBe(5);
    expect(warm.verdicts).toBe(0);
    const index = join(metadataDir, '.verified-index');
    const doc = JSON.parse(readFileSync(index, 'utf8'));
    expect(Object.keys(doc.files).sort()).toEqual(['?odd/role', 'root', 'snapshot', 'targets', 'timestamp']);
    expect(doc.files['?odd/role'].delegator).toBe('targets');
    // the delegation's entry no longer matches its bytes: that role is checked again, targets not
    doc.files['?odd/role'].sha256 = '00'.repeat(32);
    writeFileSync(index, JSON.stringify(doc));
    expect((await run()).verdicts).toBe(1);
    writeFileSync(index, '{"format":1');
    expect((await run()).verdicts).toBe(cold.verdicts);
    expect((await run()).verdicts).toBe(0); // rewritten after the full check
  });

  it('a snapshot that lists targets by version only never lets the index vouch for cached targets', async () => {
    const base = tmp();
    const repo = new TestRepo();
    const real = targetEntry(Buffer.from('real'));
    const top = repo.targets(1, { app: real });
    const snap = repo.snapshot(1, { 'targets.json': { version: 1 } });
    const root = repo.root({ consistent: true });
    put(base, 'metadata/1.root.json', root);
    put(base, 'metadata/timestamp.json', repo.timestamp(1, metaOf(snap, 1)));
    put(base, 'metadata/1.snapshot.json', snap);
    put(base, 'metadata/1.targets.json', top);
    const metadataDir = join(tmp(), 'md');
    TufUpdater.init(metadataDir, root);
    const run = async () => {
      const context = new TrustContext();
      const u = new TufUpdater({
        metadataDir,
        metadataBaseUrl: pathToFileURL(join(base, 'metadata')).href,
        context,
      });
      const info = await u.getTargetInfo('app');
      return { sha: info?.hashes.sha256, verdicts: context.verdicts.size };
    };
    const cold = await run();
    expect(cold.verdicts).toBe(4);
    expect((await run()).verdicts).toBe(1); // targets re-checked every time (root, timestamp, snapshot not)
    // cached targets of the same version signed by another key, with an index vouching for them
    const forged = repo.targets(1, { app: targetEntry(Buffer.from('evil')) }, undefined, [newKey()]);
    writeFileSync(join(metadataDir, 'targets.json'), forged);
    const indexPath = join(metadataDir, '.verified-index');
    const doc = JSON.parse(readFileSync(indexPath, 'utf8'));
    doc.files.targets.sha256 = createHash('sha256').update(forged).digest('hex');
    doc.files.targets.length = forged.length;
    writeFileSync(indexPath, JSON.stringify(doc));
    expect((await run()).sha).toBe(real.hashes.sha256);
  });

  it('a missing timestamp (404) is SERVER_ERROR, exit 3, as python-tuf (DownloadHTTPError): the trusted root says the repository exists', async () => {
    const { base, root } = repository();
    rmSync(join(base, 'metadata', 'timestamp.json'));
    const metadataDir = join(tmp(), 'md');
    TufUpdater.init(metadataDir, root);
    const u = new TufUpdater({ metadataDir, metadataBaseUrl: pathToFileURL(join(base, 'metadata')).href });
    const err = await u.refresh().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: 'SERVER_ERROR', role: 'timestamp' });
    expect(exitCodeFor(err as Error)).toBe(3);
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
