/**
 * Our TUF 1.0 client (TufUpdater) against:
 * - repositories python-tuf wrote (vectors/tuf1/): it must resolve every query exactly as
 *   python-tuf's ngclient did when the vectors were made (expected.json), downloads included;
 * - repositories our writer wrote: delegations with percent-encoded names, root rotations,
 *   refresh, from a cold and a warm metadata dir.
 * Files only (file:// URLs); the python-tuf side of these checks is test/interop-tuf/run.mjs.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { TufUpdater } from '../../src/client/tuf-updater.js';
import { generateSigner } from '../../src/crypto/signers.js';
import { writeTuf1Files, writeTuf1TargetFile } from '../../src/publish/tuf1/fs.js';
import { tuf1Signer } from '../../src/publish/tuf1/keys.js';
import { Tuf1Writer } from '../../src/publish/tuf1/writer.js';

const VECTORS = join(import.meta.dirname, '../../vectors/tuf1');
const dirs: string[] = [];
const temp = (p: string) => {
  const d = mkdtempSync(join(tmpdir(), p));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function updater(repo: string, metadataDir: string, targetDir?: string): TufUpdater {
  const base = pathToFileURL(repo).href;
  return new TufUpdater({
    metadataDir,
    metadataBaseUrl: `${base}/metadata/`,
    targetBaseUrl: `${base}/targets/`,
    ...(targetDir ? { targetDir } : {}),
  });
}

describe.each(['repository', 'plain'])('our client on python-tuf vectors/tuf1/%s', (name) => {
  it('resolves and downloads every query as python-tuf ngclient did', async () => {
    const repo = join(VECTORS, name);
    const expected = JSON.parse(readFileSync(join(repo, 'expected.json'), 'utf8'));
    const meta = temp('tuf1-vec-meta-');
    const dl = temp('tuf1-vec-dl-');
    TufUpdater.init(meta, new Uint8Array(readFileSync(join(repo, 'metadata/1.root.json'))));
    const u = updater(repo, meta, dl);
    await u.refresh();
    const v = u.trustedVersions();
    expect({ root: v.root, timestamp: v.timestamp, snapshot: v.snapshot }).toEqual({
      root: expected.ngclient.versions.root,
      timestamp: expected.ngclient.versions.timestamp,
      snapshot: expected.ngclient.versions.snapshot,
    });
    for (const q of expected.queries as string[]) {
      const want = expected.ngclient.targets[q];
      const info = await u.getTargetInfo(q);
      if (want === null) {
        expect(info, q).toBeUndefined();
        continue;
      }
      expect({ length: info?.length, hashes: info?.hashes, custom: info?.custom ?? null }, q).toEqual({
        length: want.length,
        hashes: want.hashes,
        custom: want.custom,
      });
      const file = await u.downloadTarget(info!, join(dl, createHash('sha256').update(q).digest('hex')));
      expect(createHash('sha256').update(readFileSync(file)).digest('hex'), q).toBe(want.downloaded.sha256);
    }
  });
});

describe('our client on repositories our writer wrote', () => {
  it('delegated roles with names that need percent-encoding, root rotation, refresh; cold and warm', async () => {
    const k = () => tuf1Signer(generateSigner('ecdsa'));
    const [r1, r2, t, s, ts, rel] = [k(), k(), k(), k(), k(), k()];
    const all = [r1, r2, t, s, ts, rel];
    const w = Tuf1Writer.init({
      keys: { root: [r1.key], targets: [t.key], snapshot: [s.key], timestamp: [ts.key] },
    });
    const info = (n: number) => ({
      length: n,
      hashes: { sha256: createHash('sha256').update(String(n)).digest('hex') },
      custom: { mediaType: 'application/vnd.oci.image.manifest.v1+json' },
    });
    w.addTarget('top', info(1));
    w.addDelegation({ name: 'targets/releases', keys: [rel.key], paths: ['*'], terminating: true });
    w.addTarget('v1', info(2), 'targets/releases');
    const repo = temp('tuf1-ours-');
    await writeTuf1Files(repo, w.commit(all, { now: Date.now() }).files);
    const meta = temp('tuf1-ours-meta-');
    TufUpdater.init(meta, w.files().get('1.root.json')!);
    const u1 = updater(repo, meta);
    expect(await u1.getTargetInfo('v1')).toMatchObject({ path: 'v1', ...info(2) });
    expect(await u1.getTargetInfo('top')).toMatchObject(info(1));
    expect(await u1.getTargetInfo('nope')).toBeUndefined();

    w.setRoleKeys('root', [r2.key]);
    w.addTarget('v1', info(3), 'targets/releases');
    await writeTuf1Files(repo, w.commit(all, { now: Date.now() }).files);
    w.refresh(all, { now: Date.now() });
    await writeTuf1Files(repo, w.files());
    const u2 = updater(repo, meta); // warm: the metadata dir of the first run
    await u2.refresh();
    expect(u2.trustedVersions().root).toBe(2);
    expect(await u2.getTargetInfo('v1')).toMatchObject(info(3));
  });

  it('a repository without consistent snapshots (unversioned files, plain target names): cold, warm, download', async () => {
    const k = () => tuf1Signer(generateSigner('ed25519'));
    const [r1, r2, t, s, ts, rel] = [k(), k(), k(), k(), k(), k()];
    const all = [r1, r2, t, s, ts, rel];
    const w = Tuf1Writer.init({
      keys: { root: [r1.key], targets: [t.key], snapshot: [s.key], timestamp: [ts.key] },
      consistentSnapshot: false,
    });
    const repo = temp('tuf1-plain-');
    const data = new TextEncoder().encode('plain target\n');
    const info = await writeTuf1TargetFile(repo, 'dir/file.txt', data, { consistentSnapshot: false });
    w.addTarget('dir/file.txt', info);
    w.addDelegation({ name: 'targets/releases', keys: [rel.key], paths: ['v*'] });
    w.addTarget('v1', { length: 1, hashes: { sha256: 'ab'.repeat(32) } }, 'targets/releases');
    await writeTuf1Files(repo, w.commit(all, { now: Date.now() }).files);
    const meta = temp('tuf1-plain-meta-');
    const dl = temp('tuf1-plain-dl-');
    TufUpdater.init(meta, w.files().get('1.root.json')!);
    const u1 = updater(repo, meta, dl);
    const got = await u1.getTargetInfo('dir/file.txt');
    expect(got).toMatchObject(info);
    expect(readFileSync(await u1.downloadTarget(got!))).toEqual(Buffer.from(data));
    expect(await u1.getTargetInfo('v1')).toMatchObject({ length: 1 });

    w.setRoleKeys('root', [r2.key]);
    w.addTarget('v2', { length: 2, hashes: { sha256: 'cd'.repeat(32) } }, 'targets/releases');
    await writeTuf1Files(repo, w.commit(all, { now: Date.now() }).files);
    const u2 = updater(repo, meta, dl); // warm
    await u2.refresh();
    expect(u2.trustedVersions()).toMatchObject({ root: 2, snapshot: 2, timestamp: 2 });
    expect(await u2.getTargetInfo('v2')).toMatchObject({ length: 2 });
  });
});
